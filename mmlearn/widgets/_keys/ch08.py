"""Answer keys of chapter 8's exercises (see :func:`mmlearn.widgets.exercise`)."""

from __future__ import annotations

from collections.abc import Callable

from mmlearn._i18n import _
from mmlearn.widgets.exercises import Exercise, NumericExercise, Quiz


def _weight_layout() -> Quiz:
    return Quiz(
        _("An mmlearn Dense layer maps 32 inputs to 64 outputs, so W has shape (32, 64). "
          "Which tensor does torch.nn.Linear(32, 64).weight hold for the same layer?"),
        [_("W itself, shape (32, 64)"),
         _("W.T, shape (64, 32)"),
         _("W reshaped to (64, 32)"),
         _("W.T, shape (32, 64)")],
        answer=1,
        explanations=[
            _("No: that is Keras's kernel. PyTorch stores one row per output unit: (out, in)."),
            _("PyTorch computes x @ weight.T + bias with weight of shape (out, in), which is "
              "exactly W transposed."),
            _("No: a reshape keeps the numbers in memory order and scrambles rows and "
              "columns; the right operation is the transpose."),
            _("No: the transpose of a (32, 64) matrix has shape (64, 32).")])


def _shard_weight() -> NumericExercise:
    shard, batch = 40, 40 + 16 + 8
    return NumericExercise(
        _("Shards of 40, 16 and 8 samples: with what weight must the first shard's mean "
          "gradient enter the average?"),
        answer=shard / batch, tol=1e-3,
        hint=_("each shard's mean gradient is its sum of per-sample gradients divided by its "
               "own size; the full batch divides the total sum by 64."))


def _torch_first_adam_step(g: float, epsilon: float) -> float:
    """PyTorch's first Adam step over the learning rate: m-hat = g, sqrt(v-hat) = |g|."""
    return abs(g) / (abs(g) + epsilon)


def _pytorch_eps() -> NumericExercise:
    return NumericExercise(
        _("PyTorch's first step / learning rate, for g = 3e-7 and eps = 1e-7:"),
        answer=_torch_first_adam_step(3e-7, 1e-7), tol=0.002,
        hint=_("in the first step PyTorch's m-hat is g and its sqrt(v-hat) is |g|."),
        reveal_after=3)


EXERCISES: dict[str, Callable[[], Exercise]] = {
    "ch8-weight-layout": _weight_layout,
    "ch8-shard-weight": _shard_weight,
    "ch8-pytorch-eps": _pytorch_eps,
}
