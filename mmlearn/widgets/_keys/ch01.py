"""Answer keys of chapter 1's exercises (see :func:`mmlearn.widgets.exercise`)."""

from __future__ import annotations

import math
from collections.abc import Callable

from mmlearn._i18n import _
from mmlearn.widgets.exercises import Exercise, NumericExercise, Quiz


def _normal_cdf(v: float) -> float:
    """Φ(v), the standard normal cumulative distribution function."""
    return 0.5 * (1 + math.erf(v / math.sqrt(2)))


def _fusion_cannot_help() -> Quiz:
    return Quiz(
        _("Which second modality can NOT raise the best achievable accuracy?"),
        [_("a noisy view of the same label, with noise independent of the first "
           "modality's"),
         _("an exact copy of the first modality"),
         _("a modality that is sometimes ambiguous, but never on the same samples as the "
           "first"),
         _("a much noisier view of the same label, with independent noise")],
        answer=1,
        explanations=[
            _("independent noise is the case of the closed-form section: the "
              "signal-to-noise ratios add in squares, so the best fused accuracy is higher."),
            _("A copy carries no new information: anything a model computes from both it "
              "can compute from one. The noise is the same noise, not independent, so r "
              "does not grow."),
            _("this is the reviews task: each modality settles the other's doubtful "
              "samples, and the best fused accuracy is 100%."),
            _("it still helps a little: sqrt(r1^2 + r2^2) > r1 whenever r2 > 0."),
        ],
    )


def _closed_form() -> NumericExercise:
    # separation 1, noise 1 (image) and 2 (text): r = 1 and 0.5
    return NumericExercise(
        _("Best possible fused accuracy for noise levels 1 (image) and 2 (text), "
          "separation 1?"),
        answer=_normal_cdf(math.hypot(1 / 1, 1 / 2)),
        tol=0.005,
        hint=_("compute r for each modality, combine them as sqrt(r1^2 + r2^2), then "
               "apply Phi."),
        reveal_after=3,
    )


EXERCISES: dict[str, Callable[[], Exercise]] = {
    "ch1-fusion-cannot-help": _fusion_cannot_help,
    "ch1-closed-form": _closed_form,
}
