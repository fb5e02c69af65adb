"""Models: stacks of layers that train themselves, with Keras's API (DESIGN 3.2).

    model = Sequential([Dense(64, activation="relu", input_shape=(32,)),
                        Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=5)        # History: history.history["loss"], ...
    loss, acc = model.evaluate(x_test, y_test)
    probs = model.predict(x_test)

    mm = MultimodalModel(encoders={"image": enc_img, "text": enc_txt},
                         fusion=fusion.Concat(), head=Dense(3, activation="softmax"))
    mm.fit({"image": X_img, "text": X_txt}, y)

One training step (``Model.train_on_batch``; ``fit`` runs it for every batch), for (x, y):

    1. forward:   ŷ = f_L(… f_1(x))                 (training=True: Dropout is on)
    2. loss:      L = loss(y, ŷ)                    (the batch mean)
    3. backward:  δ = dL/dŷ, then each layer turns dL/d(output) into dL/d(input) and
                  fills its grads.  When the last layer ends in softmax and the loss is
                  a cross-entropy, the step starts from dL/dz = (p − onehot)/N (fused).
    4. update:    optimizer.apply_gradients(zip(grads, params)) on trainable layers only.

Both model kinds share this engine (:class:`Model`); they differ only in how data
flows: a chain (Sequential) or encoders → fusion → head (MultimodalModel). Both are
themselves Layers, so a Sequential can be an encoder or a head.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import numpy as np

from mmlearn import losses as _losses
from mmlearn import metrics as _metrics
from mmlearn import optimizers as _optimizers
from mmlearn._validation import (
    as_float_array,
    as_int_labels,
    check_int,
    checked_weights,
    did_you_mean,
    dtype_name,
    lookup,
    prefixed,
    shape_str,
    size,
)
from mmlearn.backend import array_namespace, asarray, get_backend, get_namespace, rng, to_numpy
from mmlearn.callbacks import (
    Callback,
    EarlyStopping,
    History,
    ProgressBar,
    TerminateOnNaN,
    _CallbackList,
    _ProgbarLogger,
)
from mmlearn.nn.layer import Layer, snake_case, unique_name

__all__ = [
    "Callback", "EarlyStopping", "History", "Model", "MultimodalModel", "ProgressBar",
    "Sequential", "TerminateOnNaN",
]


# =============================================================================
# Helpers
# =============================================================================
def _check_verbose(verbose: Any, who: str) -> int:
    if verbose == "auto":
        return 1
    if isinstance(verbose, bool | int | np.integer) and int(verbose) in (0, 1, 2):
        return int(verbose)
    raise ValueError(f"{who}: verbose must be 0 (silent), 1 (progress bar), 2 (one line per "
                     f"epoch) or 'auto', got {verbose!r}")


def _flatten(layer: Layer, parent_trainable: bool = True) -> list[tuple[Layer, bool]]:
    """The chain of leaf layers inside ``layer`` with their effective trainability
    (a leaf trains only if it and every container around it are trainable)."""
    trainable = parent_trainable and bool(layer.trainable)
    if isinstance(layer, Sequential):
        return [pair for sub in layer._layers for pair in _flatten(sub, trainable)]
    return [(layer, trainable)]


def _num_params(layer: Layer) -> int:
    return sum(size(p) for p in layer.params.values())


def _itemsize(a: Any) -> int:
    xp = array_namespace(a)
    try:
        return xp.finfo(a.dtype).bits // 8
    except (TypeError, ValueError):
        return xp.iinfo(a.dtype).bits // 8


def _run_chain(leaves: Sequence[Layer], start: int, grad: Any, fused: bool) -> Any:
    """Backward through ``leaves[start:]`` from the last to ``start``.

    ``fused``: ``grad`` is dL/dz of the last layer's pre-activation, so the last layer
    runs ``backward_linear``. Returns dL/d(input of leaves[start]) (or None when that
    layer was told ``input_grad = False``).
    """
    last = len(leaves) - 1
    for i in range(last, start - 1, -1):
        leaf = leaves[i]
        grad = leaf.backward_linear(grad) if fused and i == last else leaf.backward(grad)
        if grad is None and i > start:
            raise RuntimeError(f"layer {leaf.name!r} returned no input gradient, so the layers "
                               "before it cannot be trained; put it first in the model")
    return grad


def _chain_start(chain: Sequence[tuple[Layer, bool]], upstream: bool) -> int:
    """First layer of a chain whose backward must run: 0 if something before the chain
    needs the gradient, else the first trainable layer with parameters (len: none)."""
    if upstream:
        return 0
    for i, (leaf, trainable) in enumerate(chain):
        if trainable and leaf.params:
            return i
    return len(chain)


def _fusable(last: Layer | None, loss: Any) -> bool:
    """Does the loss fuse with the last layer's activation (softmax + cross-entropy)?"""
    partner = getattr(loss, "fuses_with", None)
    return (last is not None and partner is not None
            and getattr(last, "activation_name", None) == partner
            and callable(getattr(last, "backward_linear", None))
            and callable(getattr(loss, "fused_backward", None)))


def _shape_of(layer: Layer) -> tuple | None:
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


