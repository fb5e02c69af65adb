"""Answer keys of chapter 9's exercises (see :func:`mmlearn.widgets.exercise`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mmlearn._i18n import _
from mmlearn.widgets.exercises import Exercise, FunctionExercise, NumericExercise, Quiz


def _ece_reference(confidences, correct, n_bins):
    # bin b holds b / n_bins <= c < (b + 1) / n_bins; c = 1 joins the last bin
    c = np.asarray(confidences, dtype=float)
    ok = np.asarray(correct, dtype=float)
    bins = np.minimum((c * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        sel = bins == b
        if sel.any():
            total += sel.mean() * abs(ok[sel].mean() - c[sel].mean())
    return float(total)


def _ece_function() -> FunctionExercise:
    return FunctionExercise(
        _("Write <code>expected_calibration_error(confidences, correct, n_bins)</code>."),
        name="expected_calibration_error",
        hidden_cases=[([0.95, 0.95, 0.95, 0.95], [1, 1, 1, 0], 10),
                      ([0.55, 0.65, 0.93, 0.97, 0.72], [0, 1, 1, 1, 1], 10),
                      ([0.12, 0.48, 0.51, 0.88, 1.0, 0.33], [0, 1, 0, 1, 1, 0], 5),
                      ([0.8, 0.8], [1, 1], 10)],
        reference=_ece_reference, namespace={"np": np})


def _ece_by_hand() -> NumericExercise:
    # 200 samples at confidence 0.9 with 150 right, 100 at 0.6 with 70 right
    gaps = [(200, abs(150 / 200 - 0.9)), (100, abs(70 / 100 - 0.6))]
    return NumericExercise(
        _("ECE of the model described above?"),
        answer=sum(count / 300 * gap for count, gap in gaps), tol=0.002,
        hint=_("each bin contributes (its share of the samples) x |accuracy - confidence|"))


def _attention_meaning() -> Quiz:
    return Quiz(
        _("The cross-attention model's words put most of their attention on the mouth rows "
          "of the emoji. Which conclusion does that justify?"),
        [_("The mouth rows caused the prediction."),
         _("The model's output is mostly a weighted average of the mouth rows' values."),
         _("The text was the more important modality for this model."),
         _("Removing the mouth from the image would not change the prediction.")],
        answer=1,
        explanations=[
            _("Attention shows where the model looked, not what caused the answer: that "
              "needs an intervention, such as changing the mouth and watching the output."),
            _("Yes: the fusion's output is the attention-weighted sum of the rows' values, "
              "so high weights on the mouth rows mean the output is built mostly from them. "
              "Whether they cause the answer is a further question."),
            _("In this fusion the words only choose the weights; the values, and so the "
              "information that reaches the head, come from the image."),
            _("The attention weights suggest the opposite, but only an experiment can tell: "
              "change the mouth rows and measure the output.")])


EXERCISES: dict[str, Callable[[], Exercise]] = {
    "ch9-ece-function": _ece_function,
    "ch9-ece-by-hand": _ece_by_hand,
    "ch9-attention-meaning": _attention_meaning,
}
