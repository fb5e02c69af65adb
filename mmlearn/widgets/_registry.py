"""Exercises by id: ``exercise("ch3-relu-backward")`` builds the book's exercise with its key.

The answer keys (right options, expected numbers, reference solutions) are kept here, in
``mmlearn/widgets/_keys/``, and not in the chapters, so a student reading a chapter sees the
question and the widget but not the answer. Each id starts with its chapter (``ch3-``).
"""

from __future__ import annotations

import difflib

from mmlearn.widgets._keys import (
    ch01,
    ch02,
    ch03,
    ch04,
    ch05,
    ch06,
    ch07,
    ch08,
    ch09,
    ch10,
)
from mmlearn.widgets.exercises import Exercise

__all__ = ["exercise", "exercise_ids"]

_CHAPTERS = (ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10)


def _builders() -> dict:
    builders: dict = {}
    for chapter in _CHAPTERS:
        for exercise_id, build in chapter.EXERCISES.items():
            if exercise_id in builders:
                raise RuntimeError(f"exercise id {exercise_id!r} is defined twice")
            builders[exercise_id] = build
    return builders


def exercise_ids() -> list[str]:
    """The ids of every exercise in the book, in chapter order."""
    return list(_builders())


def exercise(exercise_id: str) -> Exercise:
    """A new instance of the book's exercise ``exercise_id`` (e.g. ``"ch3-relu-backward"``).

    In a notebook the returned exercise shows itself as a widget with a *Check* button;
    ``.check(answer)`` judges an answer from code and never raises.
    """
    if not isinstance(exercise_id, str):
        raise TypeError(f"exercise: exercise_id must be a str such as 'ch3-relu-backward', "
                        f"got {type(exercise_id).__name__}")
    builders = _builders()
    if exercise_id not in builders:
        close = difflib.get_close_matches(exercise_id, builders, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"exercise: no exercise with id {exercise_id!r}{hint} "
                         f"(known: {', '.join(builders) or 'none'})")
    return builders[exercise_id]()
