"""The ``Layer`` contract every box in the data flow follows (DESIGN 3.1).

    params: dict[str, Array]     e.g. {"W": (in, out), "b": (out,)}
    grads:  dict[str, Array]     same keys and shapes, filled by backward
    trainable: bool              False freezes the layer (transfer learning)
    forward(x, training=False)   caches what backward needs, returns the output
    backward(grad_out)           fills self.grads, returns dL/dx

``layer(x)`` is what a reader calls: it builds the layer on first use, checks x
(``check_input``), then runs ``forward``. Layers are built lazily, as in Keras:
``build(input_shape)`` creates the parameters once the input size is known, either at
construction (``input_shape=(32,)``) or on the first call. A model checks its data once
per ``fit`` and then runs each layer's bare ``forward`` on every batch.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

import numpy as np

from mmlearn._validation import checked_weights
from mmlearn.backend import FLOATX, asarray, floatx, to_numpy

__all__ = ["Layer"]

_name_counters: defaultdict[str, itertools.count] = defaultdict(itertools.count)


def snake_case(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


def unique_name(prefix: str) -> str:
    """Keras-style names: ``dense``, ``dense_1``, ``dense_2``, ..."""
    n = next(_name_counters[prefix])
    return prefix if n == 0 else f"{prefix}_{n}"


class Params(dict):
    """A layer's parameters by name. Asking for one it does not have says why, instead of a
    bare ``KeyError``: most often the layer is not built yet (``forward`` does not build;
    calling the layer does)."""

    def __init__(self, owner: Layer) -> None:
        super().__init__()
        self._owner = owner

    def __missing__(self, key: str) -> Any:
        self._owner.require_built(f"has no parameter {key!r} yet")
        raise KeyError(f"{self._owner.name} has no parameter {key!r}; it has {list(self)}")


class Layer:
    """Base class: subclasses implement ``build``, ``forward`` and ``backward``.

    ``params`` and ``grads`` are the live arrays, exposed for teaching: the optimizer
    updates ``params`` in place, and writing into them changes the layer. Everything that
    crosses the API boundary is a copy instead: ``get_weights`` hands out copies, and
    ``set_weights`` (like ``load_weights``) keeps copies of what it is given, so the
    caller's arrays are never trained in place.
    """

    def __init__(self, *, input_shape: tuple[int, ...] | None = None, name: str | None = None,
                 trainable: bool = True, dtype: str | None = None) -> None:
        if dtype is not None and dtype not in FLOATX:
            raise ValueError(f"{type(self).__name__}: dtype must be one of {FLOATX} or None "
                             f"(mm.floatx()), got {dtype!r}")
        self.dtype = dtype or floatx()        # the parameters' dtype, fixed at construction
        self.params: dict[str, Any] = Params(self)
        self.grads: dict[str, Any] = {}
        self.trainable = trainable
        self.built = False
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.input_shape: tuple | dict | None = None
        if input_shape is not None:
            shape = _as_shape(input_shape, "input_shape")
            self.build((None, *shape))

    # -- building -------------------------------------------------------------
    def build(self, input_shape: tuple) -> None:
        """Create parameters for inputs of ``input_shape`` (batch axis first, may be None).

        Fusion layers get a dict of shapes, one per modality, and keep it as a dict.
        """
        is_dict = isinstance(input_shape, dict)
        self.input_shape = dict(input_shape) if is_dict else tuple(input_shape)
        self.built = True

    def require_built(self, what: str = "cannot run forward") -> None:
        """Raise a clear error if the layer is not built yet (``forward`` does not build;
        calling the layer does)."""
        if not self.built:
            raise RuntimeError(
                f"{self.name} {what}: it is not built. Call it as {self.name}(x), which "
                "builds it from x's shape, or give input_shape=... (or call "
                "build(input_shape)) before using forward")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Shape of the output for an input of ``input_shape`` (default: unchanged)."""
        return input_shape

    @property
    def output_shape(self) -> tuple | None:
        return None if self.input_shape is None else self.compute_output_shape(self.input_shape)

    # -- the contract ---------------------------------------------------------
    def __call__(self, x: Any, training: bool = False) -> Any:
        """``layer(x)``, as in Keras: build on the first call (from x's shape), check x
        (:meth:`check_input`), then :meth:`forward`. A model checks its data once per
        ``fit`` and then runs its layers' ``forward`` on every batch."""
        if not self.built:
            self.build(tuple(x.shape) if hasattr(x, "shape") else _shape_of_dict(x))
        return self.forward(self.check_input(x), training=training)

    def check_input(self, x: Any) -> Any:
        """What calling the layer checks before ``forward`` (here: nothing); returns x,
        possibly cast (Dense: integer data becomes float, and the width must match)."""
        return x

    def forward(self, x: Any, training: bool = False) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, grad_out: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    # -- the checks every backward shares ---------------------------------------
    def _remember_output(self, out: Any) -> Any:
        """Called by ``forward`` on its result: keeps the output's shape, which backward's
        gradient must have (:meth:`_check_grad_out`). Returns ``out``."""
        self._output_shape = _shape_of(out)
        return out

    def _check_grad_out(self, grad_out: Any) -> None:
        """Called first by ``backward``: forward must have run, and ``grad_out`` must have
        the shape of its last output (else the error would come from deep inside NumPy,
        or not at all)."""
        want = self.__dict__.get("_output_shape")
        if want is None:
            raise RuntimeError(f"{self.name}.backward called before forward: call forward "
                               "before backward (backward needs what forward cached)")
        got = _shape_of(grad_out) if hasattr(grad_out, "shape") or isinstance(
            grad_out, dict) else None
        if got != want:
            shown = got if got is not None else type(grad_out).__name__
            raise ValueError(f"{self.name}.backward expected grad_out of shape {want} (the "
                             f"shape of its last output), got {shown}")

    # -- parameters -----------------------------------------------------------
    def add_param(self, name: str, value: np.ndarray, dtype: str | None = None) -> Any:
        """Register a parameter, given as a NumPy array, on the active backend (a copy: the
        optimizer updates parameters in place)."""
        self.params[name] = asarray(value, dtype=dtype or self.dtype, copy=True)
        return self.params[name]

    def count_params(self) -> int:
        return sum(int(np.prod(p.shape)) for p in self.params.values())

    def get_weights(self) -> list[np.ndarray]:
        """Parameters as NumPy arrays, in ``params`` order (``W`` then ``b`` for Dense)."""
        return [to_numpy(p).copy() for p in self.params.values()]

    def set_weights(self, weights: list) -> None:
        """Replace every parameter with a copy of ``weights`` (the caller's arrays are never
        trained in place); checks count and shapes first, so a bad list changes nothing."""
        new = checked_weights(weights, [(key, p) for key, p in self.params.items()],
                              f"{self.name}.set_weights")
        for key, value in zip(list(self.params), new, strict=True):
            self.params[key] = asarray(value, copy=True)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"


def _as_shape(shape: Any, arg: str) -> tuple[int, ...]:
    if isinstance(shape, int | np.integer):
        shape = (int(shape),)
    try:
        shape = tuple(int(d) for d in shape)
    except TypeError as err:
        raise TypeError(f"{arg} must be a tuple of positive ints, got {shape!r}") from err
    if not shape or any(d <= 0 for d in shape):
        raise ValueError(f"{arg} must be a tuple of positive ints, got {shape!r}")
    return shape


def _shape_of(x: Any) -> Any:
    """The shape of an array, or {key: shape} of a dict of arrays (None if neither)."""
    if isinstance(x, dict):
        return {k: _shape_of(v) for k, v in x.items()}
    shape = getattr(x, "shape", None)
    return None if shape is None else tuple(int(d) for d in shape)


def _shape_of_dict(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: tuple(v.shape) for k, v in x.items()}
    raise TypeError(f"expected an array or a dict of arrays, got {type(x).__name__}")

