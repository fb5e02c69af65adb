"""A number as the answer: typed as text, parsed safely, checked with a tolerance."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any, ClassVar

from mmlearn._i18n import N_
from mmlearn.widgets._common import (
    NUMBER_MESSAGES,
    Feedback,
    fmt,
    parse_number,
)
from mmlearn.widgets.base import Exercise

__all__ = ["NumericExercise"]


class NumericExercise(Exercise):
    """A question whose answer is a number, typed as text.

    Right when ``|value - answer| <= max(tol, rel_tol * |answer|)``. Malformed input
    (``"abc"``, ``""``, ``"1,5"``, ``"nan"``, ``"50%"``) gets a message saying what is
    wrong and what to type; a wrong number is called too high or too low, followed by
    ``hint``. With ``reveal_after=k`` the widget shows the answer after k wrong tries.
    Small expressions such as ``1/(1+exp(-0.7))`` are accepted (see ``parse_number``).
    """

    MESSAGES: ClassVar[dict[str, str]] = {
        **Exercise.MESSAGES,
        **NUMBER_MESSAGES,
        "placeholder": N_("a number, e.g. 0.5"),
        "correct": N_("Correct: {value}."),
        "correct_close": N_("Correct: {value} (the exact value is {answer})."),
        "too_high": N_("{value} is too high."),
        "too_low": N_("{value} is too low."),
        "hint": N_("Hint: {hint}"),
        "reveal": N_("The answer is {answer}."),
    }
    kind = "numeric"

    def __init__(self, question: str, answer: float, tol: float = 1e-2,
                 hint: str | None = None, *, rel_tol: float = 0.0,
                 reveal_after: int | None = None,
                 messages: Mapping[str, str] | None = None) -> None:
        super().__init__(question, messages)
        for arg, value in (("answer", answer), ("tol", tol), ("rel_tol", rel_tol)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                    or not math.isfinite(float(value)):
                raise TypeError(f"NumericExercise: {arg} must be a finite number, got {value!r}")
        if tol < 0 or rel_tol < 0:
            raise ValueError(f"NumericExercise: tol and rel_tol must be >= 0, got {tol}, "
                             f"{rel_tol}")
        if hint is not None and not isinstance(hint, str):
            raise TypeError(f"NumericExercise: hint must be a str, got {type(hint).__name__}")
        if reveal_after is not None and (isinstance(reveal_after, bool)
                                         or not isinstance(reveal_after, int)
                                         or reveal_after < 1):
            raise ValueError(f"NumericExercise: reveal_after must be an int >= 1 or None, "
                             f"got {reveal_after!r}")
        self.answer = float(answer)
        self.tol, self.rel_tol = float(tol), float(rel_tol)
        self.hint = hint
        self.reveal_after = reveal_after

    def _check(self, answer: Any) -> Feedback:
        value, problem = parse_number(answer, self.messages)
        if value is None:
            return Feedback(False, problem or "")
        allowed = max(self.tol, self.rel_tol * abs(self.answer))
        if abs(value - self.answer) <= allowed:
            if value == self.answer:
                return Feedback(True, self._msg("correct", value=fmt(value, 6)))
            return Feedback(True, self._msg("correct_close", value=fmt(value, 6),
                                            answer=fmt(self.answer, 6)))
        key = "too_high" if value > self.answer else "too_low"
        message = self._msg(key, value=fmt(value, 6))
        if self.hint:
            message += " " + self._msg("hint", hint=self.hint)
        return Feedback(False, message)

    def _after_check(self, feedback: Feedback) -> Feedback:
        if (not feedback.correct and self.reveal_after is not None
                and self.attempts >= self.reveal_after):
            return Feedback(False, feedback.message + " "
                            + self._msg("reveal", answer=fmt(self.answer, 6)))
        return feedback

    def _make_input(self, w: Any) -> Any:
        self.answer_box = w.Text(value="", placeholder=self.messages["placeholder"])
        self.answer_box.add_class("mm-answer")
        return self.answer_box

    def _current_answer(self) -> Any:
        return self.answer_box.value
