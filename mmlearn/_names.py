"""Suggestions for a mistyped name: the one helper both backend and _validation need.

It sits below both (imports nothing of mmlearn's), so backend's ``set_backend`` can suggest
``'numpy'`` for ``'numpi'`` without importing _validation, which imports backend.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


def did_you_mean(name: Any, choices: Iterable[str]) -> str:
    """`` (did you mean 'adam'?)`` for a close match, else an empty string."""
    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name.lower(), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
