"""Answer keys of chapter 10's exercises (see :func:`mmlearn.widgets.exercise`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mmlearn._i18n import _
from mmlearn.widgets.exercises import Exercise, FunctionExercise, NumericExercise, Quiz


def _training_flops_reference(layer_sizes: Sequence[int], batch_size: int, steps: int) -> int:
    """6 FLOPs per weight per sample (forward, dL/dW, dL/dX), biases ignored."""
    per_sample = sum(6 * a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:], strict=True))
    return per_sample * batch_size * steps


def _training_flops() -> Exercise:
    return FunctionExercise(
        _("Write <code>training_flops(layer_sizes, batch_size, steps)</code>."),
        name="training_flops",
        hidden_cases=[([32, 64, 64, 10], 32, 1), ([32, 64, 64, 10], 32, 160),
                      ([784, 512, 512, 10], 256, 10), ([3, 1], 1, 1)],
        reference=_training_flops_reference)


def _chinchilla_flops() -> Exercise:
    return NumericExercise(
        _("Training FLOPs of a 70-billion-parameter model on 1.4 trillion tokens?"),
        answer=6 * 70e9 * 1.4e12, rel_tol=0.02,
        hint=_("multiply 6, the number of parameters and the number of tokens"))


def _reading_learning_curves() -> Exercise:
    return Quiz(
        _("You have 200 labelled image-text pairs for a task like the one of Q1, and no "
          "pretrained encoders. Judging from the learning curves, what is the best plan?"),
        [_("Train the fused model: it uses more information."),
         _("Train the best single-modality model now, and collect more paired data."),
         _("Train the fused model longer: the steps, not the data, are the limit."),
         _("Use a much wider fused model so that it can learn the interactions.")],
        answer=1,
        explanations=[
            _("At 200 samples the fused model was no better than the best single modality in "
              "Q1, within the spread of its seeds: it has the information but not yet the "
              "data to learn when to trust which modality."),
            _("Right: at this size a single modality is as good and simpler, and the fused "
              "curve only rose above it with several times more data."),
            _("Every model in Q1 already trained for at least 300 steps, and in the step "
              "table most runs on 800 samples never reached the target however long they "
              "trained: the data is the limit."),
            _("In the step table a wider model reached the target in fewer steps only when "
              "there was enough data; with 800 samples even the widest model mostly fell "
              "short.")])


EXERCISES: dict[str, Callable[[], Exercise]] = {
    "ch10-training-flops": _training_flops,
    "ch10-chinchilla-flops": _chinchilla_flops,
    "ch10-reading-learning-curves": _reading_learning_curves,
}
