"""Multimodal fusion: how features from several modalities become one.

Every fusion layer takes a dict of modality arrays and returns one array,

    z = fusion({"image": x_img, "text": x_txt})          forward
    {"image": dx_img, "text": dx_txt} = fusion.backward(dz)

and is built, as any Layer, on its first call from the dict of input shapes.
The modality names are fixed then: a later call with a missing or an extra
modality, a wrong rank or feature size, or modalities with different batch
sizes raises a ``ValueError`` that names them.

======================  ============================================================
layer                   idea
======================  ============================================================
``Concat``              early fusion: concatenate the features
``Late``                decision-level fusion: average each modality's predictions
``Gated``               Gated Multimodal Unit: a learned gate mixes the modalities
``Tensor``              Tensor Fusion Network: outer product of [x; 1] vectors
``LowRank``             Low-rank Multimodal Fusion: the tensor product, factorised
``FiLM``                Feature-wise Linear Modulation: one modality scales another
``CrossAttention``      one modality's tokens attend to another's
======================  ============================================================

``get("gmu", units=16)`` builds one by name (case-insensitive, with a did-you-mean).

One file per family, each forward beside its backward: ``concat.py`` (Concat, Late),
``gated.py``, ``tensor.py`` (Tensor, LowRank), ``film.py``, ``cross_attention.py``;
``base.py`` holds the dict-of-modalities checks they share.
"""

from __future__ import annotations

from typing import Any

from mmlearn._validation import lookup
from mmlearn.fusion.base import _Fusion
from mmlearn.fusion.concat import Concat, Late
from mmlearn.fusion.cross_attention import CrossAttention
from mmlearn.fusion.film import FiLM
from mmlearn.fusion.gated import Gated
from mmlearn.fusion.tensor import LowRank, Tensor
from mmlearn.nn.layer import Layer

__all__ = ["Concat", "CrossAttention", "FiLM", "Gated", "Late", "LowRank", "Tensor", "get"]


_REGISTRY: dict[str, type[_Fusion]] = {
    "concat": Concat, "early": Concat,
    "late": Late,
    "gated": Gated, "gmu": Gated,
    "tensor": Tensor, "tfn": Tensor,
    "lowrank": LowRank, "low_rank": LowRank, "lmf": LowRank,
    "film": FiLM,
    "crossattention": CrossAttention, "cross_attention": CrossAttention,
}


def get(identifier: Any, **kwargs: Any) -> Layer:
    """A fusion layer by name, e.g. ``get("gated", units=16)`` or ``get("tfn", units=8)``.

    Names (case-insensitive): concat/early, late, gated/gmu, tensor/tfn, lowrank/lmf,
    film, crossattention. A Layer instance is returned unchanged.
    """
    if isinstance(identifier, Layer):
        if kwargs:
            raise TypeError(f"fusion.get: got a layer instance and extra arguments {kwargs}")
        return identifier
    cls = lookup(identifier, _REGISTRY, "fusion")
    return cls(**kwargs)
