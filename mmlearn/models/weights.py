"""A model's parameters: one dict over all its layers, counts, freezing, and weights in
and out (``get_weights`` / ``set_weights`` copies, ``save_weights`` / ``load_weights``
files). :class:`mmlearn.models.Model` inherits all of it from :class:`ModelWeights`."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

import numpy as np

from mmlearn import io
from mmlearn._validation import checked_weights, dtype_name, size
from mmlearn.backend import array_namespace, asarray, get_backend, to_numpy
from mmlearn.models.parts import ParamView, itemsize, leaves
from mmlearn.nn.layer import Layer

__all__: list[str] = []


class ModelWeights:
    """The parameter side of a model; the model says what its parts are (``_parts``) and
    how its parameters are keyed (``_weight_entries``)."""

    name: str
    _trainable: bool

    # -- Layer-like views ---------------------------------------------------------
    @property
    def params(self) -> MutableMapping:          # type: ignore[override]
        """Every parameter, keyed like the weights file (``"0/dense/W"``)."""
        return ParamView(self)

    @property
    def grads(self) -> MutableMapping:           # type: ignore[override]
        """Every gradient filled by the last backward, keyed like :attr:`params`."""
        return ParamView(self, grads=True)

    @property
    def trainable(self) -> bool:                 # type: ignore[override]
        """Setting it sets every layer inside (``model.trainable = False`` freezes all)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._parts():
            layer.trainable = bool(value)

    @property
    def layers(self) -> list[Layer]:
        """The model's direct sub-layers, in order."""
        return list(self._parts())

    def _parts(self) -> list[Layer]:
        raise NotImplementedError

    def _weight_entries(self, prefix: str = "", slot: str = "") -> list[tuple[str, str, Layer,
                                                                             str]]:
        """(file key, structural key, owning layer, param name) for every parameter."""
        raise NotImplementedError

    @staticmethod
    def _entries_of(layer: Layer, prefix: str, slot: str) -> list:
        if isinstance(layer, ModelWeights):
            return layer._weight_entries(prefix, slot)
        return [(f"{prefix}{layer.name}/{name}", f"{slot}{name}", layer, name)
                for name in layer.params]

    def _leaves(self) -> list[tuple[Layer, bool]]:
        return [pair for layer in self._parts() for pair in leaves(layer, self._trainable)]

    def count_params(self) -> int:
        return sum(size(leaf.params[name]) for _, _, leaf, name in self._weight_entries())

    def _param_counts(self) -> tuple[int, int, int]:
        """(total, trainable, bytes) over the built layers."""
        total = trainable = nbytes = 0
        for leaf, train in self._leaves():
            for p in leaf.params.values():
                n = size(p)
                total += n
                trainable += n if train else 0
                nbytes += n * itemsize(p)
        return total, trainable, nbytes

    # -- weights ------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Every parameter as a NumPy copy, in layer order (W then b per Dense)."""
        return [to_numpy(leaf.params[name]).copy()
                for _, _, leaf, name in self._weight_entries()]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Replace every parameter with a copy of ``weights`` (the list from
        ``get_weights``; the caller's arrays are never trained in place). Checks the count
        and every shape first, so a wrong list changes nothing."""
        entries = self._weight_entries()
        new = checked_weights(weights, [(f"{key} (layer {leaf.name!r})", leaf.params[name])
                                        for key, _, leaf, name in entries],
                              f"{self.name}.set_weights")
        for (_, _, leaf, name), value in zip(entries, new, strict=True):
            leaf.params[name] = asarray(value, copy=True)

    def save_weights(self, path: str) -> None:
        """Write every parameter to an ``.npz`` file (see :func:`mmlearn.io.save_weights`)."""
        io.save_weights(self, path)

    def load_weights(self, path: str) -> None:
        """Read parameters written by :meth:`save_weights`; a file that does not match
        the model raises ``ValueError`` naming the layer and changes nothing."""
        io.load_weights(self, path)

    def _first_param(self) -> Any:
        for _, _, leaf, name in self._weight_entries():
            return leaf.params[name]
        return None

    def _param_dtype(self) -> str | None:
        """The parameters' dtype name (None before any exists)."""
        param = self._first_param()
        return None if param is None else dtype_name(param)

    def _cast(self, x: Any) -> Any:
        """Floating inputs take the parameters' dtype (float64 data → float32, as Keras).

        Data and parameters must live on one backend: a model built before
        ``set_backend`` switched keeps its weights where they were made.
        """
        xp = array_namespace(x)
        param = self._first_param()
        if param is not None and array_namespace(param) is not xp:
            module = type(param).__module__.split(".")[0]
            raise ValueError(
                f"{self.name}: its parameters live on the {module!r} backend but the data "
                f"came on {get_backend()!r}; call mm.set_backend(...) before building the "
                "model (or rebuild it and set_weights) so both live on one backend")
        want = self._param_dtype() or "float32"
        if dtype_name(x) != want and xp.isdtype(x.dtype, "real floating"):
            x = xp.astype(x, getattr(xp, want))
        return x

