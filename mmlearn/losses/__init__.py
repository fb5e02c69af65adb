"""Losses: a number that says how wrong the predictions are, and its gradient.

    loss = SparseCategoricalCrossentropy()
    value = loss(y_true, y_pred)     # batch mean, a 0-d array on y_pred's backend
    grad = loss.backward()           # dL/dy_pred of that mean, shaped like y_pred

The formulas are Keras 3's (torch backend), so values and gradients match it:

    MeanSquaredError            L = mean((ŷ − y)²)
    BinaryCrossentropy          L = mean(−y log p − (1 − y) log(1 − p)),   p = clip(ŷ, ε, 1 − ε)
    CategoricalCrossentropy     L = mean_rows(−Σ_k t_k log q_k),   q = clip(ŷ / Σŷ, ε, 1 − ε)
    SparseCategoricalCrossentropy   the same with t = onehot(label)

with ε = 1e-7 (``keras.backend.epsilon()``). The gradient through the clip is 0 on
clipped entries, exactly as autograd computes it. ``from_logits=True`` takes raw scores z
instead and uses log-softmax / log-sigmoid computed stably (log-sum-exp), so even
z = 1e4 gives finite values.

Fused path: when the last layer ends in softmax (sigmoid for binary cross-entropy), the
gradient with respect to the *logits* z is simply

    dL/dz = (p − onehot) / N        (0 on rows whose true-class probability was clipped)

``fused_backward()`` returns it (after a call on the probabilities) and the model hands it
to ``last_layer.backward_linear``: cheaper and more accurate than going through
``backward()`` and the softmax Jacobian. ``loss.fuses_with`` names the activation it fuses
with (``None`` when ``from_logits=True``: there is nothing to fuse).

``InfoNCE`` is CLIP's contrastive loss over an (N, N) matrix of image-caption logits
(chapter 6); ``get("infonce")`` builds it too.

A loss says what its targets are (``loss.target``): ``"values"`` shaped like y_pred,
``"labels"`` (class ids: the sparse cross-entropy) or ``"pairs"`` (InfoNCE's matching).

One file per family: ``base.py`` (the Loss contract, the input checks), ``regression.py``
(MSE), ``crossentropy.py`` (binary, categorical, sparse), ``infonce.py``.
"""

from __future__ import annotations

from typing import Any

from mmlearn._validation import lookup
from mmlearn.losses.base import Loss
from mmlearn.losses.crossentropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
)
from mmlearn.losses.infonce import InfoNCE
from mmlearn.losses.regression import MeanSquaredError

__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "InfoNCE", "Loss", "MeanSquaredError",
    "SparseCategoricalCrossentropy", "get",
]


# -- lookup -------------------------------------------------------------------------------
_REGISTRY: dict[str, Any] = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "meansquarederror": MeanSquaredError,
    "binary_crossentropy": BinaryCrossentropy,
    "binarycrossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "categoricalcrossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "sparsecategoricalcrossentropy": SparseCategoricalCrossentropy,
    "infonce": InfoNCE,
}


def get(identifier: Any) -> Any:
    """A loss object from Keras's name (``"mse"``, ``"binary_crossentropy"``,
    ``"categorical_crossentropy"``, ``"sparse_categorical_crossentropy"``, ``"infonce"``;
    case-insensitive, unknown names raise ``ValueError`` with a did-you-mean), a loss class
    (instantiated) or a loss object (returned as is: anything with ``__call__`` and
    ``backward``).
    """
    if isinstance(identifier, str):
        return lookup(identifier, _REGISTRY, "loss")()
    if isinstance(identifier, type):
        obj = identifier()
    else:
        obj = identifier
    if callable(obj) and callable(getattr(obj, "backward", None)):
        return obj
    raise TypeError("loss must be a name such as 'sparse_categorical_crossentropy' or an object "
                    f"with __call__(y_true, y_pred) and backward(), got {identifier!r}")
