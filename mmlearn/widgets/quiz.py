"""Multiple choice: one right option, an explanation for each wrong one."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from mmlearn._i18n import N_
from mmlearn._names import did_you_mean
from mmlearn.widgets._common import (
    Feedback,
    _short,
)
from mmlearn.widgets.base import Exercise

__all__ = ["Quiz"]


class Quiz(Exercise):
    """Multiple choice with one right option and an explanation per option.

    ``answer`` is the right option's index or text. ``explanations`` is a list aligned
    with ``options`` (``None`` for none) or a dict option -> text. A wrong choice is
    answered with its own explanation; the right one with "Correct!" and its explanation.
    ``check`` takes an option's index or text.
    """

    MESSAGES: ClassVar[dict[str, str]] = {
        **Exercise.MESSAGES,
        "empty": N_("Choose one of the options, then press Check."),
        "unknown": N_("{got} is not one of the options; choose one of: {options}"),
        "correct": N_("Correct! {explanation}"),
        "wrong": N_("Not quite: {explanation}"),
        "wrong_plain": N_("Not quite: “{choice}” is not the answer. Read the question again "
                          "and try another option."),
    }
    kind = "quiz"

    def __init__(self, question: str, options: Sequence[str], answer: int | str,
                 explanations: Sequence[str | None] | Mapping[str, str] | None = None, *,
                 messages: Mapping[str, str] | None = None) -> None:
        super().__init__(question, messages)
        if isinstance(options, str) or not isinstance(options, Sequence):
            raise TypeError(f"Quiz: options must be a list of str, got {type(options).__name__}")
        options = list(options)
        if len(options) < 2 or not all(isinstance(o, str) and o for o in options):
            raise ValueError(f"Quiz: options must be at least 2 non-empty strings, got {options!r}")
        if len(set(options)) != len(options):
            raise ValueError(f"Quiz: options must be distinct, got {options!r}")
        self.options = options
        if isinstance(answer, bool) or not isinstance(answer, int | str):
            raise TypeError(f"Quiz: answer must be an option's index or text, got {answer!r}")
        if isinstance(answer, str):
            if answer not in options:
                raise ValueError(f"Quiz: answer {answer!r} is not one of the options {options}"
                                 + did_you_mean(answer, options))
            answer = options.index(answer)
        if not 0 <= answer < len(options):
            raise ValueError(f"Quiz: answer index must be in [0, {len(options) - 1}], "
                             f"got {answer}")
        self.answer = answer
        self.explanations = self._explanations(explanations)

    def _explanations(self, explanations: Any) -> list[str]:
        n = len(self.options)
        if explanations is None:
            return [""] * n
        if isinstance(explanations, Mapping):
            unknown = [k for k in explanations if k not in self.options]
            if unknown:
                raise ValueError(f"Quiz: explanations name {unknown}, which are not options "
                                 f"{self.options}")
            return [explanations.get(o) or "" for o in self.options]
        if isinstance(explanations, str) or not isinstance(explanations, Sequence):
            raise TypeError("Quiz: explanations must be a list aligned with options or a dict "
                            f"option -> text, got {type(explanations).__name__}")
        if len(explanations) != n:
            raise ValueError(f"Quiz: explanations has {len(explanations)} entries but there are "
                             f"{n} options")
        return [e or "" for e in explanations]

    def _choice_index(self, choice: Any) -> tuple[int | None, str | None]:
        if choice is None or (isinstance(choice, str) and not choice.strip()):
            return None, self._msg("empty")
        if isinstance(choice, numbers.Integral) and not isinstance(choice, bool):
            if 0 <= int(choice) < len(self.options):
                return int(choice), None
        elif isinstance(choice, str):
            if choice in self.options:
                return self.options.index(choice), None
            folded = [o.strip().casefold() for o in self.options]
            if choice.strip().casefold() in folded:
                return folded.index(choice.strip().casefold()), None
        shown = ", ".join(f"“{o}”" for o in self.options)
        return None, self._msg("unknown", got=_short(choice, 40), options=shown)

    def _check(self, answer: Any) -> Feedback:
        index, problem = self._choice_index(answer)
        if index is None:
            return Feedback(False, problem or "")
        explanation = self.explanations[index]
        if index == self.answer:
            return Feedback(True, self._msg("correct", explanation=explanation).strip())
        if explanation:
            return Feedback(False, self._msg("wrong", explanation=explanation))
        return Feedback(False, self._msg("wrong_plain", choice=self.options[index]))

    def _make_input(self, w: Any) -> Any:
        self.choices = w.RadioButtons(options=self.options, value=None,
                                      layout=w.Layout(width="auto"))
        self.choices.add_class("mm-choices")
        return self.choices

    def _current_answer(self) -> Any:
        return self.choices.index
