"""A float32 training step stays float32, and training does not grow memory step by step.

1. dtypes: one ``fit`` step (2 batches) of a Sequential and of MultimodalModels with
   several fusions, on both array backends. Every forward output and every gradient a
   layer hands back, every parameter, every gradient in ``grads``, every optimizer slot
   (Adam's m and v) and the loss value must be float32, also when the data come in as
   float64 (fit casts them, as Keras does). A NumPy float64 scalar mixed into float32
   arithmetic, or a float64 constant array, would upcast silently; these checks catch it.

2. memory: a tiny model trained with ``fit`` for 1,000 steps in one epoch. tracemalloc
   (which sees NumPy's data buffers as well as Python objects) is started after 10
   warm-up steps. Step 100 and step 1,000 are each measured the same way: a full
   ``gc.collect()`` first (it also empties CPython's free lists, whose slow filling
   would otherwise look like growth: tens of KiB over the first few hundred steps),
   then the peak during that one step and the memory held after it. Both must be equal
   at step 1,000 and step 100 within 2 KiB. What legitimately changes is a few hundred
   bytes (the step counters outgrow Python's small-int cache); a leak of one float
   (24 bytes) per step adds 21 KiB over the 900 steps.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mmlearn as mm
from mmlearn.backend import array_namespace, asarray

L = mm.layers
BATCH = 6

# ----------------------------------------------------------------------------------
# Models (small; each exercises different layers) and their data.
# ----------------------------------------------------------------------------------


def _mlp() -> tuple[Any, Any]:
    model = mm.Sequential([
        L.Dense(16, activation="relu", input_shape=(8,)),
        L.Dropout(0.25),
        L.Dense(12, activation="tanh"),
        L.LayerNorm(),
        L.Dense(4, activation="softmax"),
    ])
    return model, np.random.default_rng(1).standard_normal((2 * BATCH, 8))


def _two_tower(fusion: Callable[[], Any]) -> Callable[[], tuple[Any, Any]]:
    def make() -> tuple[Any, Any]:
        model = mm.MultimodalModel(
            encoders={"image": L.Dense(8, activation="relu", input_shape=(10,)),
                      "text": mm.Sequential([L.Dense(8, activation="gelu", input_shape=(6,)),
                                             L.LayerNorm()])},
            fusion=fusion(),
            head=mm.Sequential([L.Dense(8, activation="sigmoid"),
                                L.Dense(4, activation="softmax")]),
            modality_dropout=0.3,
        )
        g = np.random.default_rng(2)
        return model, {"image": g.standard_normal((2 * BATCH, 10)),
                       "text": g.standard_normal((2 * BATCH, 6))}
    return make


def _cross_attention() -> tuple[Any, Any]:
    model = mm.MultimodalModel(
        encoders={"text": L.Dense(8, activation="relu"), "image": L.Dense(8)},
        fusion=mm.fusion.CrossAttention(2, 4, query="text", context="image"),
        head=L.Dense(4, activation="softmax"),
    )
    g = np.random.default_rng(3)
    return model, {"text": g.standard_normal((2 * BATCH, 5, 8)),
                   "image": g.standard_normal((2 * BATCH, 7, 8))}


MODELS = {
    "sequential": _mlp,
    "concat": _two_tower(lambda: mm.fusion.Concat()),
    "gated": _two_tower(lambda: mm.fusion.Gated(8)),
    "cross_attention": _cross_attention,
}


def _leaves(layer: Any) -> list[Any]:
    """Leaf layers of a model, through the public structure (layers/encoders/fusion/head)."""
    if isinstance(layer, mm.MultimodalModel):
        parts = [*layer.encoders.values(), layer.fusion, *([layer.head] if layer.head else [])]
        return [leaf for part in parts for leaf in _leaves(part)]
    if isinstance(layer, mm.Sequential):
        return [leaf for sub in layer.layers for leaf in _leaves(sub)]
    return [layer]


def _arrays(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arrays(v)]
    return [value]


def _is_float32(a: Any) -> bool:
    return a.dtype == array_namespace(a).float32


def _record_dtypes(model: Any) -> dict[str, list[str]]:
    """Wrap every leaf's forward/backward (on the instance) to log what they return."""
    seen: dict[str, list[str]] = {}

    def wrap(layer: Any, method: str) -> None:
        fn = getattr(layer, method)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            out = fn(*args, **kwargs)
            for a in _arrays(out):
                seen.setdefault(f"{layer.name}.{method}", []).append(
                    "float32" if _is_float32(a) else str(a.dtype))
            return out

        setattr(layer, method, wrapper)

    for leaf in _leaves(model):
        for method in ("forward", "backward", "backward_linear"):
            if callable(getattr(leaf, method, None)):
                wrap(leaf, method)
    return seen


