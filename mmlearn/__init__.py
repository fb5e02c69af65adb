"""mmlearn: multimodal deep learning from scratch, on NumPy or CuPy.

    import mmlearn as mm
    mm.set_seed(0)
    model = mm.Sequential([mm.layers.Dense(64, activation="relu", input_shape=(32,)),
                           mm.layers.Dense(10, activation="softmax")])

The folders follow the data path (DESIGN 3): ``nn`` (layers), ``fusion``, ``losses``,
``metrics``, ``optimizers``, ``models`` and ``callbacks``, ``data``. Every submodule is
imported here with a plain import; ``viz`` and ``widgets`` load matplotlib and ipywidgets
only when one of their functions runs.
"""

from mmlearn import (
    activations,
    attention,
    backend,
    callbacks,
    contrastive,
    data,
    fusion,
    gradcheck,
    io,
    layers,
    losses,
    metrics,
    models,
    neuron,
    nn,
    optimizers,
    viz,
    widgets,
)
from mmlearn.backend import (
    floatx,
    get_backend,
    get_namespace,
    set_backend,
    set_floatx,
    set_seed,
    to_numpy,
)
from mmlearn.callbacks import History
from mmlearn.models import Model, MultimodalModel, Sequential
from mmlearn.nn.neuron import Neuron

__version__ = "0.1.0"

# Top-level shortcuts, as ``tf.keras.Sequential`` sits beside ``tf.keras.models.Sequential``.
__all__ = [
    "floatx", "get_backend", "get_namespace", "set_backend", "set_floatx", "set_seed",
    "to_numpy",
    "activations", "attention", "backend", "callbacks", "contrastive", "data", "fusion",
    "gradcheck", "io", "layers", "losses", "metrics", "models", "neuron", "nn", "optimizers",
    "viz", "widgets",
    "History", "Model", "MultimodalModel", "Neuron", "Sequential",
]
