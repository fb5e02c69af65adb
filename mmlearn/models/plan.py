"""The training plan: which layers run backward, which parameters update, and whether
the step starts from the fused softmax + cross-entropy gradient.

Made once per ``fit`` (``Model._make_plan``), so the per-batch step only follows it:

    vars      [(layer, param name), ...]   what the optimizer updates
    fused     the last layer ends in the activation the loss fuses with (softmax and a
              cross-entropy): backward starts from dL/dz = (p − onehot)/N at its
              pre-activation, through ``backward_linear``
    starts    per chain, the first layer whose backward must run (layers before it are
              frozen and nothing before them needs a gradient)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mmlearn.nn.layer import Layer

__all__: list[str] = []


def run_backward(chain: Sequence[Layer], start: int, grad: Any, fused: bool) -> Any:
    """Backward through ``chain[start:]``, from the last layer down to ``start``.

    ``fused``: ``grad`` is dL/dz of the last layer's pre-activation, so that layer runs
    ``backward_linear``. Returns dL/d(input of chain[start]) (None when that layer was
    told ``input_grad = False``).
    """
    last = len(chain) - 1
    for i in range(last, start - 1, -1):
        layer = chain[i]
        grad = layer.backward_linear(grad) if fused and i == last else layer.backward(grad)
        if grad is None and i > start:
            raise RuntimeError(f"layer {layer.name!r} returned no input gradient, so the layers "
                               "before it cannot be trained; put it first in the model")
    return grad


def first_to_train(chain: Sequence[tuple[Layer, bool]], upstream: bool) -> int:
    """First layer of a chain whose backward must run: 0 if something before the chain
    needs the gradient, else the first trainable layer with parameters (len: none)."""
    if upstream:
        return 0
    for i, (layer, trainable) in enumerate(chain):
        if trainable and layer.params:
            return i
    return len(chain)


def fuses_with_loss(last: Layer | None, loss: Any) -> bool:
    """Does the loss fuse with the last layer's activation (softmax + cross-entropy)?"""
    partner = getattr(loss, "fuses_with", None)
    return (last is not None and partner is not None
            and getattr(last, "activation_name", None) == partner
            and callable(getattr(last, "backward_linear", None))
            and callable(getattr(loss, "fused_backward", None)))


class TrainPlan:
    """What one fit needs to know: which layers run backward, which params update."""

    def __init__(self) -> None:
        self.vars: list[tuple[Layer, str]] = []        # (layer, param name) to update
        self.keys: list[tuple[int, str]] = []          # the optimizer's state keys for them
        self.fused = False                             # start from the fused dL/dz
        self.starts: dict[str, int] = {}               # chain name -> first layer to run
        self.chains: dict[str, list[Layer]] = {}       # chain name -> its leaf layers
        self.fusion_needed = True                      # MultimodalModel: run fusion backward
        self.loss: Any = None                          # loss(y, ŷ) on checked targets
        self._saved_input_grad: list[tuple[Layer, bool]] = []

    def add_chain(self, name: str, chain: Sequence[tuple[Layer, bool]],
                  upstream: bool) -> bool:
        """Plan one chain of leaves: the layers from the first that must run backward on
        update their trainable parameters. Returns whether any backward runs in it."""
        start = first_to_train(chain, upstream)
        self.starts[name] = start
        self.chains[name] = [layer for layer, _ in chain]
        for layer, trainable in chain[start:]:
            if trainable:
                self.add_vars(layer)
        self._set_input_grads(chain, start, upstream)
        return start < len(chain)

    def add_vars(self, layer: Layer) -> None:
        for name in layer.params:
            self.vars.append((layer, name))
            self.keys.append((id(layer), name))

    def run(self, name: str, grad: Any, fused: bool = False) -> Any:
        """Backward through the planned part of chain ``name``."""
        return run_backward(self.chains[name], self.starts[name], grad, fused)

    def _set_input_grads(self, chain: Sequence[tuple[Layer, bool]], start: int,
                         upstream: bool) -> None:
        """The first layer that runs backward computes dL/dx only if something before the
        chain needs it; every later layer must pass gradients back."""
        for i in range(start, len(chain)):
            layer = chain[i][0]
            if hasattr(layer, "input_grad"):
                self._saved_input_grad.append((layer, layer.input_grad))
                layer.input_grad = upstream if i == start else True

    def restore(self) -> None:
        """Give every layer back the ``input_grad`` it had before the plan."""
        for layer, value in reversed(self._saved_input_grad):
            layer.input_grad = value
        self._saved_input_grad.clear()
