"""Training steps never bring an array back to the host (NumPy) — the CuPy path's promise.

On a GPU, every conversion of a device array to NumPy inside a training step is a
device-to-host copy plus a synchronisation: it can make a GPU step slower than the CPU.
There is no GPU here, so the tests run on the ``array_api_strict`` backend and make
every way back to NumPy raise while the steps run:

- ``Array.__array__`` (what ``np.asarray`` / ``np.array`` call), ``Array.__buffer__``
  and ``Array.__dlpack__`` (``np.from_dlpack``);
- ``mmlearn.backend.to_numpy`` and every ``to_numpy`` a mmlearn module imported.

The guard is installed by a callback at the start of every batch and removed at its
end, so it covers exactly fit's per-batch body: forward, loss, backward, optimizer
update (and the per-batch loss/metric bookkeeping). Per-epoch work (checking the data,
shuffling) is outside. Reading a 0-d array as a Python number (``float(loss)``) is a
scalar read, not a NumPy conversion, and is allowed.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest

import mmlearn as mm
from mmlearn.backend import asarray

array_api_strict = pytest.importorskip("array_api_strict")
StrictArray = type(array_api_strict.asarray(0.0))     # the backend's array class

L = mm.layers


class HostRoundTrip(AssertionError):
    """Raised when a training step converts a backend array to NumPy."""


def _forbid(what: str):
    def raiser(*args: Any, **kwargs: Any) -> Any:
        raise HostRoundTrip(f"{what} was called inside a training step: a device array "
                            "would be copied back to the host")
    return raiser


class _NoHostGuard(mm.models.Callback):
    """Installs the guard for the body of every batch; counts the guarded batches."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__()
        self.mp = monkeypatch
        self.guarded_batches = 0

    def install(self) -> None:
        for name in ("__array__", "__buffer__", "__dlpack__"):
            if hasattr(StrictArray, name):
                self.mp.setattr(StrictArray, name, _forbid(f"Array.{name}"))
        for modname, module in list(sys.modules.items()):
            if (modname == "mmlearn" or modname.startswith("mmlearn.")) \
                    and callable(getattr(module, "to_numpy", None)):
                self.mp.setattr(module, "to_numpy", _forbid(f"{modname}.to_numpy"))

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.install()
        # The guard must really bite, or this test proves nothing.
        with pytest.raises(HostRoundTrip):
            np.asarray(array_api_strict.ones(2))
        with pytest.raises(HostRoundTrip):
            mm.backend.to_numpy(array_api_strict.ones(2))

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.guarded_batches += 1
        self.mp.undo()


def _on_strict(a: Any, dtype: str | None = None) -> Any:
    if isinstance(a, dict):
        return {k: _on_strict(v, dtype) for k, v in a.items()}
    return asarray(a, dtype=dtype)


def _train(model: Any, x: Any, y: Any, monkeypatch: pytest.MonkeyPatch, *,
           batch_size: int, epochs: int = 2) -> None:
    """Fit under the guard on array_api_strict; check the steps ran and changed weights."""
    assert mm.get_backend() == "array_api_strict"
    x, y = _on_strict(x, "float32"), _on_strict(y)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    guard = _NoHostGuard(monkeypatch)
    before = model.get_weights() if model.built else None
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0,
                        callbacks=[guard])
    n = int(y.shape[0])
    assert guard.guarded_batches == epochs * -(-n // batch_size)
    assert len(history.history["loss"]) == epochs
    assert all(np.isfinite(v) for v in history.history["loss"])
    if before is not None:
        after = model.get_weights()
        assert any(not np.array_equal(a, b) for a, b in zip(after, before, strict=True))


@pytest.fixture
def strict() -> None:
    mm.set_backend("array_api_strict")


def test_guard_catches_a_conversion(strict, monkeypatch) -> None:
    """The guard is not vacuous: a step that converts to NumPy fails under it."""

    class Sneaky(L.Dense):
        def forward(self, x: Any, training: bool = False) -> Any:
            mm.backend.to_numpy(x)               # the habit this module forbids
            return super().forward(x, training)

    model = mm.Sequential([Sneaky(4, activation="softmax", input_shape=(3,))])
    g = np.random.default_rng(0)
    with pytest.raises(HostRoundTrip):
        _train(model, g.standard_normal((8, 3)), g.integers(0, 4, 8), monkeypatch,
               batch_size=4)


def test_sequential_fit_steps_stay_on_device(strict, monkeypatch) -> None:
    model = mm.Sequential([
        L.Dense(16, activation="relu", input_shape=(8,)),
        L.Dropout(0.2),
        L.Dense(16, activation="gelu"),
        L.LayerNorm(),
        L.Dense(5, activation="softmax"),
    ])
    g = np.random.default_rng(1)
    _train(model, g.standard_normal((20, 8)), g.integers(0, 5, 20), monkeypatch,
           batch_size=8)        # 3 batches per epoch, the last one short


@pytest.mark.parametrize("fusion", ["concat", "gated", "cross_attention"])
def test_multimodal_steps_stay_on_device(strict, monkeypatch, fusion: str) -> None:
    g = np.random.default_rng(2)
    if fusion == "cross_attention":
        model = mm.MultimodalModel(
            encoders={"text": L.Dense(8, activation="relu"), "image": L.Dense(8)},
            fusion=mm.fusion.CrossAttention(2, 4, query="text", context="image"),
            head=L.Dense(3, activation="softmax"))
        x = {"text": g.standard_normal((12, 5, 8)), "image": g.standard_normal((12, 6, 8))}
    else:
        model = mm.MultimodalModel(
            encoders={"image": mm.Sequential([L.Dense(8, activation="relu"), L.Dropout(0.1)]),
                      "text": L.Dense(8, activation="tanh")},
            fusion=mm.fusion.Concat() if fusion == "concat" else mm.fusion.Gated(8),
            head=mm.Sequential([L.Dense(8, activation="relu"),
                                L.Dense(3, activation="softmax")]),
            modality_dropout=0.3)
        x = {"image": g.standard_normal((12, 10)), "text": g.standard_normal((12, 4))}
    _train(model, x, g.integers(0, 3, 12), monkeypatch, batch_size=5)
