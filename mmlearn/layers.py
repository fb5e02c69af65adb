"""``mm.layers``: the layers, by the names Keras gives them (``keras.layers.Dense``, ...).

Each lives in its own file under :mod:`mmlearn.nn`; this module is the public namespace.

    Dense(units, activation)   y = f(x @ W + b)
    Activation(name)           y = f(x)
    Dropout(rate)              y = x ⊙ m / (1 − rate), m ~ Bernoulli(1 − rate), when training
    Flatten()                  (batch, d1, d2, ...) -> (batch, d1·d2·...)
    Embedding(V, D)            ids (batch, steps) -> E[ids] (batch, steps, D)
    LayerNorm()                y = γ ⊙ (x − μ)/√(σ² + ε) + β over the last axis
    GlobalAveragePooling1D()   (batch, steps, features) -> mean over steps
    MultiHeadAttention         softmax(Q Kᵀ / √d) V over several heads
"""

from mmlearn.nn import (
    Activation,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAveragePooling1D,
    Layer,
    LayerNorm,
    MultiHeadAttention,
)

__all__ = [
    "Activation", "Dense", "Dropout", "Embedding", "Flatten", "GlobalAveragePooling1D",
    "Layer", "LayerNorm", "MultiHeadAttention",
]
