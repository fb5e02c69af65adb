"""Answer keys of chapter 7's exercises (see :func:`mmlearn.widgets.exercise`)."""

from __future__ import annotations

from collections.abc import Callable

from mmlearn._i18n import _
from mmlearn.widgets.exercises import Exercise, NumericExercise, Quiz


def _ambiguous_kind() -> Quiz:
    return Quiz(
        _("On the text-ambiguous reviews a text-only model can only guess, and a guess is "
          "right half the time because positive and negative reviews are equally common. "
          "Suppose instead that 80% of all reviews were positive, with the ambiguous texts "
          "still drawn the same way whatever the sentiment. What accuracy could a text-only "
          "model then expect on the text-ambiguous reviews?"),
        [_("0.5: the text carries no information about the label, so it is still a coin flip"),
         _("0.68: it answers positive 80% of the time, and 0.8·0.8 + 0.2·0.2 = 0.68"),
         _("0.8: it answers positive every time, and 80% of these reviews are positive")],
        answer=2,
        explanations=[
            _("No: the text still says nothing about the label, but the label itself is no "
              "longer a coin flip. Always answering the more common class is right 80% of "
              "the time."),
            _("No: answering positive at random 80% of the time is right 0.68 of the time, "
              "less than always answering positive. The model learns P(positive) = 0.8 for "
              "an ambiguous text and predicts the more probable class: positive, every time."),
            _("Right: with no information in the text, the best rule is the more common "
              "class. The expected ceiling would rise to (clear + 0.8 · ambiguous) / N.")])


def _auc_by_hand() -> NumericExercise:
    return NumericExercise(
        _("Scores 0.9, 0.8, 0.4, 0.3 for interactions with clicks 1, 0, 1, 0. What is the AUC?"),
        answer=0.75, tol=1e-6,
        hint=_("there are 2 clicked × 2 non-clicked = 4 pairs; count those in which the "
               "clicked one has the higher score, and divide by 4."))


EXERCISES: dict[str, Callable[[], Exercise]] = {
    "ch7-ambiguous-kind": _ambiguous_kind,
    "ch7-auc-by-hand": _auc_by_hand,
}
