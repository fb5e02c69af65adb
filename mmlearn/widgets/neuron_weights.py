"""Choose a neuron's two weights and bias so that it computes a logic gate."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from mmlearn import activations
from mmlearn._i18n import N_
from mmlearn._validation import lookup
from mmlearn.backend import is_array, to_numpy
from mmlearn.widgets._common import (
    NUMBER_MESSAGES,
    Feedback,
    _short,
    fmt,
    merge_messages,
    parse_number,
)
from mmlearn.widgets.base import Exercise

__all__ = ["NeuronWeightsExercise"]


# Outputs for the input rows (x1, x2) = (0, 0), (0, 1), (1, 0), (1, 1).
GATES: dict[str, tuple[int, int, int, int]] = {
    "and": (0, 0, 0, 1), "or": (0, 1, 1, 1), "nand": (1, 1, 1, 0), "nor": (1, 0, 0, 0),
    "xor": (0, 1, 1, 0), "xnor": (1, 0, 0, 1),
}
_ROWS = ((0, 0), (0, 1), (1, 0), (1, 1))
_PARAMS = ("w1", "w2", "b")


def _to_float(x: Fraction) -> float:
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


class NeuronWeightsExercise(Exercise):
    """Choose w1, w2, b so that a step neuron y = step(w1·x1 + w2·x2 + b) computes a gate.

    ``target`` is a gate name (``"AND"``, ``"OR"``, ``"NAND"``, ``"NOR"``, ``"XOR"``,
    ``"XNOR"``) or four outputs for the rows (0,0), (0,1), (1,0), (1,1). ``check`` takes
    ``(w1, w2, b)`` or ``{"w1": .., "w2": .., "b": ..}`` (numbers or text) and lists every
    row the neuron gets wrong, with its z. The step is ``mmlearn.activations.step``
    (1 where z ≥ 0); z is computed exactly from the decimals given, so 0.1 + 0.2 - 0.3
    is 0. XOR and XNOR cannot be solved by one neuron, and the feedback says so.
    """

    MESSAGES: ClassVar[dict[str, str]] = {
        **Exercise.MESSAGES,
        **NUMBER_MESSAGES,
        "question": N_("Choose w1, w2 and b so that the neuron y = step(w1·x1 + w2·x2 + b) "
                       "computes {target}."),
        "custom_target": N_("the truth table {table}"),
        "bad_answer": N_("Give three numbers w1, w2, b (e.g. (1, 1, -1.5)), got {got}"),
        "bad_number": "{param}: {problem}",
        "correct": N_("Correct: the neuron computes {target} on all 4 rows."),
        "wrong": N_("{n} of 4 rows are wrong:"),
        "row": N_("x = ({x1}, {x2}): z = {expansion} = {z}, step(z) = {y}, but {target} "
                  "gives {want}"),
        "too_often": N_("The neuron fires (outputs 1) where it should not: lower b or the "
                        "weights of the inputs that are 1 there."),
        "too_rarely": N_("The neuron stays at 0 where it should fire: raise b or the weights of "
                         "the inputs that are 1 there."),
        "mixed": N_("Some rows need a larger z and others a smaller one: change the weights, "
                    "not only b."),
        "on_boundary": N_("In row x = ({x1}, {x2}) z is exactly 0, on the boundary, where "
                          "step(0) = {y0}."),
        "impossible": N_("No single neuron can compute {target}: no straight line separates its "
                         "1s from its 0s. That is why networks need a hidden layer."),
    }
    kind = "neuron-weights"

    def __init__(self, target: str | Sequence[int] = "AND", *, question: str | None = None,
                 value_range: tuple[float, float] = (-3.0, 3.0), step: float = 0.1,
                 messages: Mapping[str, str] | None = None) -> None:
        merged = merge_messages(self.MESSAGES, messages, "NeuronWeightsExercise")
        if isinstance(target, str):
            self.table = lookup(target, GATES, "gate")
            self.target_name = target.upper()
        else:
            table = tuple(target) if isinstance(target, Sequence) else None
            if table is None or len(table) != 4 or any(
                    isinstance(v, bool) or v not in (0, 1) for v in table):
                raise ValueError("NeuronWeightsExercise: target must be a gate name or four "
                                 f"0/1 outputs for rows (0,0), (0,1), (1,0), (1,1), got {target!r}")
            self.table = tuple(int(v) for v in table)
            self.target_name = merged["custom_target"].format(table=self.table)
        lo, hi = (float(v) for v in value_range)
        if not lo < hi or step <= 0:
            raise ValueError(f"NeuronWeightsExercise: need value_range low < high and step > 0, "
                             f"got {value_range!r}, {step!r}")
        self.value_range, self.step = (lo, hi), float(step)
        super().__init__(question if question is not None
                         else merged["question"].format(target=self.target_name), messages)

    @property
    def separable(self) -> bool:
        """Whether one neuron can compute the target (all 2-input gates but XOR and XNOR)."""
        return self.table not in (GATES["xor"], GATES["xnor"])

    def _read(self, answer: Any) -> tuple[dict[str, float] | None, str | None]:
        if isinstance(answer, Mapping):
            missing = [p for p in _PARAMS if p not in answer]
            if missing:
                return None, self._msg("bad_answer", got=_short(dict(answer), 60))
            values = [answer[p] for p in _PARAMS]
        elif isinstance(answer, Sequence) and not isinstance(answer, str) and len(answer) == 3:
            values = list(answer)
        elif is_array(answer) and tuple(getattr(answer, "shape", ())) == (3,):
            values = list(to_numpy(answer))
        else:
            return None, self._msg("bad_answer", got=_short(answer, 60))
        parsed = {}
        for param, raw in zip(_PARAMS, values, strict=True):
            value, problem = parse_number(raw, self.messages)
            if value is None:
                return None, self._msg("bad_number", param=param, problem=problem)
            parsed[param] = value
        return parsed, None

    def truth_table(self, w1: float, w2: float, b: float) -> list[dict[str, Any]]:
        """For each input row: x1, x2, z (exact, as a float), y = step(z), and the wanted y."""
        exact = {p: Fraction(repr(round(float(v), 9))) for p, v in zip(_PARAMS, (w1, w2, b),
                                                                        strict=True)}
        # Exact sums can exceed a float (1e308 + 1e308): those become ±inf, still a sign.
        zs = [_to_float(exact["w1"] * x1 + exact["w2"] * x2 + exact["b"]) for x1, x2 in _ROWS]
        ys = activations.step(np.asarray(zs, dtype=np.float64))
        return [{"x1": x1, "x2": x2, "z": z, "y": int(y), "want": want}
                for (x1, x2), z, y, want in zip(_ROWS, zs, ys.tolist(), self.table, strict=True)]

    def _check(self, answer: Any) -> Feedback:
        params, problem = self._read(answer)
        if params is None:
            return Feedback(False, problem or "")
        rows = self.truth_table(params["w1"], params["w2"], params["b"])
        wrong = [r for r in rows if r["y"] != r["want"]]
        if not wrong:
            return Feedback(True, self._msg("correct", target=self.target_name))
        w1, w2, b = (fmt(params[p]) for p in _PARAMS)
        lines = [self._msg("wrong", n=len(wrong))]
        for r in wrong:
            expansion = f"{w1}·{r['x1']} + {w2}·{r['x2']} + {b}".replace("+ -", "- ")
            lines.append("  " + self._msg("row", x1=r["x1"], x2=r["x2"], expansion=expansion,
                                          z=fmt(r["z"]), y=r["y"], target=self.target_name,
                                          want=r["want"]))
        if not self.separable:
            lines.append(self._msg("impossible", target=self.target_name))
        else:
            if all(r["y"] == 1 for r in wrong):
                lines.append(self._msg("too_often"))
            elif all(r["y"] == 0 for r in wrong):
                lines.append(self._msg("too_rarely"))
            else:
                lines.append(self._msg("mixed"))
            for r in wrong:
                if r["z"] == 0:
                    lines.append(self._msg("on_boundary", x1=r["x1"], x2=r["x2"], y0=r["y"]))
        return Feedback(False, "\n".join(lines))

    def _make_input(self, w: Any) -> Any:
        lo, hi = self.value_range
        self.sliders = {p: w.FloatSlider(value=0.0, min=lo, max=hi, step=self.step,
                                         description=p, readout_format=".2f")
                        for p in _PARAMS}
        for p, s in self.sliders.items():
            s.add_class(f"mm-{p}")
        return w.VBox(list(self.sliders.values()))

    def _current_answer(self) -> Any:
        return {p: s.value for p, s in self.sliders.items()}
