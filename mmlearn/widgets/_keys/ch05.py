"""Answer keys of chapter 5's exercises (see :func:`mmlearn.widgets.exercise`)."""

from __future__ import annotations

import math
from collections.abc import Callable

from mmlearn._i18n import _
from mmlearn.widgets.exercises import Exercise, NumericExercise, Quiz


def _steps_per_epoch() -> Exercise:
    # ceil(1000 / 128): seven full batches and a last one of 104 samples
    return NumericExercise(
        _("Steps per epoch of fit on the 1,000 training samples with batch_size=128:"),
        answer=math.ceil(1000 / 128),
        tol=0,
        hint=_("a step is one batch, and the last batch may be smaller than the others."),
        reveal_after=3,
    )


def _double_softmax() -> Exercise:
    # CrossEntropyLoss applies its own softmax; on probabilities in [0, 1] the best it can
    # reach is one-hot probabilities, loss ln(1 + 9/e) ~ 1.46 for 10 classes.
    return Quiz(
        _("You add nn.Softmax(dim=1) at the end of the PyTorch network and keep "
          "nn.CrossEntropyLoss. What happens?"),
        [
            _("an error: CrossEntropyLoss refuses probabilities"),
            _("nothing changes: softmax applied twice is the same as once"),
            _("it trains, but more slowly, and its loss can never fall below about 1.46"),
            _("the loss becomes negative"),
        ],
        answer=2,
        explanations=[
            _("CrossEntropyLoss takes any real numbers as scores; probabilities are real "
              "numbers too, so nothing complains."),
            _("a second softmax does not leave the first one's output alone: the softmax of "
              "numbers between 0 and 1 is close to uniform."),
            _("the loss applies a second softmax to numbers between 0 and 1, so even a "
              "certain model gives the right class only e / (e + 9), a loss of "
              "ln(1 + 9/e) ~ 1.46, and the squashed scores give small gradients."),
            _("a cross-entropy is minus the log of a probability, never negative."),
        ],
    )


EXERCISES: dict[str, Callable[[], Exercise]] = {
    "ch5-steps-per-epoch": _steps_per_epoch,
    "ch5-double-softmax": _double_softmax,
}
