"""Answer keys of chapter 6's exercises (see :func:`mmlearn.widgets.exercise`)."""

from __future__ import annotations

from collections.abc import Callable

from mmlearn._i18n import _
from mmlearn.widgets.exercises import Exercise, NumericExercise, Quiz


def _who_asks_whom() -> Exercise:
    # One context token: the attention softmax over it is 1 whatever the query.
    return Quiz(
        _("With query='text' and context='image' (one picture token), the fused vector "
          "depends on"),
        [_("the picture only"), _("the caption only"), _("both, as before"), _("neither")],
        answer=0,  # the picture only
        explanations=[
            _("the softmax over a single context token is 1, whatever the query, so every "
              "word's output is the picture's value vector."),
            _("the caption only chooses attention weights, and with one context token there "
              "is nothing to choose between."),
            _("with one context token the attention weights are all 1, so the caption has no "
              "influence."),
            _("the picture's value vector still passes through."),
        ],
    )


def _third_modality_tensor() -> Exercise:
    # (32 + 1)^3 products, each with 32 weights, plus 32 biases
    return NumericExercise(
        _("Parameters of mm.fusion.Tensor(32) on three modalities of 32 features each:"),
        answer=(32 + 1) ** 3 * 32 + 32,
        tol=0,
        hint=_("the fusion's Dense layer has one input per product of one feature (or the "
               "appended 1) from each modality, and 32 outputs."),
        reveal_after=3,
    )


def _perfect_recall_at_5() -> Exercise:
    # the partner ties with 9 other captions: a random 5 of the 10 are ranked first
    return NumericExercise(
        _("Recall@5 of a perfect model when every description is shared by exactly 10 of "
          "the 400 captions:"),
        answer=0.5,
        tol=0.005,
        hint=_("the partner and its 9 twins get the same similarity, so they are ranked in "
               "random order; how likely is the partner to be among the first 5?"),
        reveal_after=3,
    )


EXERCISES: dict[str, Callable[[], Exercise]] = {
    "ch6-who-asks-whom": _who_asks_whom,
    "ch6-third-modality-tensor": _third_modality_tensor,
    "ch6-perfect-recall-at-5": _perfect_recall_at_5,
}
