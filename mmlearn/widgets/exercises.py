"""Auto-checked exercises: a pure ``check(answer) -> Feedback`` and a widget around it.

Every exercise separates the checking (plain Python, testable and gradable without a
browser) from the display (an ipywidgets box with the question, an input, a Check
button and a feedback area, built on first use)::

    q = Quiz("Which activation outputs values in (0, 1)?",
             ["relu", "sigmoid", "tanh"], answer="sigmoid",
             explanations=["relu is unbounded above", "σ(z) = 1/(1+e^-z)", "tanh is in (-1, 1)"])
    q.check("relu")       # Feedback(correct=False, message='Not quite: relu is unbounded above')
    q                     # as the last line of a cell: shows the widget

A checker never raises on a student's answer, however wrong, empty or mistyped: it
returns ``Feedback(correct=False, message=...)`` saying what is wrong and what to try.
(Mistakes of the *author*, such as an answer that is not among the options, raise
``ValueError``/``TypeError`` at construction.)

All the words a student reads come from arguments: the question, options and
explanations, and ``messages=`` (a dict overriding any of the class's ``MESSAGES``
templates), so an edition in another language passes its own strings.
"""

from __future__ import annotations

import builtins
import copy
import inspect
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from mmlearn._validation import did_you_mean, lookup
from mmlearn.backend import is_array, to_numpy
from mmlearn.widgets import _sandbox
from mmlearn.widgets._common import (
    NUMBER_MESSAGES,
    STYLE,
    Feedback,
    _short,
    feedback_html,
    fmt,
    merge_messages,
    parse_number,
)

__all__ = ["Exercise", "Feedback", "FunctionExercise", "NeuronWeightsExercise",
           "NumericExercise", "Quiz"]


class Exercise:
    """Base of the exercises: messages, a never-raising ``check``, and the widget.

    Subclasses implement ``_check(answer)``, ``_make_input(widgets)`` (the input control)
    and ``_current_answer()`` (read the control). The widget is built on first access of
    :attr:`widget`; afterwards ``check_button``, ``feedback`` (an HTML widget) and the
    subclass's input controls are attributes, so tests can drive them from Python.
    """

    MESSAGES: ClassVar[dict[str, str]] = {
        "check": "Check",
        "internal": "Could not check this answer ({error}: {msg}). Please report this.",
    }
    kind: ClassVar[str] = "exercise"

    def __init__(self, question: str, messages: Mapping[str, str] | None = None) -> None:
        if not isinstance(question, str):
            raise TypeError(f"{type(self).__name__}: question must be a str, "
                            f"got {type(question).__name__}")
        self.question = question
        self.messages = merge_messages(self.MESSAGES, messages, type(self).__name__)
        self.attempts = 0
        self.last_feedback: Feedback | None = None
        self._widget: Any = None

    # -- checking -------------------------------------------------------------
    def check(self, answer: Any) -> Feedback:
        """Judge ``answer``; never raises (an unexpected failure becomes a Feedback too)."""
        try:
            return self._check(answer)
        except Exception as err:  # a bug here must not leave the student without feedback
            return Feedback(False, self.messages["internal"].format(
                error=type(err).__name__, msg=err))

    def _check(self, answer: Any) -> Feedback:
        raise NotImplementedError

    def _msg(self, key: str, **fields: Any) -> str:
        return self.messages[key].format(**fields)

    # -- display ---------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """The ipywidgets box (question, input, Check button, feedback), built once."""
        if self._widget is None:
            self._widget = self._build()
        return self._widget

    def _build(self) -> Any:
        import ipywidgets as w

        self.question_html = w.HTMLMath(value=self.question)
        control = self._make_input(w)
        self.check_button = w.Button(description=self.messages["check"],
                                     button_style="primary")
        self.check_button.add_class("mm-check")
        self.feedback = w.HTML(value="")
        self.feedback.add_class("mm-feedback")
        self.check_button.on_click(self._on_check)
        box = w.VBox([w.HTML(STYLE), self.question_html, control, self.check_button,
                      self.feedback])
        box.add_class("mm-widget")
        box.add_class(f"mm-{self.kind}")
        return box

    def _make_input(self, w: Any) -> Any:
        raise NotImplementedError

    def _current_answer(self) -> Any:
        raise NotImplementedError

    def submit(self, answer: Any = None) -> Feedback:
        """Check ``answer`` (default: what the widget's input holds) and show the feedback."""
        self.widget  # noqa: B018  (make sure the controls exist)
        if answer is None:
            answer = self._current_answer()
        self.attempts += 1
        feedback = self._after_check(self.check(answer))
        self.last_feedback = feedback
        self.feedback.value = feedback_html(feedback)
        return feedback

    def _on_check(self, _button: Any = None) -> None:
        try:
            self.submit()
        except Exception as err:
            self.feedback.value = feedback_html(Feedback(False, self.messages["internal"].format(
                error=type(err).__name__, msg=err)))

    def _after_check(self, feedback: Feedback) -> Feedback:
        return feedback

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"{type(self).__name__}({_short(self.question, 60)})"
        return bundle


