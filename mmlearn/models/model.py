"""The ``Model`` base: Keras's compile / fit / evaluate / predict, with one training step.

One training step (:meth:`Model.train_step`; ``fit`` runs it for every batch):

    1. forward:   ŷ = f_L(… f_1(x))                 (training=True: Dropout is on)
    2. loss:      L = loss(y, ŷ)                    (the batch mean)
    3. backward:  δ = dL/dŷ, then each layer turns dL/d(output) into dL/d(input) and
                  fills its grads.  When the last layer ends in softmax and the loss is
                  a cross-entropy, the step starts from dL/dz = (p − onehot)/N (fused).
    4. update:    optimizer.apply_gradients(zip(grads, params)) on trainable layers only.
    5. after:     ``_after_step()``, a no-op unless a model keeps a parameter in range
                  (DualEncoder caps its logit scale there).

The data is checked and cast once per ``fit`` / ``evaluate`` / ``predict`` (``_prepare_x``,
``_prepare_y``); the per-batch step runs the forward passes and the loss's formula
(``Loss.compute``) on what was checked. Subclasses describe the data flow: ``forward``,
``_run`` (the flow, checked or not), ``backward``, ``_prepare_x``, ``_make_plan``,
``_backward_train``, ``_parts`` and ``_weight_entries``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from mmlearn import losses as _losses
from mmlearn import optimizers as _optimizers
from mmlearn._validation import check_int, prefixed
from mmlearn.backend import array_namespace
from mmlearn.callbacks import Callback, History, ProgressBar, _CallbackList, _ProgbarLogger
from mmlearn.models import batching, checks
from mmlearn.models.batching import Batch
from mmlearn.models.plan import TrainPlan
from mmlearn.models.summary import table
from mmlearn.models.weights import ModelWeights
from mmlearn.nn.layer import Layer, snake_case, unique_name

__all__ = ["Model"]

class Model(ModelWeights, Layer):
    """What Sequential, MultimodalModel and DualEncoder share: compile / fit / evaluate /
    predict / summary, weights in and out, freezing."""

    # the fewest samples a batch needs; a smaller last batch is skipped (DualEncoder: 2)
    min_batch: int = 1

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

    # -- calling vs forward ---------------------------------------------------------
    def __call__(self, x: Any, training: bool = False) -> Any:
        """``model(x)``: every layer checks its input (and builds itself on first use)."""
        return self._run(x, training, checked=True)

    def forward(self, x: Any, training: bool = False) -> Any:
        """The layers' ``forward`` passes, on data the model has checked (``fit``,
        ``evaluate`` and ``predict`` check it once); an unbuilt model is called instead."""
        if not self.built:
            return self(x, training=training)
        return self._run(x, training, checked=False)

    def _run(self, x: Any, training: bool, checked: bool) -> Any:
        """The data flow: each part runs as ``part(x)`` (checks x, builds) when
        ``checked``, else as ``part.forward(x)``."""
        raise NotImplementedError

    @staticmethod
    def _part(layer: Layer, x: Any, training: bool, checked: bool) -> Any:
        """One part of the flow: ``layer(x)`` when ``checked``, else ``layer.forward(x)``."""
        return layer(x, training=training) if checked else layer.forward(x, training=training)

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
        specs = checks.metric_specs(metrics, f"{self.name}.compile")
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

    def _who(self, method: str) -> str:
        """How messages name the model's method: ``"sequential.fit"``."""
        return f"{self.name}.{method}"

    def _loss_formula(self) -> Callable[[Any, Any], Any]:
        """The loss on targets ``_prepare_y`` has checked: a :class:`Loss`'s ``compute``
        (no re-checks per batch); any other loss object is simply called."""
        if isinstance(self.loss, _losses.Loss):
            return self.loss.compute
        return self.loss

    # -- data in: checked once per call ---------------------------------------------
    def _prepare_x(self, x: Any, arg: str, who: str, allow_missing: bool = False) -> Any:
        raise NotImplementedError

    def _probe(self, x: Any) -> tuple[Any, tuple]:
        """Build every layer (if needed) and check x once, before any batch: one sample
        goes through ``model(x)`` (every layer checks its input), then all of x through
        the layers it enters first (:meth:`_check_all`). Returns x and the output shape."""
        out = self(batching.rows(x, 0, 1), training=False)
        return self._check_all(x), (None, *tuple(out.shape)[1:])

    def _check_all(self, x: Any) -> Any:
        """All of x through the ``check_input`` of each layer it enters first (Embedding:
        every id in range, which one sample cannot show); returns x as they pass it."""
        return x

    def _prepare_y(self, y: Any, out_shape: tuple, arg: str) -> Any:
        """Targets as the loss wants them (``loss.target``), checked once per call."""
        target = getattr(self.loss, "target", "values")
        return checks.targets(y, out_shape, arg, target, self._cast)

    def _prepare_pair(self, x: Any, y: Any, ax: str, ay: str,
                      who: str) -> tuple[Any, Any, int, Any]:
        """Checked (x, y), the number of samples and the output width."""
        x = self._prepare_x(x, ax, who)
        try:
            x, out_shape = self._probe(x)
        except (ValueError, TypeError) as err:
            if ax == "x":
                raise
            raise prefixed(err, ax) from err          # e.g. "validation_data[0]: ..."
        y = self._prepare_y(y, out_shape, ay)
        nx = batching.size(x)
        if y is not None and nx != int(y.shape[0]):
            raise ValueError(f"{ax} and {ay} must have the same number of samples, "
                             f"got {ax}: {nx}, {ay}: {int(y.shape[0])}")
        return x, y, nx, out_shape[-1]

    def _metric_functions(self, y: Any, out_width: Any) -> list[tuple[str, Callable]]:
        labels = getattr(self.loss, "target", "values") == "labels"
        return checks.metric_functions(self._metric_specs, labels, y, out_width)

    def _check_batching(self, n: int, batch_size: int, who: str) -> None:
        """A model that needs more than one sample per batch says so here."""

    # -- training -----------------------------------------------------------------
    def _make_plan(self) -> TrainPlan:
        raise NotImplementedError

    def _backward_train(self, grad: Any, plan: TrainPlan) -> None:
        raise NotImplementedError

    def _plan(self) -> TrainPlan:
        """The subclass's plan, with the loss formula the steps call."""
        plan = self._make_plan()
        plan.loss = self._loss_formula()
        return plan

    def _after_step(self) -> None:
        """Runs after every optimizer step (a no-op here; DualEncoder caps its scale)."""

    def _epoch_logs(self) -> dict[str, float]:
        """Extra values logged at the end of each epoch (DualEncoder: its logit scale)."""
        return {}

    def train_step(self, x: Any, y: Any, plan: TrainPlan,
                   metric_fns: Sequence[tuple[str, Callable]] = ()) -> list[float]:
        """One step on one checked batch: forward → loss → backward → apply_gradients →
        ``_after_step``. Returns ``[loss, *metrics]`` measured in the forward pass, before
        the update; a NaN or infinite loss skips steps 3 to 5 (the caller reports it)."""
        out = self.forward(x, training=True)                            # 1. forward
        values = [float(plan.loss(y, out)),                             # 2. loss
                  *(float(fn(y, out)) for _, fn in metric_fns)]
        if not math.isfinite(values[0]) or not plan.vars:
            return values
        grad = self.loss.fused_backward() if plan.fused else self.loss.backward()
        self._backward_train(grad, plan)                                # 3. backward
        pairs = []
        for layer, name in plan.vars:
            g = layer.grads.get(name)
            if g is None:
                raise RuntimeError(f"layer {layer.name!r} left no gradient for {name!r} after "
                                   "backward")
            pairs.append((g, layer.params[name]))
        assert self.optimizer is not None
        self.optimizer.apply_gradients(pairs, keys=plan.keys)          # 4. update
        self._after_step()                                              # 5. after the step
        return values

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
        who = self._who("fit")
        batch_size = checks.batch_size_or_default(batch_size, who)
        epochs = check_int(epochs, "epochs", who, minimum=0)
        verbose = checks.verbosity(verbose, who)
        validation_split = checks.validation_fraction(validation_split, who)
        shuffle = checks.shuffle_flag(shuffle, who)
        callbacks = checks.callback_list(callbacks, who)
        x, y, n, width = self._prepare_pair(x, y, "x", "y", who)
        self._check_batching(n, batch_size, who)
        metric_fns = self._metric_functions(y, width)
        x, y, val = batching.hold_out(self, x, y, validation_data, validation_split, who)
        n = batching.size(x)
        history = History()
        history.params = {"verbose": verbose, "epochs": epochs,
                          "steps": math.ceil(n / batch_size)}
        self.history = history
        progbar = [_ProgbarLogger(verbose, epochs, history.params["steps"])] if verbose else []
        cbs = _CallbackList([*progbar, *callbacks, history], self)
        self.stop_training = False
        plan = self._plan()
        try:
            self._run_epochs((x, y), val, batch_size, epochs, shuffle, metric_fns, plan, cbs)
        finally:
            plan.restore()
        return history

    def _run_epochs(self, data: Batch, val: Batch | None, batch_size: int, epochs: int,
                    shuffle: bool, metric_fns: list[tuple[str, Callable]], plan: TrainPlan,
                    cbs: _CallbackList) -> None:
        x, y = data
        n = batching.size(x)
        cbs.on_train_begin()
        logs: dict[str, float] = {}
        for epoch in range(epochs):
            cbs.on_epoch_begin(epoch)
            xe, ye = batching.shuffled(x, y, n) if shuffle else (x, y)
            batches = batching.batches(self, xe, ye, batch_size)
            logs = self._train_epoch(batches, metric_fns, plan, cbs, epoch, epochs)
            logs.update(self._epoch_logs())
            if val is not None:
                try:
                    val_logs = self._evaluate_arrays(val[0], val[1], batch_size, 0, metric_fns)
                except (ValueError, TypeError) as err:
                    raise prefixed(err, "validation_data") from err
                logs.update({f"val_{k}": v for k, v in sorted(val_logs.items())})
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cbs.on_train_end(logs)

    def _train_epoch(self, batches: list[tuple[int, Batch]],
                     metric_fns: list[tuple[str, Callable]], plan: TrainPlan,
                     cbs: _CallbackList, epoch: int, epochs: int) -> dict[str, float]:
        means = batching.Means(["loss", *(name for name, _ in metric_fns)])
        logs: dict[str, float] = {}
        for b, (xb, yb) in batches:
            cbs.on_batch_begin(b)
            values = self.train_step(xb, yb, plan, metric_fns)
            logs = means.add(values, batching.size(xb))
            if not math.isfinite(values[0]):
                self.stop_training = True
                checks.warn_nonfinite(self, values[0], (epoch, epochs), (b, len(batches)))
            cbs.on_batch_end(b, logs)
            if self.stop_training:
                break
        return logs

    def train_on_batch(self, x: Any, y: Any = None) -> float | list[float]:
        """One optimizer step on one batch, Keras's ``train_on_batch``.

        Returns the batch's loss (``[loss, *metrics]`` when compiled with metrics),
        measured in its forward pass, before the update, as ``fit`` logs it. A NaN or
        infinite loss raises ``FloatingPointError`` and leaves the weights untouched.
        """
        self._require_compiled("train_on_batch")
        who = self._who("train_on_batch")
        x, y, _, width = self._prepare_pair(x, y, "x", "y", who)
        metric_fns = self._metric_functions(y, width)
        plan = self._plan()
        try:
            values = self.train_step(x, y, plan, metric_fns)
        finally:
            plan.restore()
        if not math.isfinite(values[0]):
            raise FloatingPointError(f"{self.name}.train_on_batch: the loss is {values[0]}; "
                                     "the update was not applied")
        return values if metric_fns else values[0]

    # -- evaluate / predict -------------------------------------------------------
    def evaluate(self, x: Any, y: Any = None, batch_size: int | None = None,
                 verbose: int | str = "auto", return_dict: bool = False) -> Any:
        """Loss and metrics on (x, y), in inference mode: ``[loss, metric, ...]`` in
        :attr:`metrics_names` order, the loss alone when there are no metrics, or a dict
        with ``return_dict=True``. Each value is the mean over the batches weighted by
        batch size."""
        self._require_compiled("evaluate")
        who = self._who("evaluate")
        batch_size = checks.batch_size_or_default(batch_size, who)
        verbose = checks.verbosity(verbose, who)
        x, y, _, width = self._prepare_pair(x, y, "x", "y", who)
        logs = self._evaluate_arrays(x, y, batch_size, verbose, self._metric_functions(y, width))
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def _evaluate_arrays(self, x: Any, y: Any, batch_size: int, verbose: int,
                         metric_fns: list[tuple[str, Callable]]) -> dict[str, float]:
        batches = batching.batches(self, x, y, batch_size)
        means = batching.Means(["loss", *(name for name, _ in metric_fns)])
        bar = ProgressBar(len(batches), verbose) if verbose else None
        loss = self._loss_formula()
        logs: dict[str, float] = {}
        for i, (_, (xb, yb)) in enumerate(batches):
            out = self.forward(xb, training=False)
            values = [float(loss(yb, out)), *(float(fn(yb, out)) for _, fn in metric_fns)]
            logs = means.add(values, batching.size(xb))
            if bar is not None:
                bar.update(i + 1, logs, finalize=i + 1 == len(batches))
        return logs

    def predict(self, x: Any, batch_size: int | None = None, verbose: int | str = 0) -> Any:
        """The model's outputs for x (inference mode), batch by batch, as one array on the
        active backend (``mm.to_numpy`` brings it to NumPy)."""
        who = self._who("predict")
        batch_size = checks.batch_size_or_default(batch_size, who)
        verbose = checks.verbosity(verbose, who)
        x, _ = self._probe(self._prepare_x(x, "x", who, allow_missing=True))
        n = batching.size(x)
        steps = math.ceil(n / batch_size)
        bar = ProgressBar(steps, verbose) if verbose else None
        outs = []
        for b in range(steps):
            xb = batching.rows(x, b * batch_size, min(n, (b + 1) * batch_size))
            outs.append(self.forward(xb, training=False))
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
        return table(self.name, self._summary_rows(), self._param_counts())

    def summary(self, print_fn: Callable[[str], Any] | None = None) -> None:
        """Print a Keras-style table: each layer's name (type), output shape and number of
        parameters, then the total, trainable and non-trainable counts."""
        (print_fn or print)(self.summary_text())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} layers={len(self.layers)}>"
