"""Answer keys of chapter 4's exercises (see :func:`mmlearn.widgets.exercise`)."""

from __future__ import annotations

from collections.abc import Callable

from mmlearn.widgets.exercises import Exercise

EXERCISES: dict[str, Callable[[], Exercise]] = {}
