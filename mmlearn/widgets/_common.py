"""Pieces shared by the exercises and playgrounds: feedback, messages, number parsing, plots.

Nothing here imports ipywidgets at module level, so the checkers run (and can be
graded) where ipywidgets is not installed.
"""

from __future__ import annotations

import ast
import base64
import html
import io
import math
import operator
import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mmlearn._i18n import N_, translate_values
from mmlearn._names import did_you_mean


@dataclass(frozen=True)
class Feedback:
    """What a checker says about an answer: whether it is right, and why in words.

    ``message`` always says what was wrong and what to try; checkers never raise on a
    student's answer, they return a ``Feedback`` instead.
    """

    correct: bool
    message: str

    def __str__(self) -> str:
        return ("✓ " if self.correct else "✗ ") + self.message


# ----------------------------------------------------------------------------- messages


def merge_messages(defaults: Mapping[str, str], overrides: Mapping[str, str] | None,
                   owner: str) -> dict[str, str]:
    """``defaults`` updated with ``overrides``, each override checked at construction time.

    An override must use a known key and only the ``{fields}`` its default uses (so a
    translated template can never fail later, while a student is waiting for feedback).
    The defaults are given in English and come back in the active language.
    """
    merged = translate_values(defaults)
    if overrides is None:
        return merged
    if not isinstance(overrides, Mapping):
        raise TypeError(f"{owner}: messages must be a dict of key -> text, "
                        f"got {type(overrides).__name__}")
    for key, text in overrides.items():
        if key not in defaults:
            raise ValueError(f"{owner}: unknown message key {key!r}; expected one of "
                             f"{sorted(defaults)}" + did_you_mean(key, defaults))
        if not isinstance(text, str):
            raise TypeError(f"{owner}: messages[{key!r}] must be a str, got {type(text).__name__}")
        allowed = _fields(defaults[key])
        try:
            used = _fields(text)
        except ValueError as err:
            raise ValueError(f"{owner}: messages[{key!r}] is not a valid template: {err}") \
                from err
        unknown = used - allowed
        if unknown:
            raise ValueError(f"{owner}: messages[{key!r}] uses {sorted(unknown)}; it may use "
                             f"only {sorted(allowed)}")
        merged[key] = text
    return merged


def _fields(template: str) -> set[str]:
    names = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field is not None:
            names.add(re.split(r"[.\[!:]", field, maxsplit=1)[0])
    return names


# ----------------------------------------------------------------------------- numbers

# Names a student may use in a numeric answer, e.g. "1/(1+exp(-0.7))".
_CONSTANTS = {"e": math.e, "pi": math.pi, "π": math.pi}
_FUNCTIONS = {"exp": math.exp, "log": math.log, "ln": math.log, "sqrt": math.sqrt,
              "tanh": math.tanh, "sin": math.sin, "cos": math.cos, "abs": abs}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
NUMBER_MESSAGES = {
    "empty": N_("Type a number in the box, e.g. 0.5, then press Check."),
    "comma_decimal": N_("“{got}” uses a comma; write the decimal point as a dot: {suggestion}"),
    "comma_ambiguous": N_("“{got}” has a comma. Use a dot for decimals and no thousands "
                          "separators: type {as_decimal} or {as_integer}"),
    "percent": N_("“{got}”: leave out the % sign and type a plain number ({example} for "
                  "{got})"),
    "not_finite": N_("“{got}” is not a finite number; type an ordinary number such as 0.5"),
    "divide_by_zero": N_("“{got}” divides by zero; type a number such as 0.5"),
    "too_large": N_("“{got}” is too large to compute; type an ordinary number such as 0.5"),
    "not_number": N_("“{got}” is not a number. Type digits with an optional minus sign and "
                     "decimal point, e.g. -0.25 or 3e-4 (an expression like 1/(1+exp(-0.7)) "
                     "works too)"),
    "wrong_type": N_("Expected a number, got {got} (a {type})"),
}