# ============================================================================ Quiz


class Quiz(Exercise):
    """Multiple choice with one right option and an explanation per option.

    ``answer`` is the right option's index or text. ``explanations`` is a list aligned
    with ``options`` (``None`` for none) or a dict option -> text. A wrong choice is
    answered with its own explanation; the right one with "Correct!" and its explanation.
    ``check`` takes an option's index or text.
    """

    MESSAGES: ClassVar[dict[str, str]] = {
        **Exercise.MESSAGES,
        "empty": "Choose one of the options, then press Check.",
        "unknown": "{got} is not one of the options; choose one of: {options}",
        "correct": "Correct! {explanation}",
        "wrong": "Not quite: {explanation}",
        "wrong_plain": "Not quite: “{choice}” is not the answer. Read the question again "
                       "and try another option.",
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


# ============================================================================ numbers


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
        "placeholder": "a number, e.g. 0.5",
        "correct": "Correct: {value}.",
        "correct_close": "Correct: {value} (the exact value is {answer}).",
        "too_high": "{value} is too high.",
        "too_low": "{value} is too low.",
        "hint": "Hint: {hint}",
        "reveal": "The answer is {answer}.",
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


# ============================================================================ neuron weights

# Outputs for the input rows (x1, x2) = (0, 0), (0, 1), (1, 0), (1, 1).
GATES: dict[str, tuple[int, int, int, int]] = {
    "and": (0, 0, 0, 1), "or": (0, 1, 1, 1), "nand": (1, 1, 1, 0), "nor": (1, 0, 0, 0),
    "xor": (0, 1, 1, 0), "xnor": (1, 0, 0, 1),
}
_ROWS = ((0, 0), (0, 1), (1, 0), (1, 1))
_PARAMS = ("w1", "w2", "b")


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
        "question": "Choose w1, w2 and b so that the neuron y = step(w1·x1 + w2·x2 + b) "
                    "computes {target}.",
        "custom_target": "the truth table {table}",
        "bad_answer": "Give three numbers w1, w2, b (e.g. (1, 1, -1.5)), got {got}",
        "bad_number": "{param}: {problem}",
        "correct": "Correct: the neuron computes {target} on all 4 rows.",
        "wrong": "{n} of 4 rows are wrong:",
        "row": "x = ({x1}, {x2}): z = {expansion} = {z}, step(z) = {y}, but {target} "
               "gives {want}",
        "too_often": "The neuron fires (outputs 1) where it should not: lower b or the "
                     "weights of the inputs that are 1 there.",
        "too_rarely": "The neuron stays at 0 where it should fire: raise b or the weights of "
                      "the inputs that are 1 there.",
        "mixed": "Some rows need a larger z and others a smaller one: change the weights, "
                 "not only b.",
        "on_boundary": "In row x = ({x1}, {x2}) z is exactly 0, on the boundary, where "
                       "step(0) = {y0}.",
        "impossible": "No single neuron can compute {target}: no straight line separates its "
                      "1s from its 0s. That is why networks need a hidden layer.",
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
        from mmlearn import activations

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


# ============================================================================ functions


def _to_float(x: Fraction) -> float:
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


@dataclass
class _Case:
    args: tuple
    expected: Any


class FunctionExercise(Exercise):
    """The student writes a Python function; Check runs it on hidden cases.

    ``hidden_cases`` is a list of ``(args, expected)`` pairs, where ``args`` is a tuple
    of positional arguments (anything else is one argument). With ``reference`` (a
    correct implementation) each case is just ``args`` and the expected value is
    ``reference(*args)``, computed once here. Results are compared with tolerance
    (``rtol``, ``atol``) for numbers and arrays, element by element for lists, tuples
    and dicts, and with ``==`` otherwise.

    ``check(code)`` executes the code in a fresh namespace (``namespace`` adds names
    such as ``np``) with a time limit of ``time_limit`` seconds per run (see
    ``mmlearn.widgets._sandbox`` for what the guard can and cannot stop) and reports
    the first failing case, a syntax error with its line, an exception with its type,
    message and line, a result of the wrong type or shape, or a missing ``return``.
    The code runs in the kernel's process: this is a guard against mistakes, not a
    sandbox against malice.
    """

    MESSAGES: ClassVar[dict[str, str]] = {
        **Exercise.MESSAGES,
        "empty": "Write a function named `{name}` in the box, then press Check.",
        "unchanged": "This is still the starter code: write the body of `{name}`, then "
                     "press Check.",
        "wrong_input": "Expected your code as text, got {type}.",
        "syntax": "{error} on line {line}: {msg}\n{snippet}",
        "define_error": "Your code raised {error} on line {line} before `{name}` could be "
                        "defined: {msg}\n    {line_text}",
        "define_timeout": "Your code did not finish within {seconds} s while being defined "
                          "(line {line}). Is there a loop outside the function?",
        "missing": "Your code does not define a function named `{name}`{others}. "
                   "Start it with `def {name}(`.",
        "defines": " (it defines {names})",
        "not_callable": "`{name}` is {type}, not a function: define it with "
                        "`def {name}(...):`.",
        "bad_call": "Your function cannot be called as {call}: {msg}. Check its parameters.",
        "raised": "{call} raised {error}: {msg}{where}",
        "exited": "{call} called exit(); a function should return its result instead.",
        "at_line": "\n    line {line}: {line_text}",
        "timeout": "{call} did not finish within {seconds} s{where}\nIs there a loop whose "
                   "condition never becomes false?",
        "returned_none": "{call} returned None, expected {expected}. Did you forget "
                         "`return`?{printed}",
        "printed": " (it printed {text})",
        "wrong_type": "{call} returned {got} ({got_type}), expected {expected_type} "
                      "such as {expected}.",
        "wrong_shape": "{call} returned {got}, of shape {got_shape}; expected shape "
                       "{expected_shape}, such as {expected}.",
        "wrong_length": "{call} returned {got_len} items, expected {expected_len}.",
        "wrong_keys": "{call} returned a dict with keys {got_keys}, expected keys "
                      "{expected_keys}.",
        "wrong_value": "{call} returned {got}, expected {expected}.",
        "wrong_at": "{call} returned {got}, expected {expected} (first difference at "
                    "{where}: {got_item} instead of {expected_item}).",
        "correct": "All {n} test cases pass.",
    }
    kind = "function"

    def __init__(self, prompt: str, name: str, hidden_cases: Sequence[Any],
                 reference: Callable[..., Any] | None = None, *,
                 starter_code: str | None = None, time_limit: float | None = 2.0,
                 rtol: float = 1e-6, atol: float = 1e-9,
                 namespace: Mapping[str, Any] | None = None,
                 messages: Mapping[str, str] | None = None) -> None:
        super().__init__(prompt, messages)
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"FunctionExercise: name must be a Python identifier, got {name!r}")
        if isinstance(hidden_cases, str | bytes) or not isinstance(hidden_cases, Sequence) \
                or len(hidden_cases) == 0:
            raise ValueError("FunctionExercise: hidden_cases must be a non-empty list, got "
                             f"{_short(hidden_cases, 60)}")
        if reference is not None and not callable(reference):
            raise TypeError(f"FunctionExercise: reference must be callable, got "
                            f"{type(reference).__name__}")
        if time_limit is not None and not (isinstance(time_limit, int | float)
                                           and time_limit > 0):
            raise ValueError(f"FunctionExercise: time_limit must be a positive number of "
                             f"seconds or None, got {time_limit!r}")
        self.name = name
        self.reference = reference
        self.time_limit = time_limit
        self.rtol, self.atol = float(rtol), float(atol)
        self.namespace = dict(namespace or {})
        self.cases = [self._case(i, c) for i, c in enumerate(hidden_cases)]
        self.starter_code = starter_code if starter_code is not None else self._starter()

    def _case(self, i: int, case: Any) -> _Case:
        if self.reference is None:
            if not (isinstance(case, Sequence) and not isinstance(case, str) and len(case) == 2):
                raise ValueError(f"FunctionExercise: hidden_cases[{i}] must be a pair (args, "
                                 f"expected) when no reference is given, got {_short(case, 60)}")
            args, expected = case
            return _Case(args if isinstance(args, tuple) else (args,), expected)
        args = case if isinstance(case, tuple) else (case,)
        try:
            expected = self.reference(*copy.deepcopy(args))
        except Exception as err:
            raise ValueError(f"FunctionExercise: reference{_short(args, 60)} raised "
                             f"{type(err).__name__}: {err}") from err
        return _Case(args, expected)

    def _starter(self) -> str:
        if self.reference is not None:
            try:
                params = ", ".join(inspect.signature(self.reference).parameters)
            except (TypeError, ValueError):
                params = None
        else:
            params = None
        if params is None:
            n = len(self.cases[0].args)
            params = "x" if n == 1 else ", ".join(f"x{i + 1}" for i in range(n))
        return f"def {self.name}({params}):\n    ...\n"

    # -- checking ------------------------------------------------------------------
    def _check(self, answer: Any) -> Feedback:
        seconds = fmt(self.time_limit) if self.time_limit is not None else "∞"
        if answer is None or (isinstance(answer, str) and not answer.strip()):
            return Feedback(False, self._msg("empty", name=self.name))
        if not isinstance(answer, str):
            return Feedback(False, self._msg("wrong_input", type=_type_name(answer)))
        code = answer
        if code.strip() == self.starter_code.strip():
            return Feedback(False, self._msg("unchanged", name=self.name))
        try:
            compiled = compile(code, _sandbox.FILENAME, "exec")
        except (SyntaxError, ValueError) as err:
            return Feedback(False, self._syntax_message(err, code))
        namespace: dict[str, Any] = {"__builtins__": builtins, "__name__": "__student__",
                                     **self.namespace}
        outcome = _sandbox.run(lambda: exec(compiled, namespace), code, self.time_limit)
        if outcome.timed_out:
            return Feedback(False, self._msg("define_timeout", seconds=seconds,
                                             line=outcome.line or "?"))
        if outcome.error is not None:
            return Feedback(False, self._msg(
                "define_error", error=type(outcome.error).__name__, msg=outcome.error,
                line=outcome.line or "?", line_text=outcome.line_text, name=self.name))
        fn = namespace.get(self.name)
        if fn is None:
            found = [k for k, v in namespace.items()
                     if callable(v) and k not in self.namespace and not k.startswith("__")
                     and getattr(v, "__module__", None) == "__student__"]
            others = self._msg("defines", names=", ".join(f"`{k}`" for k in found)) \
                if found else ""
            return Feedback(False, self._msg("missing", name=self.name, others=others))
        if not callable(fn):
            return Feedback(False, self._msg("not_callable", name=self.name,
                                             type=_type_name(fn)))
        for case in self.cases:
            problem = self._run_case(fn, case, code, seconds)
            if problem is not None:
                return Feedback(False, problem)
        return Feedback(True, self._msg("correct", n=len(self.cases)))

    def _syntax_message(self, err: Exception, code: str) -> str:
        line = getattr(err, "lineno", None) or "?"
        text = getattr(err, "text", None)
        if not text and isinstance(line, int) and 1 <= line <= len(code.splitlines()):
            text = code.splitlines()[line - 1]
        snippet = ""
        if text:
            text = text.rstrip("\n")
            snippet = f"    {text}\n"
            offset = getattr(err, "offset", None)
            if isinstance(offset, int) and offset >= 1:
                snippet += "    " + " " * (offset - 1) + "^\n"
        msg = getattr(err, "msg", None) or str(err)
        return self._msg("syntax", error=type(err).__name__, line=line, msg=msg,
                         snippet=snippet).rstrip()

    def _call_text(self, args: tuple) -> str:
        return f"{self.name}({', '.join(_value(a, 40) for a in args)})"

    def _run_case(self, fn: Callable, case: _Case, code: str, seconds: str) -> str | None:
        call = self._call_text(case.args)
        try:
            inspect.signature(fn).bind(*case.args)
        except TypeError as err:
            return self._msg("bad_call", call=call, msg=err)
        except ValueError:
            pass  # no signature available (a builtin): just try the call
        args = copy.deepcopy(case.args)
        outcome = _sandbox.run(lambda: fn(*args), code, self.time_limit)
        where = self._msg("at_line", line=outcome.line, line_text=outcome.line_text) \
            if outcome.line else ""
        if outcome.timed_out:
            return self._msg("timeout", call=call, seconds=seconds, where=where)
        if isinstance(outcome.error, SystemExit):
            return self._msg("exited", call=call)
        if outcome.error is not None:
            return self._msg("raised", call=call, error=type(outcome.error).__name__,
                             msg=outcome.error, where=where)
        diff = _difference(outcome.value, case.expected, self.rtol, self.atol)
        if diff is None:
            return None
        got, expected = _value(outcome.value), _value(case.expected)
        if diff.kind == "none":
            printed = self._msg("printed", text=_short(outcome.stdout.strip(), 60)) \
                if outcome.stdout.strip() else ""
            return self._msg("returned_none", call=call, expected=expected, printed=printed)
        if diff.where:
            return self._msg("wrong_at", call=call, got=got, expected=expected,
                             where=diff.where, got_item=diff.got, expected_item=diff.expected)
        if diff.kind == "type":
            return self._msg("wrong_type", call=call, got=got, got_type=diff.got,
                             expected_type=diff.expected, expected=expected)
        if diff.kind == "shape":
            return self._msg("wrong_shape", call=call, got=got, got_shape=diff.got,
                             expected_shape=diff.expected, expected=expected)
        if diff.kind == "length":
            return self._msg("wrong_length", call=call, got_len=diff.got,
                             expected_len=diff.expected)
        if diff.kind == "keys":
            return self._msg("wrong_keys", call=call, got_keys=diff.got,
                             expected_keys=diff.expected)
        return self._msg("wrong_value", call=call, got=got, expected=expected)

    # -- widget --------------------------------------------------------------------
    def _make_input(self, w: Any) -> Any:
        lines = max(6, min(20, self.starter_code.count("\n") + 3))
        self.code_box = w.Textarea(value=self.starter_code, rows=lines,
                                   layout=w.Layout(width="100%"))
        self.code_box.add_class("mm-code")
        return self.code_box

    def _current_answer(self) -> Any:
        return self.code_box.value