class _ParamView(MutableMapping):
    """A model's parameters as one dict keyed like the weights file ("0/dense/W"); writes
    go through to the layer that owns the array (so gradient checks can perturb them)."""

    def __init__(self, model: Model, grads: bool = False) -> None:
        self._model = model
        self._grads = grads

    def _entries(self) -> dict[str, tuple[Layer, str]]:
        return {key: (leaf, name) for key, _, leaf, name in self._model._weight_entries()}

    def __getitem__(self, key: str) -> Any:
        leaf, name = self._entries()[key]
        return (leaf.grads if self._grads else leaf.params)[name]

    def __setitem__(self, key: str, value: Any) -> None:
        leaf, name = self._entries()[key]
        (leaf.grads if self._grads else leaf.params)[name] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError("a model's parameters cannot be deleted")

    def __iter__(self) -> Iterator[str]:
        for key, _, leaf, name in self._model._weight_entries():
            if not self._grads or name in leaf.grads:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Plan:
    """What one fit needs to know: which layers run backward, which params update."""

    def __init__(self) -> None:
        self.vars: list[tuple[Layer, str]] = []        # (layer, param name) to update
        self.keys: list[tuple[int, str]] = []          # the optimizer's state keys for them
        self.fused = False                             # start from the fused dL/dz
        self.saved_input_grad: list[tuple[Layer, bool]] = []
        # Sequential: the chain of leaf layers and the first one whose backward runs.
        self.chain: list[Layer] = []
        self.start = 0
        # MultimodalModel: the same per encoder and for the head; skip the fusion's
        # backward when nothing before it trains.
        self.enc_start: dict[str, int] = {}
        self.head_start = 0
        self.fusion_needed = True

    def set_vars(self, chain: Sequence[tuple[Layer, bool]]) -> None:
        for leaf, trainable in chain:
            if trainable:
                for name in leaf.params:
                    self.vars.append((leaf, name))
                    self.keys.append((id(leaf), name))

    def set_input_grads(self, chain: Sequence[tuple[Layer, bool]], start: int,
                        upstream: bool) -> None:
        """The first layer that runs backward computes dL/dx only if something before the
        chain needs it; every later layer must pass gradients back."""
        for i in range(start, len(chain)):
            leaf = chain[i][0]
            if hasattr(leaf, "input_grad"):
                self.saved_input_grad.append((leaf, leaf.input_grad))
                leaf.input_grad = upstream if i == start else True

    def restore(self) -> None:
        for leaf, value in reversed(self.saved_input_grad):
            leaf.input_grad = value
        self.saved_input_grad.clear()


