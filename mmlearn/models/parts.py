"""What a model is made of: the one walk over its layers and its parameters as one dict.

    leaves(model)        [(layer, trains?), ...]: the leaf layers, in data order
    ParamView(model)     every parameter keyed like the weights file ("0/dense/W"),
                         reads and writes going to the layer that owns the array
    TowerView(dual)      a DualEncoder's: "W_img", ..., "image_encoder/<key>", ...
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

from mmlearn.backend import array_namespace
from mmlearn.nn.layer import Layer

if TYPE_CHECKING:
    from mmlearn.models.dual_encoder import DualEncoder
    from mmlearn.models.model import Model

__all__: list[str] = []


def leaves(layer: Layer, parent_trainable: bool = True) -> list[tuple[Layer, bool]]:
    """The chain of leaf layers inside ``layer`` with their effective trainability: a leaf
    trains only if it and every container around it are trainable.

    Containers are the models whose parts run one after the other (``chain_parts``, a
    Sequential); any other layer, a MultimodalModel inside a Sequential included, is a leaf
    that runs its own backward.
    """
    trainable = parent_trainable and bool(layer.trainable)
    parts = getattr(layer, "chain_parts", None)
    if parts is None:
        return [(layer, trainable)]
    return [pair for sub in parts for pair in leaves(sub, trainable)]


def itemsize(a: Any) -> int:
    """Bytes per entry of an array of any backend (4 for float32)."""
    xp = array_namespace(a)
    try:
        return xp.finfo(a.dtype).bits // 8
    except (TypeError, ValueError):
        return xp.iinfo(a.dtype).bits // 8


def shape_of(layer: Layer) -> tuple | None:
    """Output shape with a None batch axis, or None when unknown (unbuilt)."""
    try:
        if not layer.built:
            return None
        shape = layer.output_shape
    except Exception:
        return None
    if not isinstance(shape, tuple) or not shape:
        return None
    return (None, *shape[1:])


class ParamView(MutableMapping):
    """A model's parameters as one dict keyed like the weights file ("0/dense/W"); writes
    go through to the layer that owns the array (so gradient checks can perturb them)."""

    def __init__(self, model: Model, grads: bool = False) -> None:
        self._model = model
        self._grads = grads

    def _entries(self) -> dict[str, tuple[Layer, str]]:
        return {key: (leaf, name) for key, _, leaf, name in self._model._weight_entries()}

    def _store(self, leaf: Layer) -> MutableMapping:
        return leaf.grads if self._grads else leaf.params

    def __getitem__(self, key: str) -> Any:
        leaf, name = self._entries()[key]
        return self._store(leaf)[name]

    def __setitem__(self, key: str, value: Any) -> None:
        leaf, name = self._entries()[key]
        self._store(leaf)[name] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError("a model's parameters cannot be deleted")

    def __iter__(self) -> Iterator[str]:
        for key, _, leaf, name in self._model._weight_entries():
            if not self._grads or name in leaf.grads:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)


class TowerView(MutableMapping):
    """The dual encoder's own parameters (or grads) followed by both encoders', keyed
    ``"W_img"``, ..., ``"image_encoder/<key>"``, ``"text_encoder/<key>"``. Reads and writes
    go to the layer that owns the array, so an optimizer or a gradient check sees one dict."""

    def __init__(self, model: DualEncoder, kind: str) -> None:
        self._model = model
        self._kind = kind

    def _own(self) -> dict[str, Any]:
        return getattr(self._model.projections, self._kind)

    def _split(self, key: str) -> tuple[Any, str]:
        for tower in ("image", "text"):
            prefix = f"{tower}_encoder/"
            if isinstance(key, str) and key.startswith(prefix):
                return getattr(self._model.encoder(tower), self._kind), key[len(prefix):]
        return self._own(), key

    def __getitem__(self, key: str) -> Any:
        store, sub = self._split(key)
        return store[sub]

    def __setitem__(self, key: str, value: Any) -> None:
        store, sub = self._split(key)
        if store is not self._own() and sub not in store and self._kind == "params":
            raise KeyError(key)
        store[sub] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError("a DualEncoder's parameters cannot be deleted")

    def __iter__(self) -> Iterator[str]:
        yield from list(self._own())
        for tower in ("image", "text"):
            for key in list(getattr(self._model.encoder(tower), self._kind)):
                yield f"{tower}_encoder/{key}"

    def __len__(self) -> int:
        return sum(1 for _ in self)