# ---------------------------------------------------------------------------- comparison


@dataclass
class _Diff:
    kind: str           # "none", "type", "shape", "length", "keys", "value"
    got: Any = ""
    expected: Any = ""
    where: str = ""


def _type_name(x: Any) -> str:
    """What kind of value ``x`` is, with its article: "a number", "an array of shape (2,)"."""
    if x is None:
        return "None"
    if isinstance(x, bool | np.bool_):
        return "a bool"
    if isinstance(x, numbers.Number) or (isinstance(x, np.ndarray) and x.ndim == 0):
        return "a number"
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    name = type(x).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _value(x: Any, limit: int = 80) -> str:
    """A value as a student reads it: 0.5, [1, 2], array([0.5, 0.])."""
    if isinstance(x, float | np.floating):
        text = repr(float(x))
        return text if len(text) <= 10 else fmt(float(x), 6)
    if isinstance(x, np.ndarray):
        text = np.array2string(x, precision=4, separator=", ", threshold=20)
        text = f"array({text})"
        return text if len(text) <= limit else text[: limit - 1] + "…"
    return _short(x, limit)


def _is_number(x: Any) -> bool:
    if isinstance(x, bool | np.bool_):
        return False
    if isinstance(x, numbers.Real):
        return True
    return isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "fiu"


