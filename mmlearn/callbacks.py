"""Callbacks that watch training, as in ``keras.callbacks``: the History of every
epoch's logs, EarlyStopping, TerminateOnNaN, and the progress bar ``fit`` prints.

A callback's hooks run at the start and end of training, of each epoch and of each
batch; ``logs`` holds the running means (``loss``, ``accuracy``, ``val_loss``, ...)
that Keras reports at those points.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mmlearn._validation import check_int, did_you_mean

if TYPE_CHECKING:
    from mmlearn.models import Model

__all__ = ["Callback", "EarlyStopping", "History", "ProgressBar", "TerminateOnNaN"]


# =============================================================================
# Callbacks
# =============================================================================
class Callback:
    """Base class for objects that watch (and may steer) training, as in Keras.

    ``fit`` calls, in this order: ``on_train_begin``, then per epoch ``on_epoch_begin``,
    per batch ``on_batch_begin`` / ``on_batch_end``, ``on_epoch_end``; finally
    ``on_train_end``. ``logs`` holds the running means so far (``loss``, metrics,
    and at epoch end ``val_...``). Setting ``self.model.stop_training = True`` stops
    training after the current batch.
    """

    def __init__(self) -> None:
        self.model: Any = None

    def set_model(self, model: Any) -> None:
        self.model = model

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Called once before the first epoch."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """Called once after the last epoch (also after an early stop)."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the start of epoch ``epoch`` (counted from 0)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the end of an epoch with its logs (validation included)."""

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before training batch ``batch`` (counted from 0 in each epoch)."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after training batch ``batch`` with the epoch's running means."""


class History(Callback):
    """What ``fit`` returns: per-epoch logs, as Keras's ``History``.

    ``history``: {"loss": [...], "accuracy": [...], "val_loss": [...], ...}, one value per
    epoch; "loss"/"accuracy" are the mean over the epoch's batches (weighted by batch
    size) of the value measured in each batch's forward pass, before that batch's
    update; "val_*" are measured on the validation data after the epoch.
    ``epoch``: the epoch indices (from 0). ``params``: {"verbose", "epochs", "steps"}.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params: dict[str, Any] = {}

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        return f"<History epochs={len(self.epoch)} keys={list(self.history)}>"


_DIRECTION_UP = ("acc", "accuracy", "binary_accuracy", "categorical_accuracy",
                 "sparse_categorical_accuracy")
_DIRECTION_DOWN = ("loss", "mse", "mae", "mean_squared_error", "mean_absolute_error")


def _finite_number(value: Any, arg: str) -> float:
    """A real, finite number for EarlyStopping's ``arg`` (NaN would stop a falling loss)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) \
            or not math.isfinite(float(value)):
        raise ValueError(f"EarlyStopping: {arg} must be a finite number, got {value!r}")
    return float(value)


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving (Keras's rules).

    After each epoch (from ``start_from_epoch`` on), the value of ``monitor`` counts as an
    improvement when it beats the best so far by more than ``min_delta`` (lower for
    losses, higher for accuracies; ``mode="auto"`` decides by the name, or give
    ``"min"``/``"max"``). ``patience`` epochs without improvement stop training (never
    after the first epoch). ``restore_best_weights=True`` puts back the weights of the
    best epoch when training ends. ``baseline``: an improvement must also beat it to
    reset the patience counter. ``stopped_epoch``/``best_epoch`` tell what happened.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0) -> None:
        super().__init__()
        if not isinstance(monitor, str):
            raise TypeError(f"EarlyStopping: monitor must be a metric name, got {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}"
                             + did_you_mean(mode, ("auto", "min", "max")))
        self.monitor = monitor
        self.min_delta = abs(_finite_number(min_delta, "min_delta"))
        self.patience = check_int(patience, "patience", "EarlyStopping", minimum=0)
        self.verbose = verbose
        self.mode = mode
        self.baseline = None if baseline is None else _finite_number(baseline, "baseline")
        if not isinstance(restore_best_weights, bool | np.bool_):
            raise TypeError("EarlyStopping: restore_best_weights must be True or False, "
                            f"got {restore_best_weights!r}")
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = check_int(start_from_epoch, "start_from_epoch", "EarlyStopping",
                                           minimum=0)
        self._better: Callable[[float, float], bool] | None = None
        self.wait = 0
        self.stopped_epoch = 0
        self.best: float | None = None
        self.best_epoch = 0
        self.best_weights: list | None = None

    def _direction(self) -> Callable[[float, float], bool]:
        mode = self.mode
        if mode == "auto":
            name = self.monitor.removeprefix("val_")
            if name in _DIRECTION_UP or name.endswith("accuracy"):
                mode = "max"
            elif name in _DIRECTION_DOWN or name.endswith("loss"):
                mode = "min"
            else:
                known = [*_DIRECTION_DOWN, *_DIRECTION_UP]
                known += [f"val_{k}" for k in known]
                raise ValueError(f"EarlyStopping: cannot tell whether {self.monitor!r} should "
                                 "go up or down; pass mode='min' or mode='max'"
                                 + did_you_mean(self.monitor, known))
        delta = self.min_delta
        if mode == "min":
            return lambda current, ref: current < ref - delta
        return lambda current, ref: current > ref + delta

    def _is_improvement(self, current: float, reference: float | None) -> bool:
        if reference is None:
            return True
        assert self._better is not None
        return bool(self._better(current, reference))

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._better = self._direction()
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"EarlyStopping monitors {self.monitor!r}, which is not in the logs; "
                          f"available: {', '.join(logs)}" + did_you_mean(self.monitor, logs)
                          + (" (val_* needs validation_data or validation_split)"
                             if self.monitor.startswith("val_") else ""), stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class TerminateOnNaN(Callback):
    """Stop training when the loss in the logs is NaN or infinite (Keras's callback).

    Prints ``Batch k: Invalid loss, terminating training`` and sets
    ``model.stop_training``. ``fit`` also stops on its own when a batch's loss is not
    finite (with a warning naming the epoch and batch); this callback is kept for
    Keras programs that list it.
    """

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class _CallbackList:
    """Calls every callback in turn."""

    def __init__(self, callbacks: Sequence[Callback], model: Model) -> None:
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)

    def on_train_begin(self) -> None:
        for cb in self.callbacks:
            cb.on_train_begin({})

    def on_train_end(self, logs: dict) -> None:
        for cb in self.callbacks:
            cb.on_train_end(logs)

    def on_epoch_begin(self, epoch: int) -> None:
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, {})

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch: int) -> None:
        for cb in self.callbacks:
            cb.on_batch_begin(batch, {})

    def on_batch_end(self, batch: int, logs: dict) -> None:
        for cb in self.callbacks:
            cb.on_batch_end(batch, logs)


