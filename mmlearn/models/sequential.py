"""``Sequential``: a plain stack, each layer's output the next layer's input (Keras's)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mmlearn._validation import as_float_array, shape_str
from mmlearn.models.model import Model
from mmlearn.models.parts import leaves, shape_of
from mmlearn.models.plan import TrainPlan, fuses_with_loss, run_backward
from mmlearn.models.summary import Row, row
from mmlearn.nn.layer import Layer

__all__ = ["Sequential"]


class Sequential(Model):
    """A plain stack: each layer's output is the next layer's input (Keras's Sequential).

        Sequential([Dense(64, activation="relu", input_shape=(32,)), Dense(10)])

    Shapes: x (batch, *input) -> layer_1 -> ... -> layer_L -> ŷ.
    Backward runs the layers in reverse: dL/dx_{l} = layer_l.backward(dL/dx_{l+1}).

    A layer given ``input_shape`` is built at once and the rest of the stack with it;
    otherwise everything is built at the first call, ``fit`` or ``build((None, 32))``.
    A Sequential is itself a Layer, usable as an encoder or a head; ``trainable = False``
    freezes all its layers.
    """

    def __init__(self, layers: Sequence[Layer] | None = None, name: str | None = None) -> None:
        super().__init__(name)
        self._layers: list[Layer] = []
        if layers is not None:
            if isinstance(layers, Layer) or not isinstance(layers, list | tuple):
                raise TypeError(f"Sequential: layers must be a list of layers, "
                                f"got {type(layers).__name__}")
            for layer in layers:
                self.add(layer)

    @property
    def chain_parts(self) -> list[Layer]:
        """The layers, run one after the other (what the walk over a model's layers,
        ``mmlearn.models.parts.leaves``, goes into)."""
        return self._layers

    def _parts(self) -> list[Layer]:
        return self._layers

    def add(self, layer: Layer) -> None:
        """Append a layer (building it at once if the stack before it is built)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"{self.name}.add expected a Layer (e.g. mm.layers.Dense(10)), "
                            f"got {type(layer).__name__}")
        if layer is self or any(layer is other for other, _ in self._leaves()) \
                or any(layer is other for other in self._layers):
            raise ValueError(f"{self.name}.add: layer {layer.name!r} is already in the model "
                             "(a layer can be used once)")
        self._layers.append(layer)
        try:
            first = self._layers[0]
            if first.built and isinstance(first.input_shape, tuple):
                self.build(first.input_shape)
        except Exception:
            self._layers.pop()
            raise

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._layers:
            raise ValueError(f"{self.name}.pop: the model has no layers")
        return self._layers.pop()

    # -- shapes -------------------------------------------------------------------
    @property
    def built(self) -> bool:                     # type: ignore[override]
        return bool(self._layers) and all(layer.built for layer in self._layers)

    @property
    def input_shape(self) -> tuple | None:       # type: ignore[override]
        return self._layers[0].input_shape if self._layers else None

    def build(self, input_shape: tuple | None = None) -> None:
        """Build every layer for inputs of ``input_shape`` (with the batch axis, e.g.
        ``(None, 32)``; default: the first layer's ``input_shape``)."""
        if not self._layers:
            raise ValueError(f"{self.name}.build: the model has no layers; add some first")
        if input_shape is None:
            input_shape = self._layers[0].input_shape
            if input_shape is None:
                raise ValueError(f"{self.name}.build needs input_shape, e.g. (None, 32)")
        if not isinstance(input_shape, tuple | list) or len(input_shape) < 2:
            raise ValueError(f"{self.name}.build: input_shape must include the batch axis, "
                             f"e.g. (None, 32), got {input_shape!r}")
        shape = (None, *tuple(input_shape)[1:])
        for layer in self._layers:
            if not layer.built:
                layer.build(shape)
            elif isinstance(layer.input_shape, tuple) and \
                    tuple(layer.input_shape[1:]) != tuple(shape[1:]):
                raise ValueError(f"{self.name}: layer {layer.name!r} expects input of shape "
                                 f"{shape_str(layer.input_shape)} but the layer before it "
                                 f"gives {shape_str(shape)}")
            shape = (None, *tuple(layer.compute_output_shape(shape))[1:])

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    @property
    def output_shape(self) -> tuple | None:
        return None if not self.built else self.compute_output_shape(self.input_shape)

    # -- the Layer contract -------------------------------------------------------
    def __call__(self, x: Any, training: bool = False) -> Any:
        """``model(x)``: x -> layer_1(x) -> ... -> layer_L; each layer checks its input
        and builds itself on first use."""
        if not self._layers:
            raise ValueError(f"{self.name} has no layers; add some first")
        for layer in self._layers:
            x = layer(x, training=training)
        return x

    def forward(self, x: Any, training: bool = False) -> Any:
        """x -> layer_1.forward -> ... -> layer_L.forward, on data the model has checked
        (``fit`` checks it once, then runs this on every batch); an unbuilt model is called
        instead."""
        if not self.built:
            return self(x, training=training)
        for layer in self._layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, grad_out: Any) -> Any:
        """dL/dx from dL/dŷ, through every layer in reverse (fills each layer's grads)."""
        return run_backward([leaf for leaf, _ in leaves(self)], 0, grad_out, False)

    def backward_linear(self, delta: Any) -> Any:
        """As :meth:`backward`, starting from dL/dz of the last layer's pre-activation."""
        return run_backward([leaf for leaf, _ in leaves(self)], 0, delta, True)

    @property
    def activation_name(self) -> str | None:
        """The last layer's activation (``"softmax"`` makes the loss fuse with it)."""
        chain = leaves(self)
        return getattr(chain[-1][0], "activation_name", None) if chain else None

    @property
    def input_grad(self) -> bool:
        chain = leaves(self)
        return bool(getattr(chain[0][0], "input_grad", True)) if chain else True

    @input_grad.setter
    def input_grad(self, value: bool) -> None:
        chain = leaves(self)
        if chain and hasattr(chain[0][0], "input_grad"):
            chain[0][0].input_grad = bool(value)

    def _weight_entries(self, prefix: str = "", slot: str = "") -> list:
        out = []
        for i, layer in enumerate(self._layers):
            out += self._entries_of(layer, f"{prefix}{i}/", f"{slot}{i}/")
        return out

    # -- the engine's hooks -------------------------------------------------------
    def _prepare_x(self, x: Any, arg: str, who: str, allow_missing: bool = False) -> Any:
        if isinstance(x, Mapping):
            raise TypeError(f"{arg} must be an array for a Sequential model, got a dict with keys "
                            f"{list(x)} (dicts of modalities are for MultimodalModel)")
        return self._cast(as_float_array(x, arg, min_ndim=1))

    def _check_all(self, x: Any) -> Any:
        return leaves(self)[0][0].check_input(x)

    def _make_plan(self) -> TrainPlan:
        plan = TrainPlan()
        chain = leaves(self)
        if plan.add_chain("layers", chain, upstream=False):
            plan.fused = fuses_with_loss(chain[-1][0], self.loss)
        return plan

    def _backward_train(self, grad: Any, plan: TrainPlan) -> None:
        plan.run("layers", grad, plan.fused)

    def _summary_rows(self) -> list[Row]:
        return [row(layer, f"{layer.name} ({type(layer).__name__})", shape_of(layer))
                for layer in self._layers]
