"""Write a Python function; Check runs it on hidden cases and says what differs."""

from __future__ import annotations

import builtins
import copy
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from mmlearn._i18n import N_
from mmlearn.widgets import _sandbox
from mmlearn.widgets._common import (
    Feedback,
    _short,
    fmt,
)
from mmlearn.widgets._compare import _difference, _type_name, _value
from mmlearn.widgets.base import Exercise

__all__ = ["FunctionExercise"]


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
        "empty": N_("Write a function named `{name}` in the box, then press Check."),
        "unchanged": N_("This is still the starter code: write the body of `{name}`, then "
                        "press Check."),
        "wrong_input": N_("Expected your code as text, got {type}."),
        "syntax": N_("{error} on line {line}: {msg}\n{snippet}"),
        "define_error": N_("Your code raised {error} on line {line} before `{name}` could be "
                           "defined: {msg}\n    {line_text}"),
        "define_timeout": N_("Your code did not finish within {seconds} s while being defined "
                             "(line {line}). Is there a loop outside the function?"),
        "missing": N_("Your code does not define a function named `{name}`{others}. "
                      "Start it with `def {name}(`."),
        "defines": N_(" (it defines {names})"),
        "not_callable": N_("`{name}` is {type}, not a function: define it with "
                           "`def {name}(...):`."),
        "bad_call": N_("Your function cannot be called as {call}: {msg}. Check its parameters."),
        "raised": N_("{call} raised {error}: {msg}{where}"),
        "exited": N_("{call} called exit(); a function should return its result instead."),
        "at_line": N_("\n    line {line}: {line_text}"),
        "timeout": N_("{call} did not finish within {seconds} s{where}\nIs there a loop whose "
                      "condition never becomes false?"),
        "returned_none": N_("{call} returned None, expected {expected}. Did you forget "
                            "`return`?{printed}"),
        "printed": N_(" (it printed {text})"),
        "wrong_type": N_("{call} returned {got} ({got_type}), expected {expected_type} "
                         "such as {expected}."),
        "wrong_shape": N_("{call} returned {got}, of shape {got_shape}; expected shape "
                          "{expected_shape}, such as {expected}."),
        "wrong_length": N_("{call} returned {got_len} items, expected {expected_len}."),
        "wrong_keys": N_("{call} returned a dict with keys {got_keys}, expected keys "
                         "{expected_keys}."),
        "wrong_value": N_("{call} returned {got}, expected {expected}."),
        "wrong_at": N_("{call} returned {got}, expected {expected} (first difference at "
                       "{where}: {got_item} instead of {expected_item})."),
        "correct": N_("All {n} test cases pass."),
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