# =============================================================================
# Progress bar
# =============================================================================
def _format_value(v: float) -> str:
    return f"{v:.4f}" if abs(v) > 1e-3 else f"{v:.4e}"


def _format_step_time(seconds: float) -> str:
    """``2ms/step`` or ``850us/step`` (never ``s/step``: notebooks sanitise these forms)."""
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class ProgressBar:
    """Keras 3's progress line.

    verbose=1:  ``32/32 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - accuracy: 0.1234 - loss: 2.3456``
    verbose=2:  ``32/32 - 0s - 2ms/step - accuracy: 0.1234 - loss: 2.3456``

    In a terminal (``sys.stdout.isatty()``) verbose=1 redraws the line in place with
    ``\\r`` at most every ``interval`` seconds; anywhere else (notebooks, files, pipes)
    it prints exactly one line, when finished, so the output is deterministic apart
    from the timing tokens (always ``\\d+s`` and ``\\d+ms/step`` or ``\\d+us/step``).
    """

    def __init__(self, target: int, verbose: int = 1, width: int = 20, interval: float = 0.1,
                 dynamic: bool | None = None) -> None:
        self.target = int(target)
        self.verbose = verbose
        self.width = width
        self.interval = interval
        stream = sys.stdout
        self.dynamic = bool(getattr(stream, "isatty", lambda: False)()) if dynamic is None \
            else dynamic
        self._start = time.perf_counter()
        self._last = -math.inf
        self._prev_width = 0

    def _line(self, current: int, values: Mapping[str, float], final: bool, now: float) -> str:
        elapsed = now - self._start
        per_step = elapsed / max(current, 1)
        digits = len(str(self.target))
        count = f"{current:>{digits}}/{self.target}"
        metrics = "".join(f" - {k}: {_format_value(v)}" for k, v in values.items())
        if self.verbose == 2:
            return f"{count} - {elapsed:.0f}s - {_format_step_time(per_step)}{metrics}"
        done = self.width if self.target <= 0 else int(self.width * current / self.target)
        done = min(done, self.width)
        if self.dynamic:     # colours only where a terminal shows them
            bar = f"\x1b[32m{'━' * done}\x1b[0m\x1b[2m{'━' * (self.width - done)}\x1b[0m"
        else:
            bar = "━" * self.width if final else "━" * done + "─" * (self.width - done)
        if final:
            when = f"{elapsed:.0f}s"
        else:
            when = f"{per_step * (self.target - current):.0f}s"   # estimated time left
        return f"{count} {bar} {when} {_format_step_time(per_step)}{metrics}"

    def update(self, current: int, values: Mapping[str, float] | None = None,
               finalize: bool = False) -> None:
        """Show progress after ``current`` steps; ``finalize`` ends the line."""
        if self.verbose not in (1, 2):
            return
        now = time.perf_counter()
        values = values or {}
        if self.verbose == 2 or not self.dynamic:
            if finalize:
                sys.stdout.write(self._line(current, values, True, now) + "\n")
                sys.stdout.flush()
            return
        if not finalize and now - self._last < self.interval:
            return
        self._last = now
        line = self._line(current, values, finalize, now)
        width = len(line)
        pad = " " * max(self._prev_width - width, 0)
        self._prev_width = width
        sys.stdout.write("\r" + line + pad + ("\n" if finalize else ""))
        sys.stdout.flush()


class _ProgbarLogger(Callback):
    """fit's printing: ``Epoch i/N`` and one progress bar per epoch."""

    def __init__(self, verbose: int, epochs: int, steps: int) -> None:
        super().__init__()
        self.verbose, self.epochs, self.steps = verbose, epochs, steps
        self.bar: ProgressBar | None = None
        self.seen = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        print(f"Epoch {epoch + 1}/{self.epochs}")
        self.bar = ProgressBar(self.steps, self.verbose)
        self.seen = 0

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.seen = batch + 1
        if self.bar is not None and self.verbose == 1 and batch + 1 < self.steps:
            self.bar.update(batch + 1, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.bar is not None:
            self.bar.target = self.seen              # an early stop ends the bar where it is
            self.bar.update(self.seen, logs, finalize=True)
