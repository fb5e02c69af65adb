"""Figures for the book (re-exported by :mod:`mmlearn.viz`); see that module's conventions."""

from __future__ import annotations

__all__: list[str] = []
