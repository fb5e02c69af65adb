"""Answer keys of chapter 7's exercises (see :func:`mmlearn.widgets.exercise`)."""

from __future__ import annotations

from collections.abc import Callable

from mmlearn.widgets.exercises import Exercise, NumericExercise, Quiz


def _ambiguous_kind() -> Quiz:
    return Quiz(
        "The text-only sentiment model scores about 0.5 on one kind of review. Which kind, "
        "and why?",
        ["Reviews where both modalities are clear",
         "Reviews whose text is ambiguous (sarcastic or non-committal)",
         "Reviews whose emoji is ambiguous (a flat mouth)"],
        answer=1,
        explanations=[
            "No: when both are clear the text-only model is perfect; the text alone decides.",
            "An ambiguous review is drawn the same way whatever the sentiment is, so the "
            "text carries no information about the label and the model can only guess: 0.5.",
            "No: there the text is clear, and the text-only model is perfect on it; it is "
            "the emoji-only model that guesses on these."])


def _auc_by_hand() -> NumericExercise:
    return NumericExercise(
        "Scores 0.9, 0.8, 0.4, 0.3 for interactions with clicks 1, 0, 1, 0. What is the AUC?",
        answer=0.75, tol=1e-6,
        hint="there are 2 clicked × 2 non-clicked = 4 pairs; count those in which the "
             "clicked one has the higher score, and divide by 4.")


EXERCISES: dict[str, Callable[[], Exercise]] = {
    "ch7-ambiguous-kind": _ambiguous_kind,
    "ch7-auc-by-hand": _auc_by_hand,
}
