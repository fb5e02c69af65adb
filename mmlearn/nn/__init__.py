"""Layers: the boxes data flows through (DESIGN 3.1), one concept per file.

    layer.py          the Layer contract: params, grads, build, forward, backward
    init.py           weight initialisers (Glorot, He, LeCun), drawn from the seeded rng
    activations.py    relu, sigmoid, tanh, gelu, softmax, ... as functions and as objects
    neuron.py         the seed's single neuron, y = f(w·x + b), and the Perceptron
    dense.py          Dense, y = f(x @ W + b), and Activation, y = f(x)
    dropout.py        Dropout
    normalization.py  LayerNorm
    embedding.py      Embedding
    reshape.py        Flatten, GlobalAveragePooling1D
    attention.py      MultiHeadAttention

Every layer follows one contract (see ``Layer``): ``forward(x, training=False)``
caches what ``backward`` needs; ``backward(grad_out)`` takes dL/d(output), fills
``self.grads`` (same keys and shapes as ``self.params``) and returns dL/dx.
"""

from mmlearn.nn.attention import MultiHeadAttention
from mmlearn.nn.dense import Activation, Dense
from mmlearn.nn.dropout import Dropout
from mmlearn.nn.embedding import Embedding
from mmlearn.nn.layer import Layer
from mmlearn.nn.neuron import Neuron, Perceptron
from mmlearn.nn.normalization import LayerNorm
from mmlearn.nn.reshape import Flatten, GlobalAveragePooling1D

__all__ = [
    "Activation", "Dense", "Dropout", "Embedding", "Flatten", "GlobalAveragePooling1D",
    "Layer", "LayerNorm", "MultiHeadAttention", "Neuron", "Perceptron",
]
