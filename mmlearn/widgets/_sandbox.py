"""Run a student's code in a fresh namespace, with a time limit, and describe what went wrong.

This is a guard against mistakes, not a security boundary: the code runs in the
kernel's own process, as any notebook cell would.

The time limit is a watchdog thread: when the time is up it raises
:class:`TimeLimitExceeded` inside the running code (CPython's
``PyThreadState_SetAsyncExc``, delivered at the interpreter's next check). So any
Python-level loop stops, ``while True: pass`` included, at no cost while the code
runs; but one long call into C (``time.sleep(60)``, ``sum(range(10**12))``) is only
stopped when it returns, and a loop that catches every exception with a bare
``except:`` swallows the stop signal.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FILENAME = "<your code>"


class TimeLimitExceeded(BaseException):
    """Raised inside student code that runs past its time limit.

    A ``BaseException``, so that ``except Exception:`` in the student's code does not
    swallow it.
    """


@dataclass
class Outcome:
    """What running some student code produced."""

    value: Any = None
    error: BaseException | None = None
    line: int | None = None            # line of the student's code where the error happened
    line_text: str = ""
    timed_out: bool = False
    stdout: str = ""


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> None:
    """Raise ``exc`` in thread ``thread_id`` at its next check (None clears a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None)


def run(fn: Callable[[], Any], source: str, seconds: float | None) -> Outcome:
    """Call ``fn()`` with a time limit, capturing its prints and any exception.

    Never raises (``KeyboardInterrupt`` and ``SystemExit`` from the student's code are
    reported like any other exception).
    """
    out = io.StringIO()
    outcome = Outcome()
    lock = threading.Lock()
    state = {"done": False, "fired": False}
    thread_id = threading.get_ident()

    def fire() -> None:
        with lock:
            if not state["done"]:
                state["fired"] = True
                _set_async_exc(thread_id, TimeLimitExceeded)

    timer = threading.Timer(seconds, fire) if seconds is not None else None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            if timer is not None:
                timer.daemon = True
                timer.start()
            try:
                outcome.value = fn()
            finally:
                with lock:
                    state["done"] = True
                if timer is not None:
                    timer.cancel()
                if state["fired"]:  # fired but perhaps not yet delivered: take it back
                    _set_async_exc(thread_id, None)
    except TimeLimitExceeded as err:
        outcome.error, outcome.timed_out = err, True
        _locate(outcome, err, source)
    except BaseException as err:  # noqa: BLE001  (the student's error, whatever it is)
        outcome.error = err
        _locate(outcome, err, source)
    outcome.stdout = out.getvalue()
    return outcome


def _locate(outcome: Outcome, err: BaseException, source: str) -> None:
    """The last line of the student's code in the traceback (where it went wrong)."""
    lines = source.splitlines()
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if frame.filename == FILENAME and frame.lineno is not None:
            outcome.line = frame.lineno
            if 1 <= frame.lineno <= len(lines):
                outcome.line_text = lines[frame.lineno - 1].strip()
            return
