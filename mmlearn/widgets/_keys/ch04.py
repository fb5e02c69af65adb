"""Answer keys of chapter 4's exercises (see :func:`mmlearn.widgets.exercise`)."""

from __future__ import annotations

import math
from collections.abc import Callable

from mmlearn._i18n import _
from mmlearn.widgets.exercises import Exercise, NumericExercise, Quiz


def _boundary_distance() -> NumericExercise:
    # |b| / ||w|| for w = (1, 2), b = -3: the closest point of the line is (0.6, 1.2)
    return NumericExercise(
        _("Distance from the origin to the line w1*x1 + w2*x2 + b = 0 "
          "for w = (1, 2), b = -3:"),
        answer=3 / math.sqrt(5), tol=1e-3,
        hint=_("the point of the line closest to the origin lies in the direction of w."),
        reveal_after=3)


def _weight_scaling() -> Quiz:
    # Each explanation fits one printed line (79 characters) after "✓ Correct! ".
    return Quiz(
        _("Doubling w1, w2 and b of a sigmoid neuron:"),
        [_("moves the decision boundary twice as far from the origin"),
         _("turns the decision boundary"),
         _("keeps the decision boundary, and makes y change faster across it"),
         _("changes nothing: y stays the same at every point")],
        answer=2,
        explanations=[
            _("the distance is |b| / ||w||, and doubling both leaves it unchanged."),
            _("the direction of w sets the line's direction, and doubling keeps it."),
            _("z doubles everywhere: z = 0 on the same line, y steeper across it."),
            _("off the line z doubles, and sigmoid(2z) is not sigmoid(z)."),
        ])


EXERCISES: dict[str, Callable[[], Exercise]] = {
    "ch4-boundary-distance": _boundary_distance,
    "ch4-weight-scaling": _weight_scaling,
}
