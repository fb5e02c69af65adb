"""How a student's result differs from the expected one: the first difference, in
words a student reads (used by :class:`FunctionExercise`)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmlearn._i18n import _
from mmlearn.backend import is_array, to_numpy
from mmlearn.widgets._common import _short, fmt


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
        return _("a bool")
    if isinstance(x, numbers.Number) or (isinstance(x, np.ndarray) and x.ndim == 0):
        return _("a number")
    if isinstance(x, np.ndarray):
        return _array_of_shape(x.shape)
    name = type(x).__name__
    return (_("an {name}") if name[:1].lower() in "aeiou" else _("a {name}")).format(name=name)


def _array_of_shape(shape: tuple) -> str:
    return _("an array of shape {shape}").format(shape=shape)


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
    if isinstance(expected, bool | np.bool_ | str) or _is_number(expected):
        return _scalar_difference(got, expected, rtol, atol, where)
    if isinstance(expected, list | tuple):
        return _sequence_difference(got, expected, rtol, atol, where)
    if isinstance(expected, Mapping):
        return _mapping_difference(got, expected, rtol, atol, where)
    try:
        equal = bool(got == expected)
    except Exception:
        equal = False
    return None if equal else _Diff("value", _value(got, 30), _value(expected, 30), where)


def _scalar_difference(got: Any, expected: Any, rtol: float, atol: float,
                       where: str) -> _Diff | None:
    """A bool, a number (within the tolerance; NaN matches NaN) or a str."""
    unequal = _Diff("value", _value(got, 30), _value(expected, 30), where)
    if isinstance(expected, bool | np.bool_):
        if not isinstance(got, bool | np.bool_):
            return _Diff("type", _type_name(got), _("a bool"), where)
        return None if bool(got) == bool(expected) else unequal
    if isinstance(expected, str):
        if not isinstance(got, str):
            return _Diff("type", _type_name(got), _("a str"), where)
        return None if got == expected else unequal
    if not _is_number(got):
        return _Diff("type", _type_name(got), _("a number"), where)
    try:
        g, e = float(got), float(expected)
    except OverflowError:                     # an int such as 10**400
        return None if got == expected else unequal
    if (math.isnan(g) and math.isnan(e)) or math.isclose(g, e, rel_tol=rtol, abs_tol=atol):
        return None
    return unequal


def _sequence_difference(got: Any, expected: list | tuple, rtol: float, atol: float,
                         where: str) -> _Diff | None:
    """A list or tuple: the length, then item by item (an array counts as a list)."""
    if isinstance(got, np.ndarray) and got.ndim > 0:
        got = list(got)
    if not isinstance(got, list | tuple):
        return _Diff("type", _type_name(got), _type_name(expected), where)
    if len(got) != len(expected):
        if where:
            items = _("{n} items")
            return _Diff("value", items.format(n=len(got)), items.format(n=len(expected)), where)
        return _Diff("length", len(got), len(expected))
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        sub = _difference(g, e, rtol, atol, f"{where}[{i}]")
        if sub is not None:
            return _nested(sub, where, f"{where}[{i}]", g, e)
    return None


def _mapping_difference(got: Any, expected: Mapping, rtol: float, atol: float,
                        where: str) -> _Diff | None:
    """A dict: the keys, then value by value."""
    if not isinstance(got, Mapping):
        return _Diff("type", _type_name(got), _("a dict"), where)
    if set(got) != set(expected):
        keys = (sorted(map(repr, got)), sorted(map(repr, expected)))
        if where:
            named = _("keys {keys}")
            return _Diff("value", named.format(keys=keys[0]), named.format(keys=keys[1]), where)
        return _Diff("keys", ", ".join(keys[0]), ", ".join(keys[1]))
    for k in expected:
        sub = _difference(got[k], expected[k], rtol, atol, f"{where}[{k!r}]")
        if sub is not None:
            return _nested(sub, where, f"{where}[{k!r}]", got[k], expected[k])
    return None


def _nested(sub: _Diff, where: str, item_where: str, got: Any, expected: Any) -> _Diff:
    """A difference inside a container, described by the item (got/expected at ``where``)."""
    if sub.kind == "type":
        return _Diff("value", sub.got, sub.expected, sub.where or item_where)
    if sub.kind == "shape":
        shape = _("shape {shape}")
        return _Diff("value", shape.format(shape=sub.got), shape.format(shape=sub.expected),
                     sub.where or item_where)
    if sub.kind == "value" and sub.where:
        return sub
    return _Diff("value", _value(got, 30), _value(expected, 30), sub.where or item_where)


def _array_difference(got: Any, expected: np.ndarray, rtol: float, atol: float,
                      where: str) -> _Diff | None:
    if isinstance(got, str | bytes | Mapping) or got is None:
        return _Diff("type", _type_name(got), _array_of_shape(expected.shape), where)
    try:
        g = np.asarray(got)
    except Exception:
        return _Diff("type", _type_name(got), _array_of_shape(expected.shape), where)
    if g.dtype.kind not in "fiub" and expected.dtype.kind in "fiub":
        return _Diff("type", _type_name(got), _array_of_shape(expected.shape), where)
    if g.shape != expected.shape:
        if g.ndim == 0 and not isinstance(got, np.ndarray):
            return _Diff("type", _type_name(got), _array_of_shape(expected.shape), where)
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
