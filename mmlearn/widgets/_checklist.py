"""Interactive checklists for the book (re-exported by :mod:`mmlearn.widgets`)."""

from __future__ import annotations

__all__: list[str] = []