def parse_number(answer: Any, messages: Mapping[str, str] = NUMBER_MESSAGES
                 ) -> tuple[float | None, str | None]:
    """Read a student's number: ``(value, None)`` or ``(None, what is wrong and what to type)``.

    Accepts numbers, and text such as ``"0.5"``, ``" -3e-4 "``, ``"1/2"``, ``"−0.5"``
    (a Unicode minus), full-width digits, ``"e^-1"`` and small expressions with
    ``exp log sqrt tanh sin cos abs e pi``. Never raises. Default messages: active language.
    """
    messages = translate_values(messages) if messages is NUMBER_MESSAGES else messages
    if answer is None:
        return None, messages["empty"]
    if isinstance(answer, bool):
        return None, messages["wrong_type"].format(got=answer, type="bool")
    if isinstance(answer, int | float) or _is_real_scalar(answer):
        try:
            value = float(answer)
        except OverflowError:                 # an int such as 10**400
            return None, messages["too_large"].format(got=_short(answer))
        if not math.isfinite(value):
            return None, messages["not_finite"].format(got=answer)
        return value, None
    if not isinstance(answer, str):
        return None, messages["wrong_type"].format(got=_short(answer), type=type(answer).__name__)
    got = answer.strip()
    if not got:
        return None, messages["empty"]
    text = unicodedata.normalize("NFKC", got)
    text = (text.replace("−", "-").replace("–", "-").replace("×", "*").replace("·", "*")
            .replace("^", "**").replace(" ", ""))
    if re.fullmatch(r"[+-]?\d+,\d+", text):
        head, tail = text.split(",")
        if len(tail) == 3 and head.lstrip("+-") != "0":
            return None, messages["comma_ambiguous"].format(
                got=got, as_decimal=f"{head}.{tail}", as_integer=head + tail)
        return None, messages["comma_decimal"].format(got=got, suggestion=text.replace(",", "."))
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        return None, messages["comma_ambiguous"].format(
            got=got, as_decimal=text.replace(",", ".", 1).replace(",", ""),
            as_integer=text.replace(",", ""))
    if text.endswith("%"):
        inner, _ = parse_number(text[:-1], messages)
        example = f"{inner / 100:g}" if inner is not None else "0.5"
        return None, messages["percent"].format(got=got, example=example)
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity", "∞"):
        return None, messages["not_finite"].format(got=got)
    if len(text) > 200:
        return None, messages["not_number"].format(got=_clip(got, 40))
    try:
        value = _evaluate(ast.parse(text, mode="eval").body)
    except ZeroDivisionError:
        return None, messages["divide_by_zero"].format(got=got)
    except OverflowError:
        return None, messages["too_large"].format(got=got)
    except (SyntaxError, ValueError, TypeError, KeyError, RecursionError, MemoryError):
        return None, messages["not_number"].format(got=_clip(got, 40))
    if not math.isfinite(value):
        return None, messages["not_finite"].format(got=got)
    return value, None


def _evaluate(node: ast.AST) -> float:
    """Arithmetic on floats only: numbers, + - * / **, parentheses, a few names."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
            and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 1e4:
            raise OverflowError("exponent too large")
        result = _BINARY[type(node.op)](left, right)
        if isinstance(result, complex):
            raise ValueError("complex result")
        return float(result)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS and len(node.args) == 1 and not node.keywords):
        return float(_FUNCTIONS[node.func.id](_evaluate(node.args[0])))
    raise ValueError(f"not allowed in a number: {type(node).__name__}")


def _is_real_scalar(x: Any) -> bool:
    """A NumPy (or other array library's) real scalar or 0-d array."""
    if getattr(x, "shape", None) != () or not hasattr(x, "dtype"):
        return False
    if "bool" in str(x.dtype) or "complex" in str(x.dtype):
        return False
    try:
        float(x)
    except Exception:
        return False
    return True


def fmt(x: float, digits: int = 4) -> str:
    """A short, readable number: 0.7, -0.3333, 1e-05 (negative zero shown as 0)."""
    if x == 0:
        return "0"
    return f"{x:.{digits}g}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(x: Any, limit: int = 80) -> str:
    try:
        text = repr(x)
    except Exception:
        text = f"<{type(x).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----------------------------------------------------------------------------- display

STYLE = """<style>
.mm-widget { max-width: 760px; }
.mm-feedback .mm-ok { color: #1a7f37; }
.mm-feedback .mm-bad { color: #b42318; }
.mm-feedback div, .mm-output div { white-space: pre-wrap; font-family: inherit; }
.mm-code textarea { font-family: monospace; font-size: 13px; }
</style>"""


def feedback_html(feedback: Feedback | None) -> str:
    """The feedback area's HTML: a tick or a cross, then the message (escaped)."""
    if feedback is None:
        return ""
    cls = "mm-ok" if feedback.correct else "mm-bad"
    return f'<div class="{cls}">{html.escape(str(feedback))}</div>'


def text_html(text: str) -> str:
    """Plain text (which may hold several lines) as HTML that keeps its line breaks."""
    return f"<div>{html.escape(text)}</div>"


def figure_output(fig: Any) -> tuple[dict[str, Any], ...]:
    """A matplotlib Figure as the ``outputs`` of an ipywidgets Output widget (PNG).

    Setting ``Output.outputs`` directly works with or without a kernel, in Voilà and in
    the saved widget state of a static page, and leaves no pyplot figure open.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)  # no bbox_inches="tight": it draws twice
    png = base64.b64encode(buf.getvalue()).decode("ascii")
    return ({"output_type": "display_data",
             "data": {"image/png": png, "text/plain": "<Figure>"},
             "metadata": {}},)


def new_figure(width: float = 4.0, height: float = 3.2) -> Any:
    """A matplotlib Figure that pyplot does not track (nothing to close, no global state);
    in Chinese, its words are drawn in a CJK font."""
    from matplotlib.figure import Figure

    from mmlearn.viz._fonts import use_language_font

    use_language_font()

    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=0.16, right=0.95, bottom=0.16, top=0.9)
    return fig
