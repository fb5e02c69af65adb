"""Answer keys of chapter 2's exercises (see :func:`mmlearn.widgets.exercise`)."""

from __future__ import annotations

from collections.abc import Callable

from mmlearn._i18n import N_, _
from mmlearn.widgets.exercises import Exercise, FunctionExercise, NumericExercise, Quiz

_CONCEPTS = [N_("multimodal learning"), N_("deep learning"), N_("large-scale neural networks"),
             N_("transfer learning")]


def _concepts() -> list[str]:
    """The four concepts, the options of both situations, in the active language."""
    return [_(concept) for concept in _CONCEPTS]


def _situation_a() -> Quiz:
    return Quiz(
        _("Situation A: which concept does the clinic use most directly?"),
        _concepts(),
        answer=_CONCEPTS.index("transfer learning"),
        explanations=[
            _("the clinic's own task uses one modality (photographs) only."),
            _("a deep network is involved, but the point is where its weights come from."),
            _("the encoder is large, but the clinic does not train a large network itself."),
            _("knowledge learned on one task (photos with captions) is reused on a new task "
              "with few labels, with the encoder frozen: that is transfer learning (a "
              "linear probe)."),
        ])


def _situation_b() -> Quiz:
    return Quiz(
        _("Situation B: which concept explains the improvement?"),
        _concepts(),
        answer=_CONCEPTS.index("multimodal learning"),
        explanations=[
            _("integrating several data sources (pictures, audio, subtitles) lets the model "
              "use evidence that one source alone does not carry."),
            _("both models may well be deep; what changed is how many sources they see."),
            _("nothing says the second model is bigger; it sees more kinds of data."),
            _("nothing is reused from another task here."),
        ])


def _seed_params() -> NumericExercise:
    return NumericExercise(
        _("How many parameters does the seed's network 32 → 64 → 64 → 10 have?"),
        answer=(32 + 1) * 64 + (64 + 1) * 64 + (64 + 1) * 10, tol=0.5,
        hint=_("add (inputs + 1) × neurons over the three Dense layers; each neuron has "
               "one bias."))


def _count_dense_params_reference(sizes: list[int]) -> int:
    # layer k maps sizes[k - 1] inputs to sizes[k] neurons, each with one bias
    return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True))


def _count_params() -> FunctionExercise:
    return FunctionExercise(
        _("Write count_dense_params(sizes): the number of parameters of a Dense stack "
          "whose layer sizes, input first, are the list sizes."),
        name="count_dense_params",
        hidden_cases=[[32, 64, 64, 10], [1, 1], [1, 16, 16, 1], [2, 3],
                      [784, 512, 512, 10], [256, 64, 32, 4], [7]],
        reference=_count_dense_params_reference)


EXERCISES: dict[str, Callable[[], Exercise]] = {
    "ch2-situation-a": _situation_a,
    "ch2-situation-b": _situation_b,
    "ch2-seed-params": _seed_params,
    "ch2-count-params": _count_params,
}