@pytest.mark.parametrize("kind", list(MODELS))
@pytest.mark.parametrize("data_dtype", ["float32", "float64"])
def test_training_step_stays_float32(backend, kind: str, data_dtype: str) -> None:
    model, x_np = MODELS[kind]()
    y_np = np.random.default_rng(4).integers(0, 4, size=2 * BATCH)
    if isinstance(x_np, dict):
        x = {k: asarray(v, dtype=data_dtype) for k, v in x_np.items()}
    else:
        x = asarray(x_np, dtype=data_dtype)
    y = asarray(y_np)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    seen = _record_dtypes(model)

    history = model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=True, verbose=0)

    assert np.isfinite(history.history["loss"][0])
    assert any(k.endswith(".forward") for k in seen), "the recorder saw no forward pass"
    assert any(".backward" in k for k in seen), "the recorder saw no backward pass"
    bad = {k: v for k, v in seen.items() if any(d != "float32" for d in v)}
    assert not bad, f"activations or input gradients left float32: {bad}"

    params, grads = dict(model.params), dict(model.grads)
    assert params and set(grads) == set(params), "every parameter should have a gradient"
    assert not [k for k, p in params.items() if not _is_float32(p)], "parameter dtype"
    assert not [k for k, g in grads.items() if not _is_float32(g)], "gradient dtype"

    # Adam's per-parameter state (m, v). There is no public accessor; the slots dict is
    # the optimizer's documented bookkeeping ("slots" keyed per parameter).
    slots = [a for state in model.optimizer._slots.values() for a in state.values()
             if hasattr(a, "dtype")]
    assert len(slots) == 2 * len(params), "Adam should hold m and v for every parameter"
    assert all(_is_float32(s) for s in slots), [str(s.dtype) for s in slots]

    out = model.predict(x)                      # float64 data in, float32 out
    assert _is_float32(out)
    assert _is_float32(model.loss(y, out))


class _MemoryProbe(mm.models.Callback):
    """Start tracemalloc after ``start`` batches; at each batch in ``marks`` record
    (memory held after the step, peak during the step), free lists emptied first."""

    def __init__(self, start: int, marks: tuple[int, ...]) -> None:
        super().__init__()
        self.start, self.marks = start, marks
        self.readings: dict[int, tuple[int, int]] = {}

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        step = batch + 1
        if step == self.start:
            tracemalloc.start()
        if step + 1 in self.marks:                # the next step is measured
            gc.collect()
            tracemalloc.reset_peak()
        if step in self.marks:
            peak = tracemalloc.get_traced_memory()[1]
            gc.collect()
            self.readings[step] = (tracemalloc.get_traced_memory()[0], peak)


TOLERANCE = 2 * 1024  # bytes


@pytest.mark.parametrize("kind", ["sequential", "multimodal"])
def test_no_memory_growth_per_step(kind: str) -> None:
    steps, batch = 1000, 4
    g = np.random.default_rng(5)
    if kind == "sequential":
        model = mm.Sequential([L.Dense(8, activation="relu", input_shape=(6,)),
                               L.Dense(3, activation="softmax")])
        x: Any = g.standard_normal((steps * batch, 6)).astype(np.float32)
    else:
        model = mm.MultimodalModel(
            encoders={"a": L.Dense(4, activation="relu"), "b": L.Dense(4, activation="relu")},
            fusion=mm.fusion.Concat(), head=L.Dense(3, activation="softmax"))
        x = {"a": g.standard_normal((steps * batch, 5)).astype(np.float32),
             "b": g.standard_normal((steps * batch, 3)).astype(np.float32)}
    y = g.integers(0, 3, size=steps * batch)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    probe = _MemoryProbe(start=10, marks=(100, 1000))
    was_tracing = tracemalloc.is_tracing()
    try:
        model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0,
                  callbacks=[probe])
    finally:
        if not was_tracing:
            tracemalloc.stop()
    assert model.optimizer.iterations == steps
    (cur_100, peak_100), (cur_1000, peak_1000) = probe.readings[100], probe.readings[1000]
    assert cur_1000 - cur_100 <= TOLERANCE, (
        f"traced memory grew by {cur_1000 - cur_100} bytes between step 100 and step 1000 "
        f"({(cur_1000 - cur_100) / 900:.1f} bytes per step)")
    assert peak_1000 - peak_100 <= TOLERANCE, (
        f"the peak during a step grew by {peak_1000 - peak_100} bytes between step 100 and "
        "step 1000")