def _difference(got: Any, expected: Any, rtol: float, atol: float,
                where: str = "") -> _Diff | None:
    """None when ``got`` matches ``expected``; else what differs (first difference)."""
    if is_array(got) and not isinstance(got, np.ndarray):
        got = to_numpy(got)
    if is_array(expected) and not isinstance(expected, np.ndarray):
        expected = to_numpy(expected)
    if got is None and expected is not None:
        return _Diff("none", where=where) if not where else _Diff(
            "value", "None", _value(expected, 30), where)
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        return _array_difference(got, expected, rtol, atol, where)
    if isinstance(expected, bool | np.bool_):
        if not isinstance(got, bool | np.bool_):
            return _Diff("type", _type_name(got), "a bool", where)
        return None if bool(got) == bool(expected) else _Diff(
            "value", _value(got, 30), _value(expected, 30), where)
    if _is_number(expected):
        if not _is_number(got):
            return _Diff("type", _type_name(got), "a number", where)
        try:
            g, e = float(got), float(expected)
        except OverflowError:                     # an int such as 10**400
            return None if got == expected else _Diff(
                "value", _value(got, 30), _value(expected, 30), where)
        if (math.isnan(g) and math.isnan(e)) or math.isclose(g, e, rel_tol=rtol, abs_tol=atol):
            return None
        return _Diff("value", _value(got, 30), _value(expected, 30), where)
    if isinstance(expected, str):
        if not isinstance(got, str):
            return _Diff("type", _type_name(got), "a str", where)
        return None if got == expected else _Diff("value", _value(got, 30),
                                                   _value(expected, 30), where)
    if isinstance(expected, list | tuple):
        if isinstance(got, np.ndarray) and got.ndim > 0:
            got = list(got)
        if not isinstance(got, list | tuple):
            return _Diff("type", _type_name(got), _type_name(expected), where)
        if len(got) != len(expected):
            if where:
                return _Diff("value", f"{len(got)} items", f"{len(expected)} items", where)
            return _Diff("length", len(got), len(expected))
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            sub = _difference(g, e, rtol, atol, f"{where}[{i}]")
            if sub is not None:
                return _nested(sub, where, f"{where}[{i}]", g, e)
        return None
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            return _Diff("type", _type_name(got), "a dict", where)
        if set(got) != set(expected):
            keys = (sorted(map(repr, got)), sorted(map(repr, expected)))
            if where:
                return _Diff("value", f"keys {keys[0]}", f"keys {keys[1]}", where)
            return _Diff("keys", ", ".join(keys[0]), ", ".join(keys[1]))
        for k in expected:
            sub = _difference(got[k], expected[k], rtol, atol, f"{where}[{k!r}]")
            if sub is not None:
                return _nested(sub, where, f"{where}[{k!r}]", got[k], expected[k])
        return None
    try:
        equal = bool(got == expected)
    except Exception:
        equal = False
    return None if equal else _Diff("value", _value(got, 30), _value(expected, 30), where)