# =============================================================================
# The engine
# =============================================================================
class Model(Layer):
    """What Sequential and MultimodalModel share: compile / fit / evaluate / predict /
    summary, weights in and out, freezing. Subclasses describe the data flow:
    ``forward``, ``backward``, ``_prepare_x``, ``_make_plan``, ``_backward_train``,
    ``_components`` and ``_weight_entries``.
    """

    builds_in_forward = False   # each part builds itself on its first call

    def __init__(self, name: str | None = None) -> None:
        # Layer.__init__ is not called: params/grads/trainable/built are views of the parts.
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a str, got {name!r}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = True
        self.optimizer: _optimizers.Optimizer | None = None
        self.loss: Any = None
        self._metric_specs: list[tuple[str, Any]] = []
        self.compiled = False
        self.stop_training = False
        self.history: History | None = None

    # -- Layer-like views ---------------------------------------------------------
    @property
    def params(self) -> MutableMapping:          # type: ignore[override]
        """Every parameter, keyed like the weights file (``"0/dense/W"``)."""
        return _ParamView(self)

    @property
    def grads(self) -> MutableMapping:           # type: ignore[override]
        """Every gradient filled by the last backward, keyed like :attr:`params`."""
        return _ParamView(self, grads=True)

    @property
    def trainable(self) -> bool:                 # type: ignore[override]
        """Setting it sets every layer inside (``model.trainable = False`` freezes all)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._components():
            layer.trainable = bool(value)

    @property
    def layers(self) -> list[Layer]:
        """The model's direct sub-layers, in order."""
        return list(self._components())

    def _components(self) -> list[Layer]:
        raise NotImplementedError

    def _weight_entries(self, prefix: str = "", slot: str = "") -> list[tuple[str, str, Layer,
                                                                             str]]:
        """(file key, structural key, owning layer, param name) for every parameter."""
        raise NotImplementedError

    def _chain_entries(self, layer: Layer, prefix: str, slot: str) -> list:
        if isinstance(layer, Model):
            return layer._weight_entries(prefix, slot)
        return [(f"{prefix}{layer.name}/{name}", f"{slot}{name}", layer, name)
                for name in layer.params]

    def _leaves(self) -> list[tuple[Layer, bool]]:
        return [pair for layer in self._components() for pair in _flatten(layer, self._trainable)]

    def count_params(self) -> int:
        return sum(_num_params(leaf) for leaf, _ in self._leaves())

    def _param_counts(self) -> tuple[int, int, int]:
        """(total, trainable, bytes) over the built layers."""
        total = trainable = nbytes = 0
        for leaf, train in self._leaves():
            for p in leaf.params.values():
                n = size(p)
                total += n
                trainable += n if train else 0
                nbytes += n * _itemsize(p)
        return total, trainable, nbytes

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
        from mmlearn import io

        io.save_weights(self, path)

    def load_weights(self, path: str) -> None:
        """Read parameters written by :meth:`save_weights`; a file that does not match
        the model raises ``ValueError`` naming the layer and changes nothing."""
        from mmlearn import io

        io.load_weights(self, path)

    def _param_dtype(self) -> str | None:
        param = self._first_param()
        return None if param is None else dtype_name(param)

    def _first_param(self) -> Any:
        for leaf, _ in self._leaves():
            for p in leaf.params.values():
                return p
        return None

    def _cast(self, x: Any) -> Any:
        """Floating inputs take the parameters' dtype (float64 data → float32, as Keras).

        Data and parameters must live on one backend: a model built before
        ``set_backend`` switched keeps its weights where they were made.
        """
        xp = array_namespace(x)
        param = self._first_param()
        if param is not None and array_namespace(param) is not xp:
            raise ValueError(
                f"{self.name}: its parameters live on the {_backend_of(param)} backend but the "
                f"data came on {get_backend()!r}; call mm.set_backend(...) before building the "
                "model (or rebuild it and set_weights) so both live on one backend")
        want = self._param_dtype() or "float32"
        if dtype_name(x) != want and xp.isdtype(x.dtype, "real floating"):
            x = xp.astype(x, getattr(xp, want))
        return x

    # -- compile ------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None,
                metrics: Sequence[Any] | None = None) -> None:
        """Choose how to train: ``optimizer`` (name such as ``"adam"`` or an Optimizer;
        Keras's default ``"rmsprop"``), ``loss`` (name or Loss object, required) and
        ``metrics`` (e.g. ``["accuracy"]``: argmax match for class labels, threshold 0.5
        for one sigmoid output; also ``"mse"``, ``"mae"`` or a function
        ``f(y_true, y_pred) -> batch mean``)."""
        opt = _optimizers.get(optimizer)
        if loss is None:
            raise ValueError(f"{self.name}.compile: loss is required, e.g. "
                             "loss='sparse_categorical_crossentropy' or loss='mse'")
        loss_obj = _losses.get(loss)
        if metrics is None:
            metrics = []
        elif isinstance(metrics, str) or callable(metrics):
            metrics = [metrics]
        elif not isinstance(metrics, list | tuple):
            raise TypeError(f"{self.name}.compile: metrics must be a list such as ['accuracy'], "
                            f"got {type(metrics).__name__}")
        specs: list[tuple[str, Any]] = []
        for m in metrics:
            if isinstance(m, str):
                specs.append((m.lower(), lookup(m, _metrics.ALIASES, "metric")))
            elif callable(m):
                specs.append((getattr(m, "__name__", type(m).__name__), m))
            else:
                raise TypeError(f"{self.name}.compile: each metric must be a name such as "
                                f"'accuracy' or a function, got {m!r}")
        names = [n for n, _ in specs]
        dup = {n for n in names if names.count(n) > 1 or n == "loss"}
        if dup:
            raise ValueError(f"{self.name}.compile: metric names must be distinct and not "
                             f"'loss', got {names}")
        self.optimizer, self.loss, self._metric_specs = opt, loss_obj, specs
        self.compiled = True

    @property
    def metrics_names(self) -> list[str]:
        """``["loss", *metrics]``: the order of ``evaluate``'s list."""
        return ["loss", *(n for n, _ in self._metric_specs)]

    def _require_compiled(self, who: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"{self.name}.{who}: compile the model first, e.g. "
                               "model.compile(optimizer='adam', "
                               "loss='sparse_categorical_crossentropy', metrics=['accuracy'])")

    def _is_sparse_loss(self) -> bool:
        return getattr(self.loss, "target", "values") == "labels"

    # -- data in ------------------------------------------------------------------
    def _prepare_x(self, x: Any, arg: str, allow_missing: bool = False) -> Any:
        raise NotImplementedError

    def _n(self, x: Any) -> int:
        raise NotImplementedError

    def _slice(self, x: Any, start: int, stop: int) -> Any:
        raise NotImplementedError

    def _take(self, x: Any, idx: Any) -> Any:
        raise NotImplementedError

    def _probe(self, x: Any) -> tuple:
        """Build every layer (if needed) and find the output shape with one sample."""
        out = self.forward(self._slice(x, 0, 1), training=False)
        return (None, *tuple(out.shape)[1:])

    def _prepare_y(self, y: Any, out_shape: tuple, arg: str) -> Any:
        if y is None:
            raise TypeError(f"{arg} (the targets) is required")
        width = int(out_shape[-1])
        if self._is_sparse_loss():
            return as_int_labels(y, arg, num_classes=width)
        y = self._cast(as_float_array(y, arg, min_ndim=1))
        if y.ndim == 1 and len(out_shape) == 2 and width == 1:
            y = array_namespace(y).reshape(y, (-1, 1))
        if tuple(y.shape[1:]) != tuple(out_shape[1:]):
            hint = ""
            if y.ndim == 1 and width > 1:
                hint = ("; class indices need loss='sparse_categorical_crossentropy' "
                        "(or one-hot targets)")
            raise ValueError(f"{arg} must have shape {shape_str(out_shape)} to match the model's "
                             f"output, got {shape_str(tuple(y.shape))}{hint}")
        return y

    def _prepare_pair(self, x: Any, y: Any, ax: str, ay: str) -> tuple[Any, Any, int, int]:
        """Checked (x, y), the number of samples and the output width."""
        x = self._prepare_x(x, ax)
        try:
            out_shape = self._probe(x)
        except (ValueError, TypeError) as err:
            if ax == "x":
                raise
            raise prefixed(err, ax) from err          # e.g. "validation_data[0]: ..."
        y = self._prepare_y(y, out_shape, ay)
        nx, ny = self._n(x), int(y.shape[0])
        if nx != ny:
            raise ValueError(f"{ax} and {ay} must have the same number of samples, "
                             f"got {ax}: {nx}, {ay}: {ny}")
        return x, y, nx, int(out_shape[-1])

    def _metric_functions(self, y: Any, out_width: int) -> list[tuple[str, Callable]]:
        """Resolve "accuracy" by the loss and targets, as Keras does."""
        resolved = []
        for name, kind in self._metric_specs:
            if callable(kind):
                resolved.append((name, kind))
                continue
            if kind == "accuracy":
                if self._is_sparse_loss() or (y.ndim == 1 and out_width > 1):
                    kind = "sparse_categorical_accuracy"
                elif out_width == 1:
                    kind = "binary_accuracy"
                else:
                    kind = "categorical_accuracy"
            resolved.append((name, _metrics.FUNCTIONS[kind]))
        return resolved

    # -- training -----------------------------------------------------------------
    def _make_plan(self) -> _Plan:
        raise NotImplementedError

    def _backward_train(self, grad: Any, plan: _Plan) -> None:
        raise NotImplementedError

    def fit(self, x: Any, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: int | str = "auto", callbacks: Sequence[Callback] | None = None,
            validation_split: float = 0.0, validation_data: tuple | None = None,
            shuffle: bool = True) -> History:
        """Train for ``epochs`` passes over (x, y) in mini-batches of ``batch_size``
        (default 32); returns a :class:`History`.

        ``shuffle=True`` permutes the samples every epoch with the seeded generator
        (``mm.set_seed``); ``False`` keeps their order. ``validation_split`` holds out
        the LAST fraction of the samples (before shuffling), ``validation_data=(x, y)``
        gives them; either adds ``val_*`` to the logs. ``verbose``: 0 silent, 1 progress
        bar ("auto"), 2 one line per epoch.

        Float64 inputs become the parameters' dtype (float32), as in Keras. If a batch's
        loss is NaN or infinite, training stops at once: that batch's update is not
        applied (the weights are those the bad loss was computed with), a
        ``RuntimeWarning`` names the epoch and batch, and the History ends with that
        epoch (its running loss is NaN/inf).
        """
        self._require_compiled("fit")
        who = f"{self.name}.fit"
        batch_size = 32 if batch_size is None else check_int(batch_size, "batch_size", who,
                                                              minimum=1)
        epochs = check_int(epochs, "epochs", who, minimum=0)
        verbose = _check_verbose(verbose, who)
        if isinstance(validation_split, bool) or not isinstance(
                validation_split, int | float | np.floating) or not 0 <= validation_split < 1:
            raise ValueError(f"{who}: validation_split must be a fraction in [0, 1), "
                             f"got {validation_split!r}")
        if not isinstance(shuffle, bool | np.bool_):
            raise TypeError(f"{who}: shuffle must be True or False, got {shuffle!r}")
        callbacks = _check_callbacks(callbacks, who)
        x, y, n, width = self._prepare_pair(x, y, "x", "y")
        metric_fns = self._metric_functions(y, width)
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
                raise ValueError(f"{who}: validation_data must be a pair (x_val, y_val), "
                                 f"got {type(validation_data).__name__}"
                                 + (f" of length {len(validation_data)}"
                                    if isinstance(validation_data, tuple | list) else ""))
            xv, yv, _, _ = self._prepare_pair(validation_data[0], validation_data[1],
                                              "validation_data[0]", "validation_data[1]")
            val = (xv, yv)
        elif validation_split:
            split = int(math.floor(n * (1.0 - validation_split)))
            if split in (0, n):
                raise ValueError(f"{who}: {n} samples cannot be split into training and "
                                 f"validation sets with validation_split={validation_split}")
            val = (self._slice(x, split, n), y[split:, ...])
            x, y, n = self._slice(x, 0, split), y[:split, ...], split
        steps = math.ceil(n / batch_size)

        history = History()
        history.params = {"verbose": verbose, "epochs": epochs, "steps": steps}
        self.history = history
        progbar = [_ProgbarLogger(verbose, epochs, steps)] if verbose else []
        cbs = _CallbackList([*progbar, *callbacks, history], self)
        self.stop_training = False
        plan = self._make_plan()
        try:
            cbs.on_train_begin()
            logs: dict[str, float] = {}
            for epoch in range(epochs):
                cbs.on_epoch_begin(epoch)
                xe, ye = x, y
                if shuffle:
                    order = asarray(rng().permutation(n), xp=array_namespace(y))
                    xe, ye = self._take(x, order), array_namespace(y).take(y, order, axis=0)
                logs = self._train_epoch(xe, ye, n, batch_size, metric_fns, plan, cbs,
                                         epoch, epochs)
                if val is not None:
                    try:
                        val_logs = self._evaluate_arrays(val[0], val[1], batch_size, 0,
                                                         metric_fns)
                    except (ValueError, TypeError) as err:
                        raise prefixed(err, "validation_data") from err
                    logs.update({f"val_{k}": v for k, v in sorted(val_logs.items())})
                cbs.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
            cbs.on_train_end(logs)
        finally:
            plan.restore()
        return history

    def train_on_batch(self, x: Any, y: Any) -> float | list[float]:
        """One optimizer step on one batch, Keras's ``train_on_batch``.

        Returns the batch's loss (``[loss, *metrics]`` when compiled with metrics),
        measured in its forward pass, before the update, as ``fit`` logs it. A NaN or
        infinite loss raises ``FloatingPointError`` and leaves the weights untouched.
        """
        self._require_compiled("train_on_batch")
        x, y, _, width = self._prepare_pair(x, y, "x", "y")
        metric_fns = self._metric_functions(y, width)
        plan = self._make_plan()
        try:
            out = self.forward(x, training=True)
            values = [float(self._loss_on_checked(y, out)),
                      *(float(fn(y, out)) for _, fn in metric_fns)]
            if not math.isfinite(values[0]):
                raise FloatingPointError(f"{self.name}.train_on_batch: the loss is {values[0]}; "
                                         "the update was not applied")
            self._train_step_update(plan)
        finally:
            plan.restore()
        return values if metric_fns else values[0]

    def _train_epoch(self, x: Any, y: Any, n: int, batch_size: int,
                     metric_fns: list[tuple[str, Callable]], plan: _Plan, cbs: _CallbackList,
                     epoch: int, epochs: int) -> dict[str, float]:
        names = sorted(["loss", *(name for name, _ in metric_fns)])
        sums = dict.fromkeys(names, 0.0)
        seen = 0
        steps = math.ceil(n / batch_size)
        logs: dict[str, float] = {}
        for b in range(steps):
            cbs.on_batch_begin(b)
            start, stop = b * batch_size, min(n, (b + 1) * batch_size)
            yb = y[start:stop, ...]
            out = self.forward(self._slice(x, start, stop), training=True)
            value = float(self._loss_on_checked(yb, out))
            nb = stop - start
            seen += nb
            sums["loss"] += value * nb
            for name, fn in metric_fns:
                sums[name] += float(fn(yb, out)) * nb
            logs = {k: sums[k] / seen for k in names}
            if not math.isfinite(value):
                self._report_nonfinite(value, epoch, epochs, b, steps)
                cbs.on_batch_end(b, logs)
                break
            self._train_step_update(plan)
            cbs.on_batch_end(b, logs)
            if self.stop_training:
                break
        return logs

    def _loss_on_checked(self, y: Any, out: Any) -> Any:
        """The loss of targets ``_prepare_y`` has checked: a built-in loss may skip its
        own re-checks of them (``_call_checked``); any other loss is simply called."""
        checked = getattr(self.loss, "_call_checked", None)
        return checked(y, out) if checked is not None else self.loss(y, out)

    def _train_step_update(self, plan: _Plan) -> None:
        """Steps 3 and 4: backward from the loss, then the optimizer on trainable params."""
        if not plan.vars:
            return
        grad = self.loss.fused_backward() if plan.fused else self.loss.backward()
        self._backward_train(grad, plan)
        pairs = []
        for leaf, name in plan.vars:
            g = leaf.grads.get(name)
            if g is None:
                raise RuntimeError(f"layer {leaf.name!r} left no gradient for {name!r} after "
                                   "backward")
            pairs.append((g, leaf.params[name]))
        assert self.optimizer is not None
        self.optimizer.apply_gradients(pairs, keys=plan.keys)

    def _report_nonfinite(self, value: float, epoch: int, epochs: int, batch: int,
                          steps: int) -> None:
        self.stop_training = True
        finite = True
        for leaf, _ in self._leaves():
            for p in leaf.params.values():
                xp = array_namespace(p)
                finite = finite and bool(xp.all(xp.isfinite(p)))
        state = ("the weights are those the bad loss was computed with" if finite else
                 "the weights already hold NaN/inf from the previous update")
        warnings.warn(
            f"{self.name}.fit stopped: the loss became {value} at epoch {epoch + 1}/{epochs}, "
            f"batch {batch + 1}/{steps}. That batch's update was not applied; {state}. "
            "Try a smaller learning_rate, or check the inputs and labels.",
            RuntimeWarning, stacklevel=4)

    # -- evaluate / predict -------------------------------------------------------
    def evaluate(self, x: Any, y: Any = None, batch_size: int | None = None,
                 verbose: int | str = "auto", return_dict: bool = False) -> Any:
        """Loss and metrics on (x, y), in inference mode: ``[loss, metric, ...]`` in
        :attr:`metrics_names` order, the loss alone when there are no metrics, or a dict
        with ``return_dict=True``. Each value is the mean over the batches weighted by
        batch size."""
        self._require_compiled("evaluate")
        who = f"{self.name}.evaluate"
        batch_size = 32 if batch_size is None else check_int(batch_size, "batch_size", who,
                                                              minimum=1)
        verbose = _check_verbose(verbose, who)
        x, y, _, width = self._prepare_pair(x, y, "x", "y")
        logs = self._evaluate_arrays(x, y, batch_size, verbose, self._metric_functions(y, width))
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def _evaluate_arrays(self, x: Any, y: Any, batch_size: int, verbose: int,
                         metric_fns: list[tuple[str, Callable]]) -> dict[str, float]:
        n = self._n(x)
        steps = math.ceil(n / batch_size)
        names = sorted(["loss", *(name for name, _ in metric_fns)])
        sums = dict.fromkeys(names, 0.0)
        bar = ProgressBar(steps, verbose) if verbose else None
        seen = 0
        logs: dict[str, float] = {}
        for b in range(steps):
            start, stop = b * batch_size, min(n, (b + 1) * batch_size)
            yb = y[start:stop, ...]
            out = self.forward(self._slice(x, start, stop), training=False)
            nb = stop - start
            seen += nb
            sums["loss"] += float(self.loss(yb, out)) * nb
            for name, fn in metric_fns:
                sums[name] += float(fn(yb, out)) * nb
            logs = {k: sums[k] / seen for k in names}
            if bar is not None:
                bar.update(b + 1, logs, finalize=b + 1 == steps)
        return logs

    def predict(self, x: Any, batch_size: int | None = None, verbose: int | str = 0) -> Any:
        """The model's outputs for x (inference mode), batch by batch, as one array on the
        active backend (``mm.to_numpy`` brings it to NumPy)."""
        who = f"{self.name}.predict"
        batch_size = 32 if batch_size is None else check_int(batch_size, "batch_size", who,
                                                              minimum=1)
        verbose = _check_verbose(verbose, who)
        x = self._prepare_x(x, "x", allow_missing=True)
        n = self._n(x)
        steps = math.ceil(n / batch_size)
        bar = ProgressBar(steps, verbose) if verbose else None
        outs = []
        for b in range(steps):
            outs.append(self.forward(self._slice(x, b * batch_size,
                                                 min(n, (b + 1) * batch_size)), training=False))
            if bar is not None:
                bar.update(b + 1, finalize=b + 1 == steps)
        if len(outs) == 1:
            return outs[0]
        return array_namespace(outs[0]).concat(outs, axis=0)

    # -- summary ------------------------------------------------------------------
    def _summary_rows(self) -> list[tuple[str, str, str]]:
        raise NotImplementedError

    def summary_text(self) -> str:
        """The table :meth:`summary` prints, as a string."""
        rows = self._summary_rows()
        header = ("Layer (type)", "Output Shape", "Param #")
        widths = [33, 24, 15]
        for row in (header, *rows):
            for i, cell in enumerate(row):
                widths[i] = max(widths[i], len(cell) + 2)

        def line(left: str, fill: str, mid: str, right: str) -> str:
            return left + mid.join(fill * w for w in widths) + right

        def cells(row: tuple[str, str, str], edge: str) -> str:
            texts = [f" {row[0]:<{widths[0] - 2}} ", f" {row[1]:<{widths[1] - 2}} ",
                     f" {row[2]:>{widths[2] - 2}} "]
            return edge + edge.join(texts) + edge

        out = [f'Model: "{self.name}"', line("┏", "━", "┳", "┓"), cells(header, "┃"),
               line("┡", "━", "╇", "┩")]
        for i, row in enumerate(rows):
            if i:
                out.append(line("├", "─", "┼", "┤"))
            out.append(cells(row, "│"))
        out.append(line("└", "─", "┴", "┘"))
        total, trainable, nbytes = self._param_counts()
        per = nbytes / total if total else 4
        out += [f" Total params: {total:,} ({_readable_size(nbytes)})",
                f" Trainable params: {trainable:,} ({_readable_size(trainable * per)})",
                f" Non-trainable params: {total - trainable:,} "
                f"({_readable_size((total - trainable) * per)})"]
        return "\n".join(out)

    def summary(self, print_fn: Callable[[str], Any] | None = None) -> None:
        """Print a Keras-style table: each layer's name (type), output shape and number of
        parameters, then the total, trainable and non-trainable counts."""
        (print_fn or print)(self.summary_text())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} layers={len(self.layers)}>"


