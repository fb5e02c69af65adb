"""mmlearn: multimodal deep learning from scratch, on NumPy or CuPy.

    import mmlearn as mm
    mm.set_seed(0)
    model = mm.Sequential([mm.layers.Dense(64, activation="relu", input_shape=(32,)),
                           mm.layers.Dense(10, activation="softmax")])

Submodules load on first use, so ``import mmlearn`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from mmlearn.backend import (
    floatx,
    get_backend,
    get_namespace,
    set_backend,
    set_floatx,
    set_seed,
    to_numpy,
)

__version__ = "0.1.0"

_SUBMODULES = (
    "activations", "backend", "callbacks", "contrastive", "data", "fusion", "gradcheck", "io",
    "layers", "losses", "models", "neuron", "optimizers", "viz", "widgets",
)
# Top-level shortcuts, as ``tf.keras.Sequential`` sits beside ``tf.keras.models.Sequential``.
_SHORTCUTS = {
    "Sequential": "models",
    "MultimodalModel": "models",
    "Neuron": "neuron",
    "History": "callbacks",
}

__all__ = [
    "floatx", "get_backend", "get_namespace", "set_backend", "set_floatx", "set_seed",
    "to_numpy",
    *_SUBMODULES, *_SHORTCUTS,
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"mmlearn.{name}")
    if name in _SHORTCUTS:
        return getattr(importlib.import_module(f"mmlearn.{_SHORTCUTS[name]}"), name)
    raise AttributeError(f"module 'mmlearn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