def _nested(sub: _Diff, where: str, item_where: str, got: Any, expected: Any) -> _Diff:
    """A difference inside a container, described by the item (got/expected at ``where``)."""
    if sub.kind == "type":
        return _Diff("value", sub.got, sub.expected, sub.where or item_where)
    if sub.kind == "shape":
        return _Diff("value", f"shape {sub.got}", f"shape {sub.expected}",
                     sub.where or item_where)
    if sub.kind == "value" and sub.where:
        return sub
    return _Diff("value", _value(got, 30), _value(expected, 30), sub.where or item_where)


def _array_difference(got: Any, expected: np.ndarray, rtol: float, atol: float,
                      where: str) -> _Diff | None:
    if isinstance(got, str | bytes | Mapping) or got is None:
        return _Diff("type", _type_name(got), f"an array of shape {expected.shape}", where)
    try:
        g = np.asarray(got)
    except Exception:
        return _Diff("type", _type_name(got), f"an array of shape {expected.shape}", where)
    if g.dtype.kind not in "fiub" and expected.dtype.kind in "fiub":
        return _Diff("type", _type_name(got), f"an array of shape {expected.shape}", where)
    if g.shape != expected.shape:
        if g.ndim == 0 and not isinstance(got, np.ndarray):
            return _Diff("type", _type_name(got), f"an array of shape {expected.shape}", where)
        return _Diff("shape", g.shape, expected.shape, where)
    if expected.dtype.kind in "fc" or g.dtype.kind in "fc":
        close = np.isclose(g.astype(np.float64), expected.astype(np.float64), rtol=rtol,
                           atol=atol, equal_nan=True)
    else:
        close = g == expected
    if bool(np.all(close)):
        return None
    index = tuple(int(i) for i in np.argwhere(~close)[0])
    at = f"{where}[{', '.join(map(str, index))}]"
    return _Diff("value", _value(g[index], 30), _value(expected[index], 30), at)