def _backend_of(a: Any) -> str:
    module = type(a).__module__.split(".")[0]
    return repr("numpy" if module == "numpy" else module)


def _readable_size(nbytes: float) -> str:
    """Keras's ``readable_memory_size``: 27.04 KB, 0.00 B."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if nbytes / 1024 < 1:
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.2f} PB"


def _row(layer: Layer, label: str, shape: tuple | None) -> tuple[str, str, str]:
    count = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
    return (label, "?" if shape is None else repr(shape), count)


def _check_callbacks(callbacks: Any, who: str) -> list[Callback]:
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, list | tuple):
        raise TypeError(f"{who}: callbacks must be a list of Callback objects, "
                        f"got {type(callbacks).__name__}")
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"{who}: callbacks must be Callback objects (e.g. "
                            f"EarlyStopping(patience=2)), got {cb!r}")
    return list(callbacks)


# =============================================================================
# Sequential
# =============================================================================
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

    def _components(self) -> list[Layer]:
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
    def forward(self, x: Any, training: bool = False) -> Any:
        """x -> layer_1 -> ... -> layer_L (each built on first use)."""
        if not self._layers:
            raise ValueError(f"{self.name} has no layers; add some first")
        for layer in self._layers:
            x = layer(x, training=training)
        return x

    def _chain(self) -> list[Layer]:
        return [leaf for leaf, _ in _flatten(self)]

    def backward(self, grad_out: Any) -> Any:
        """dL/dx from dL/dŷ, through every layer in reverse (fills each layer's grads)."""
        return _run_chain(self._chain(), 0, grad_out, False)

    def backward_linear(self, delta: Any) -> Any:
        """As :meth:`backward`, starting from dL/dz of the last layer's pre-activation."""
        return _run_chain(self._chain(), 0, delta, True)

    @property
    def activation_name(self) -> str | None:
        """The last layer's activation (``"softmax"`` makes the loss fuse with it)."""
        chain = self._chain()
        return getattr(chain[-1], "activation_name", None) if chain else None

    @property
    def input_grad(self) -> bool:
        chain = self._chain()
        return bool(getattr(chain[0], "input_grad", True)) if chain else True

    @input_grad.setter
    def input_grad(self, value: bool) -> None:
        chain = self._chain()
        if chain and hasattr(chain[0], "input_grad"):
            chain[0].input_grad = bool(value)

    def _weight_entries(self, prefix: str = "", slot: str = "") -> list:
        out = []
        for i, layer in enumerate(self._layers):
            out += self._chain_entries(layer, f"{prefix}{i}/", f"{slot}{i}/")
        return out

    # -- the engine's hooks -------------------------------------------------------
    def _prepare_x(self, x: Any, arg: str, allow_missing: bool = False) -> Any:
        if isinstance(x, Mapping):
            raise TypeError(f"{arg} must be an array for a Sequential model, got a dict with keys "
                            f"{list(x)} (dicts of modalities are for MultimodalModel)")
        return self._cast(as_float_array(x, arg, min_ndim=1))

    def _n(self, x: Any) -> int:
        return int(x.shape[0])

    def _slice(self, x: Any, start: int, stop: int) -> Any:
        return x[start:stop, ...]

    def _take(self, x: Any, idx: Any) -> Any:
        return array_namespace(x).take(x, idx, axis=0)

    def _make_plan(self) -> _Plan:
        chain = _flatten(self)
        plan = _Plan()
        start = _chain_start(chain, upstream=False)
        plan.set_vars(chain[start:])
        plan.set_input_grads(chain, start, upstream=False)
        plan.fused = start < len(chain) and _fusable(chain[-1][0], self.loss)
        plan.chain = [leaf for leaf, _ in chain]
        plan.start = start
        return plan

    def _backward_train(self, grad: Any, plan: _Plan) -> None:
        _run_chain(plan.chain, plan.start, grad, plan.fused)

    def _summary_rows(self) -> list[tuple[str, str, str]]:
        return [_row(layer, f"{layer.name} ({type(layer).__name__})", _shape_of(layer))
                for layer in self._layers]


# =============================================================================
# MultimodalModel
# =============================================================================
class MultimodalModel(Model):
    """Encoders (one per modality) → fusion → head, trained end to end.

        model = MultimodalModel(
            encoders={"image": Sequential([...]), "text": Dense(16, activation="relu")},
            fusion=mm.fusion.Concat(),
            head=Dense(3, activation="softmax"))
        model.fit({"image": X_img, "text": X_txt}, y)

    Forward: h_m = encoder_m(x_m) for each modality m; z = fusion({m: h_m}); ŷ = head(z).
    Backward: dL/dz = head.backward(dL/dŷ); {m: dL/dh_m} = fusion.backward(dL/dz);
    encoder_m.backward(dL/dh_m) fills the encoders' grads.

    Inputs are dicts {modality: array} with the encoders' keys. ``fit`` and ``evaluate``
    need every modality; ``predict`` accepts a dict missing some: a missing modality's
    encoder output is **zero-filled** (replaced by zeros of its usual shape), which is
    what training with ``modality_dropout`` prepares the model for.

    ``modality_dropout=p`` (a constructor argument): during training, each sample's
    encoder output for each modality is zeroed with probability p, independently, but
    never all modalities of one sample (one of them, chosen at random, is kept). No
    rescaling: a dropped modality looks exactly like a missing one at predict time.
    ``head=None`` makes the fusion's output the model's output.
    """

    def __init__(self, encoders: Mapping[str, Layer], fusion: Layer, head: Layer | None = None,
                 *, modality_dropout: float = 0.0, name: str | None = None) -> None:
        super().__init__(name)
        if not isinstance(encoders, Mapping) or not encoders:
            raise TypeError("MultimodalModel: encoders must be a non-empty dict "
                            f"{{modality: Layer}}, got {encoders!r}")
        seen: list[Layer] = []
        for key, enc in encoders.items():
            if not isinstance(key, str):
                raise TypeError(f"MultimodalModel: modality names must be str, got {key!r}")
            if not isinstance(enc, Layer):
                raise TypeError(f"MultimodalModel: encoder for {key!r} must be a Layer or a "
                                f"Sequential, got {type(enc).__name__}")
            if any(enc is other for other in seen):
                raise ValueError(f"MultimodalModel: the encoder {enc.name!r} is given for two "
                                 "modalities; each modality needs its own encoder")
            seen.append(enc)
        if not isinstance(fusion, Layer):
            raise TypeError("MultimodalModel: fusion must be a fusion layer such as "
                            f"mm.fusion.Concat(), got {type(fusion).__name__}")
        if head is not None and not isinstance(head, Layer):
            raise TypeError("MultimodalModel: head must be a Layer, a Sequential or None, "
                            f"got {type(head).__name__}")
        if any(part is other for part in (fusion, head) for other in seen) or fusion is head:
            raise ValueError("MultimodalModel: encoders, fusion and head must be different "
                             "layers")
        if isinstance(modality_dropout, bool) or not isinstance(
                modality_dropout, int | float | np.floating) or not 0 <= modality_dropout < 1:
            raise ValueError("MultimodalModel: modality_dropout must be a probability in "
                             f"[0, 1), got {modality_dropout!r}")
        self.encoders: dict[str, Layer] = dict(encoders)
        self.fusion = fusion
        self.head = head
        self.modality_dropout = float(modality_dropout)
        self.modalities: list[str] = list(self.encoders)
        self._enc_shapes: dict[str, tuple] = {}
        self._fusion_shape: tuple | None = None
        self._masks: dict[str, Any] = {}
        self._filled: set[str] = set()

    def _components(self) -> list[Layer]:
        return [*self.encoders.values(), self.fusion, *([self.head] if self.head else [])]

    @property
    def built(self) -> bool:                     # type: ignore[override]
        return all(layer.built for layer in self._components())

    @property
    def input_shape(self) -> dict[str, tuple | None]:   # type: ignore[override]
        return {m: enc.input_shape for m, enc in self.encoders.items()}

    @property
    def output_shape(self) -> tuple | None:
        """The head's output shape (the fusion's without a head); None before building."""
        if self.head is not None:
            return _shape_of(self.head)
        return self._fusion_shape

    def build(self, input_shape: Mapping[str, tuple]) -> None:
        """Build every part for inputs of these shapes ({modality: (None, features)})."""
        if not isinstance(input_shape, Mapping):
            raise TypeError(f"{self.name}.build expects {{modality: shape}}, got {input_shape!r}")
        xp = get_namespace()
        probe = {m: xp.zeros((1, *tuple(int(d) for d in s[1:])), dtype=xp.float32)
                 for m, s in input_shape.items()}
        self.forward(self._prepare_x(probe, "input_shape"), training=False)

    # -- the Layer contract -------------------------------------------------------
    def _check_keys(self, x: Any, arg: str, allow_missing: bool) -> list[str]:
        if not isinstance(x, Mapping):
            raise TypeError(f"{arg} must be a dict {{modality: array}} with keys "
                            f"{self.modalities}, got {type(x).__name__}")
        unknown = [k for k in x if k not in self.encoders]
        if unknown:
            raise ValueError(f"{arg} has unknown modality {unknown[0]!r}; the model's encoders "
                             f"are {self.modalities}" + did_you_mean(unknown[0], self.modalities))
        present = [m for m in self.modalities if m in x]
        missing = [m for m in self.modalities if m not in x]
        if not present:
            raise ValueError(f"{arg} has none of the model's modalities {self.modalities}")
        if missing and not allow_missing:
            raise ValueError(f"{arg} is missing modality {', '.join(map(repr, missing))} "
                             f"(the model's encoders are {self.modalities}); fit and evaluate "
                             "need every modality, predict zero-fills missing ones")
        return present

    def forward(self, x: Mapping[str, Any], training: bool = False) -> Any:
        """h_m = encoder_m(x_m); zero-fill missing modalities; z = fusion(h); ŷ = head(z)."""
        present = self._check_keys(x, "x", allow_missing=not training)
        outs: dict[str, Any] = {}
        for m in present:
            try:
                outs[m] = self.encoders[m](x[m], training=training)
            except (ValueError, TypeError) as err:     # say which modality's encoder
                raise prefixed(err, f"modality {m!r}") from err
            self._enc_shapes[m] = tuple(outs[m].shape[1:])
        ref = outs[present[0]]
        batch = int(ref.shape[0])
        self._filled = set()
        h: dict[str, Any] = {}
        for m in self.modalities:
            if m in outs:
                h[m] = outs[m]
                continue
            shape = self._enc_shapes.get(m)
            if shape is None:
                full = _shape_of(self.encoders[m])
                shape = None if full is None else tuple(full[1:])
            if shape is None or any(d is None for d in shape):
                raise ValueError(f"modality {m!r} is missing and its encoder "
                                 f"{self.encoders[m].name!r} has never seen data, so the shape "
                                 "of its zero-filled output is unknown; pass it at least once")
            h[m] = array_namespace(ref).zeros((batch, *shape), dtype=ref.dtype)
            self._filled.add(m)
        self._masks = {}
        if training and self.modality_dropout > 0 and len(h) > 1:
            self._drop_modalities(h, batch)
        z = self.fusion(h, training=training)
        self._fusion_shape = (None, *tuple(z.shape[1:]))
        return z if self.head is None else self.head(z, training=training)

    def _drop_modalities(self, h: dict[str, Any], batch: int) -> None:
        """Zero each modality per sample with probability p, keeping ≥ 1 per sample."""
        names = list(h)
        drop = rng().random((batch, len(names))) < self.modality_dropout
        everything = np.all(drop, axis=1)
        if everything.any():
            rows = np.flatnonzero(everything)
            drop[rows, rng().integers(0, len(names), size=rows.size)] = False
        for j, m in enumerate(names):
            if not drop[:, j].any():
                continue
            xp = array_namespace(h[m])
            keep = asarray(~drop[:, j], xp=xp)
            mask = xp.reshape(xp.astype(keep, h[m].dtype), (batch,) + (1,) * (h[m].ndim - 1))
            self._masks[m] = mask
            h[m] = h[m] * mask

    def _backward_from(self, grad: Any, fused: bool, head_start: int, fusion_needed: bool,
                       enc_start: Mapping[str, int] | None) -> dict[str, Any] | None:
        if self.head is not None:
            tail = [leaf for leaf, _ in _flatten(self.head)]
            grad = _run_chain(tail, head_start, grad, fused)
        if not fusion_needed:
            return None
        grads = self.fusion.backward(grad)
        out: dict[str, Any] = {}
        for m, enc in self.encoders.items():
            if m in self._filled:
                continue
            gm = grads[m]
            if m in self._masks:
                gm = gm * self._masks[m]
            chain = [leaf for leaf, _ in _flatten(enc)]
            start = 0 if enc_start is None else enc_start[m]
            if start < len(chain):
                out[m] = _run_chain(chain, start, gm, False)
        return out

    def backward(self, grad_out: Any) -> dict[str, Any] | None:
        """{m: dL/dx_m} from dL/dŷ, through head, fusion and every encoder (fills grads)."""
        return self._backward_from(grad_out, False, 0, True, None)

    def backward_linear(self, delta: Any) -> dict[str, Any] | None:
        """As :meth:`backward`, from dL/dz of the head's last pre-activation."""
        if self.head is None:
            raise TypeError(f"{self.name} has no head to take a pre-activation gradient")
        return self._backward_from(delta, True, 0, True, None)

    @property
    def activation_name(self) -> str | None:
        if self.head is None:
            return None
        return getattr(_flatten(self.head)[-1][0], "activation_name", None)

    @property
    def input_grad(self) -> bool:
        return any(bool(getattr(_flatten(e)[0][0], "input_grad", True))
                   for e in self.encoders.values())

    @input_grad.setter
    def input_grad(self, value: bool) -> None:
        for enc in self.encoders.values():
            first = _flatten(enc)[0][0]
            if hasattr(first, "input_grad"):
                first.input_grad = bool(value)

    def _weight_entries(self, prefix: str = "", slot: str = "") -> list:
        out = []
        for m, enc in self.encoders.items():
            out += self._chain_entries(enc, f"{prefix}encoders/{m}/", f"{slot}encoders/{m}/")
        out += self._chain_entries(self.fusion, f"{prefix}fusion/", f"{slot}fusion/")
        if self.head is not None:
            out += self._chain_entries(self.head, f"{prefix}head/", f"{slot}head/")
        return out

    # -- the engine's hooks -------------------------------------------------------
    def _prepare_x(self, x: Any, arg: str, allow_missing: bool = False) -> dict[str, Any]:
        present = self._check_keys(x, arg, allow_missing)
        out = {m: self._cast(as_float_array(x[m], f"{arg}[{m!r}]", min_ndim=1)) for m in present}
        sizes = {m: int(a.shape[0]) for m, a in out.items()}
        if len(set(sizes.values())) > 1:
            raise ValueError(f"{arg}: every modality must have the same number of samples, "
                             f"got {sizes}")
        return out

    def _n(self, x: Mapping[str, Any]) -> int:
        return int(next(iter(x.values())).shape[0])

    def _slice(self, x: Mapping[str, Any], start: int, stop: int) -> dict[str, Any]:
        return {m: a[start:stop, ...] for m, a in x.items()}

    def _take(self, x: Mapping[str, Any], idx: Any) -> dict[str, Any]:
        return {m: array_namespace(a).take(a, idx, axis=0) for m, a in x.items()}

    def _make_plan(self) -> _Plan:
        plan = _Plan()
        enc_start: dict[str, int] = {}
        for m, enc in self.encoders.items():
            chain = _flatten(enc, self._trainable)
            enc_start[m] = start = _chain_start(chain, upstream=False)
            plan.set_vars(chain[start:])
            plan.set_input_grads(chain, start, upstream=False)
        fusion_train = self._trainable and bool(self.fusion.trainable) and bool(self.fusion.params)
        if fusion_train:
            plan.set_vars([(self.fusion, True)])
        fusion_needed = fusion_train or any(
            enc_start[m] < len(_flatten(e)) for m, e in self.encoders.items())
        head_start = 0
        if self.head is not None:
            tail = _flatten(self.head, self._trainable)
            head_start = _chain_start(tail, upstream=fusion_needed)
            plan.set_vars(tail[head_start:])
            plan.set_input_grads(tail, head_start, upstream=fusion_needed)
            plan.fused = head_start < len(tail) and _fusable(tail[-1][0], self.loss)
        plan.enc_start = enc_start
        plan.fusion_needed = fusion_needed
        plan.head_start = head_start
        return plan

    def _backward_train(self, grad: Any, plan: _Plan) -> None:
        self._backward_from(grad, plan.fused, plan.head_start, plan.fusion_needed,
                            plan.enc_start)

    def _summary_rows(self) -> list[tuple[str, str, str]]:
        rows = []
        for m, enc in self.encoders.items():
            shape = _shape_of(enc)
            if shape is None and m in self._enc_shapes:
                shape = (None, *self._enc_shapes[m])
            rows.append(_row(enc, f"{m}: {enc.name} ({type(enc).__name__})", shape))
        shape = self._fusion_shape
        if shape is None and self.fusion.built:
            try:
                shape = (None, *tuple(self.fusion.compute_output_shape(
                    self.fusion.input_shape))[1:])
            except Exception:
                shape = None
        rows.append(_row(self.fusion, f"{self.fusion.name} ({type(self.fusion).__name__})",
                         shape))
        if self.head is not None:
            rows.append(_row(self.head, f"{self.head.name} ({type(self.head).__name__})",
                             _shape_of(self.head)))
        return rows
