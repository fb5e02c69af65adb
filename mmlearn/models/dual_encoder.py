"""``DualEncoder``: CLIP's two towers meeting in one space (Radford et al., 2021).

Two encoders embed a batch of N images and their N captions; the similarity of every
image to every caption is an (N, N) matrix of logits, and symmetric InfoNCE asks each row
and each column to pick its diagonal entry. It trains through :class:`Model`'s ``fit``
like every model; its ``_after_step`` caps the learned logit scale at 100, as CLIP does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

import numpy as np

from mmlearn._validation import (
    check_finite,
    check_int,
    check_same_batch,
    did_you_mean,
    forward_cache,
    positive_number,
    prefixed,
    real_array,
)
from mmlearn.backend import FLOATX, array_namespace, floatx, is_array, rng, to_numpy
from mmlearn.callbacks import Callback, History
from mmlearn.losses import InfoNCE
from mmlearn.models import checks
from mmlearn.models.model import Model
from mmlearn.models.parts import TowerView, leaves
from mmlearn.models.plan import TrainPlan
from mmlearn.models.summary import Row, row
from mmlearn.nn.layer import Layer

__all__ = ["DualEncoder"]

TOWERS = ("image", "text")
PROJECTION = {"image": "W_img", "text": "W_txt"}
MAX_LOGIT_SCALE = math.log(100.0)        # CLIP caps the scale e^t at 100


class _Projections(Layer):
    """The dual encoder's own parameters: W_img (d_I, E), W_txt (d_T, E) and the
    log-scale t (1,). A holder, not a step of the data path: DualEncoder's forward and
    backward use them; as a layer of the model they are counted, saved and trained."""


class DualEncoder(Model):
    """CLIP's two towers: an image encoder and a text encoder meeting in one space.

    Forward, for a batch ``x = {"image": (N, ...), "text": (N, ...)}``:

        H_I = image_encoder(x["image"])   (N, d_I)      H_T = text_encoder(x["text"])  (N, d_T)
        Z_I = H_I W_img                   (N, E)        Z_T = H_T W_txt                (N, E)
        Ĩ = Z_I / ‖Z_I‖  (per row)                     T̃ = Z_T / ‖Z_T‖
        S = s · Ĩ T̃ᵀ                     (N, N),        s = e^t

    returning the logits S: S[i, j] is how well image i matches caption j. The log-scale
    t = ``params["logit_scale"]`` (shape (1,)) starts at log(1/``temperature``) (CLIP:
    log(1/0.07) ≈ 2.659) and is learned unless ``learn_temperature=False``; ``fit`` caps s
    at 100, as CLIP does. W_img (d_I, E) and W_txt (d_T, E) have no bias and start
    N(0, 1/d) (CLIP's init); ‖z‖ = √(Σ z² + 1e-12).

    Backward, from G = dL/dS (N, N):

        dL/dt   = s · Σ G ⊙ (Ĩ T̃ᵀ)
        dL/dĨ   = s G T̃,              dL/dT̃ = s Gᵀ Ĩ
        dL/dZ   = (dL/dŨ − Ũ ⊙ rowsum(dL/dŨ ⊙ Ũ)) / ‖Z‖   (through the normalisation)
        dL/dW   = Hᵀ dL/dZ,            dL/dH = dL/dZ Wᵀ   (then each encoder's backward)

    and returns ``{"image": dL/dx_image, "text": dL/dx_text}`` (``None`` for token ids).

    ``params`` lists ``W_img``, ``W_txt``, ``logit_scale`` and then the encoders' own,
    as ``"image_encoder/<key>"`` and ``"text_encoder/<key>"``; writes go through to the
    encoder, so an optimizer (or ``gradcheck.check_layer``) reaches every weight. An
    encoder is a Layer or a Sequential; set its ``trainable = False`` to freeze it.
    """

    min_batch = 2                        # a lone pair has no negatives to contrast with

    def __init__(self, image_encoder: Layer, text_encoder: Layer, embed_dim: int,
                 temperature: float = 0.07, learn_temperature: bool = True, *,
                 name: str | None = None, dtype: str | None = None) -> None:
        who = "DualEncoder"
        for arg, enc in (("image_encoder", image_encoder), ("text_encoder", text_encoder)):
            if not isinstance(enc, Layer):
                raise TypeError(f"{who}: {arg} must be a Layer or a Sequential (e.g. "
                                f"mm.layers.Dense(32)), got {type(enc).__name__}")
        if image_encoder is text_encoder:
            raise ValueError(f"{who}: image_encoder and text_encoder must be different layers")
        if dtype is not None and dtype not in FLOATX:
            raise ValueError(f"{who}: dtype must be one of {FLOATX} or None (mm.floatx()), "
                             f"got {dtype!r}")
        self.embed_dim = check_int(embed_dim, "embed_dim", who, expected="a positive int")
        self.temperature = positive_number(temperature, "temperature", who)
        if not isinstance(learn_temperature, bool | np.bool_):
            raise TypeError(f"{who}: learn_temperature must be True or False, "
                            f"got {learn_temperature!r}")
        super().__init__(name)
        self.dtype = dtype or floatx()
        self.image_encoder = image_encoder
        self.text_encoder = text_encoder
        self.learn_temperature = bool(learn_temperature)
        self.projections = _Projections(name=self.name, dtype=self.dtype)
        self.projections.built = True                  # a holder: nothing to size
        self._fixed_logit_scale = math.log(1.0 / self.temperature)
        self._cache: dict[str, Any] | None = None
        self.built = False
        self.input_shape: Any = None

    def encoder(self, tower: str) -> Layer:
        """The image or the text encoder."""
        return self.image_encoder if tower == "image" else self.text_encoder

    # -- the parameter views ------------------------------------------------------
    @property
    def params(self) -> MutableMapping:          # type: ignore[override]
        """Projections, logit scale, then both encoders' parameters (write-through)."""
        return TowerView(self, "params")

    @property
    def grads(self) -> MutableMapping:           # type: ignore[override]
        """Gradients filled by the last backward, keyed like :attr:`params`."""
        return TowerView(self, "grads")

    def _parts(self) -> list[Layer]:
        return [self.projections, self.image_encoder, self.text_encoder]

    @property
    def logit_scale(self) -> float:
        """The current s = e^t (1/temperature) as a Python float."""
        return math.exp(self._log_scale())

    def _log_scale(self) -> float:
        t = self.projections.params.get("logit_scale")
        return self._fixed_logit_scale if t is None else float(to_numpy(t)[0])

    def _param_dtype(self) -> str:
        return self.dtype

    def _weight_entries(self, prefix: str = "", slot: str = "") -> list[tuple[str, str, Any,
                                                                             str]]:
        """(file key, structural key, owning layer, param name) for every parameter, as
        models give them to :mod:`mmlearn.io`: the structural key leaves out layer names,
        so saved weights load into a fresh copy of the same architecture."""
        own = self.projections
        out = [(f"{prefix}{self.name}/{k}", f"{slot}{k}", own, k) for k in own.params]
        for tower in TOWERS:
            out += self._entries_of(self.encoder(tower), f"{prefix}{tower}_encoder/",
                                    f"{slot}{tower}_encoder/")
        return out

    def add_param(self, name: str, value: np.ndarray, dtype: str | None = None) -> Any:
        """Register one of the model's own parameters (a copy, on the active backend)."""
        return self.projections.add_param(name, value, dtype)

    # -- building -----------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        """Nothing to size yet: the projections are made at the first forward pass, once
        the encoders' output widths are known."""
        self.input_shape = input_shape if isinstance(input_shape, tuple) else None
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (None, None)

    def _ensure_projections(self, h_img: Any, h_txt: Any) -> None:
        own = self.projections.params
        for tower, h in (("image", h_img), ("text", h_txt)):
            if h.ndim != 2:
                raise ValueError(f"DualEncoder: the {tower} encoder must output (batch, "
                                 f"features), got shape {tuple(h.shape)}; end it with Flatten "
                                 "or a pooling layer")
            key = PROJECTION[tower]
            d = int(h.shape[1])
            if key not in own:
                self.add_param(key, rng().standard_normal((d, self.embed_dim)) / math.sqrt(d))
            elif int(own[key].shape[0]) != d:
                raise ValueError(f"DualEncoder: {key} expects {tower} features of width "
                                 f"{int(own[key].shape[0])}, the {tower} encoder gave {d}")
        if self.learn_temperature and "logit_scale" not in own:
            self.add_param("logit_scale", np.full(1, self._fixed_logit_scale))

    # -- the forward pass -------------------------------------------------------------
    def _check_x(self, x: Any) -> dict[str, Any]:
        if not isinstance(x, Mapping):
            raise TypeError(f"DualEncoder expects a dict {{'image': ..., 'text': ...}}, "
                            f"got {type(x).__name__}")
        unknown = [k for k in x if k not in TOWERS]
        if unknown:
            raise ValueError(f"DualEncoder: unknown modality {unknown[0]!r}; expected keys "
                             f"{list(TOWERS)}" + did_you_mean(unknown[0], TOWERS))
        missing = [k for k in TOWERS if k not in x]
        if missing:
            raise ValueError(f"DualEncoder: x is missing {missing[0]!r}; expected keys "
                             f"{list(TOWERS)}")
        for k in TOWERS:
            if not is_array(x[k]) or x[k].ndim < 1:
                raise TypeError(f"DualEncoder: x[{k!r}] must be an array with a batch axis, "
                                f"got {type(x[k]).__name__}")
            real_array(x[k], f"DualEncoder: x[{k!r}]")     # complex, object: refused
        n = check_same_batch({k: x[k] for k in TOWERS}, "DualEncoder: x['image'] and "
                             "x['text']")
        if n == 0:
            raise ValueError("DualEncoder: the batch is empty; expected at least one pair")
        return {k: x[k] for k in TOWERS}

    def __call__(self, x: Mapping[str, Any], training: bool = False) -> Any:
        """``model(x)``: check ``x`` (a dict of the two modalities) and, through each
        encoder's own call, its layers' inputs; then the forward pass."""
        x = self._check_x(x)
        if not self.built:
            self.build({k: tuple(v.shape) for k, v in x.items()})
        return self._run(x, training, checked=True)

    def _run_encoder(self, tower: str, x: Any, training: bool, checked: bool) -> Any:
        """One tower's encoder on its input; its errors say which tower they come from."""
        try:
            return self._part(self.encoder(tower), x, training, checked)
        except (ValueError, TypeError) as err:
            raise prefixed(err, f"{tower} encoder") from err

    def _project(self, tower: str, h: Any) -> tuple[Any, Any]:
        """Unit rows Ũ = Z/‖Z‖ of Z = H W, and the row norms ‖Z‖ (N, 1)."""
        xp = array_namespace(h)
        z = h @ self.projections.params[PROJECTION[tower]]
        norm = xp.sqrt(xp.sum(z * z, axis=1, keepdims=True) + 1e-12)
        return z / norm, norm

    def _scale(self, like: Any) -> Any:
        t = self.projections.params.get("logit_scale")
        if t is None:
            return math.exp(self._fixed_logit_scale)
        return array_namespace(like).exp(t)

    def _run(self, x: Mapping[str, Any], training: bool, checked: bool) -> Any:
        """Logits S = e^t · Ĩ T̃ᵀ, shape (N, N): row i is image i against every caption."""
        h_img = self._run_encoder("image", x["image"], training, checked)
        h_txt = self._run_encoder("text", x["text"], training, checked)
        self._ensure_projections(h_img, h_txt)
        u_img, n_img = self._project("image", h_img)
        u_txt, n_txt = self._project("text", h_txt)
        xp = array_namespace(u_img)
        cos = u_img @ xp.matrix_transpose(u_txt)                 # (N, N), in [−1, 1]
        s = self._scale(cos)
        self._cache = {"h": {"image": h_img, "text": h_txt}, "u": {"image": u_img, "text": u_txt},
                       "norm": {"image": n_img, "text": n_txt}, "cos": cos, "s": s}
        return s * cos

    # -- the backward pass --------------------------------------------------------------
    def _backward_towers(self, grad_out: Any, plan: TrainPlan | None) -> dict[str, Any]:
        """Own grads, then each tower's encoder (all of it without a plan; with one, from
        its first layer that trains, and not at all when nothing in it trains)."""
        c = forward_cache(self._cache, "DualEncoder")
        want = tuple(c["cos"].shape)
        if tuple(getattr(grad_out, "shape", ())) != want:
            raise ValueError(f"DualEncoder.backward expected grad_out of shape {want} (the "
                             f"shape of its last output), got {tuple(grad_out.shape)}")
        xp = array_namespace(grad_out)
        own, grads = self.projections.params, self.projections.grads
        s = c["s"]
        if "logit_scale" in own:
            grads["logit_scale"] = s * xp.sum(grad_out * c["cos"])   # (1,)
        d_u = {"image": s * (grad_out @ c["u"]["text"]),
               "text": s * (xp.matrix_transpose(grad_out) @ c["u"]["image"])}
        out: dict[str, Any] = {}
        for tower in TOWERS:
            u, norm, h = c["u"][tower], c["norm"][tower], c["h"][tower]
            g = d_u[tower]
            d_z = (g - u * xp.sum(g * u, axis=1, keepdims=True)) / norm   # through z/‖z‖
            key = PROJECTION[tower]
            grads[key] = xp.matrix_transpose(h) @ d_z
            if plan is not None and plan.starts[tower] == len(plan.chains[tower]):
                continue                                  # nothing in this tower trains
            d_h = d_z @ xp.matrix_transpose(own[key])
            out[tower] = (self.encoder(tower).backward(d_h) if plan is None
                          else plan.run(tower, d_h))
        return out

    def backward(self, grad_out: Any) -> dict[str, Any]:
        """From dL/dS (N, N): fills every grad (own and encoders'), returns
        ``{"image": dL/dx_image, "text": dL/dx_text}``."""
        return self._backward_towers(grad_out, None)

    # -- embeddings for retrieval --------------------------------------------------------
    def _encode(self, tower: str, x: Any, batch_size: int | None) -> Any:
        who = f"DualEncoder.encode_{tower}"
        if PROJECTION[tower] not in self.projections.params:
            raise RuntimeError(f"{who}: the model has not seen data yet; call it on a batch "
                               "(or fit it) first")
        if not is_array(x) or x.ndim < 1:
            raise TypeError(f"{who}: x must be an array with a batch axis, got "
                            f"{type(x).__name__}")
        real_array(x, f"{who}: x")
        check_finite(x, f"{who}: x")
        n = int(x.shape[0])
        step = n if batch_size is None else check_int(batch_size, "batch_size", who,
                                                      expected="a positive int")
        parts = []
        for start in range(0, n, max(step, 1)):
            try:
                h = self.encoder(tower)(x[start:start + step, ...], training=False)
            except (ValueError, TypeError) as err:
                raise prefixed(err, f"{who}: {tower} encoder") from err
            parts.append(self._project(tower, h)[0])
        if not parts:
            raise ValueError(f"{who}: x is empty")
        return parts[0] if len(parts) == 1 else array_namespace(parts[0]).concat(parts, axis=0)

    def encode_image(self, x: Any, batch_size: int | None = None) -> Any:
        """Unit-length image embeddings Ĩ, shape (N, embed_dim) (inference mode)."""
        return self._encode("image", x, batch_size)

    def encode_text(self, x: Any, batch_size: int | None = None) -> Any:
        """Unit-length text embeddings T̃, shape (N, embed_dim) (inference mode)."""
        return self._encode("text", x, batch_size)

    # -- training: Model.fit with InfoNCE ---------------------------------------------------
    def compile(self, optimizer: Any = "adam", loss: Any = None,
                metrics: Sequence[Any] | None = None) -> None:
        """As :meth:`Model.compile`; the loss defaults to symmetric
        :class:`~mmlearn.losses.InfoNCE`."""
        super().compile(optimizer, InfoNCE() if loss is None else loss, metrics)

    def fit(self, x: Mapping[str, Any], epochs: int = 1, batch_size: int = 64,  # type: ignore[override]
            optimizer: Any = "adam", verbose: int | str = "auto", shuffle: bool = True, *,
            callbacks: Sequence[Callback] | None = None, validation_split: float = 0.0,
            validation_data: Mapping[str, Any] | None = None) -> History:
        """Train both towers with symmetric InfoNCE on matched pairs ``x = {"image": ...,
        "text": ...}`` (row i of each belongs together): each mini-batch of B pairs is a
        B-way matching problem, its own B − 1 captions the negatives.

        This is :meth:`Model.fit` (progress bar, callbacks, History, NaN stop, validation)
        with the optimizer given here: a name (``"adam"``, a fresh one per call) or an
        Optimizer from :mod:`mmlearn.optimizers`. A final batch of one pair (nothing to
        contrast with) is skipped; after each step the logit scale is capped at log 100.
        ``validation_data`` is a dict of held-out pairs. The History's ``history`` is
        ``{"loss": [...], "logit_scale": [...]}`` per epoch (loss: the mean over the
        epoch's batches, weighted by size, measured before each update).
        """
        self.compile(optimizer, self.loss if self.compiled else None)
        validation = None if validation_data is None else (validation_data, None)
        return super().fit(x, None, batch_size=batch_size, epochs=epochs, verbose=verbose,
                           callbacks=callbacks, validation_split=validation_split,
                           validation_data=validation, shuffle=shuffle)

    def _who(self, method: str) -> str:
        return f"DualEncoder.{method}"

    def _prepare_x(self, x: Any, arg: str, who: str, allow_missing: bool = False) -> Any:
        """Both modalities checked, finite, floating ones in the parameters' dtype (token
        ids stay integers)."""
        x = self._check_x(x)
        for k in TOWERS:
            check_finite(x[k], f"{who}: {arg}[{k!r}]")
        return {k: self._cast(v) for k, v in x.items()}

    def _check_all(self, x: dict[str, Any]) -> dict[str, Any]:
        return checks.first_layers(x, {t: self.encoder(t) for t in TOWERS}, "{} encoder")

    def _check_batching(self, n: int, batch_size: int, who: str) -> None:
        if batch_size < 2:
            raise ValueError(f"{who}: batch_size must be at least 2 (a batch of one pair has "
                             f"no negatives), got {batch_size}")
        if n < 2:
            raise ValueError(f"{who}: need at least 2 pairs to contrast, got {n}")

    def _make_plan(self) -> TrainPlan:
        """The projections (and the scale) train; each tower from its first layer that
        trains (a frozen tower runs no backward)."""
        plan = TrainPlan()
        if self._trainable and self.projections.trainable:
            plan.add_vars(self.projections)
        for tower in TOWERS:
            plan.add_chain(tower, leaves(self.encoder(tower), self._trainable), upstream=False)
        return plan

    def _backward_train(self, grad: Any, plan: TrainPlan) -> None:
        self._backward_towers(grad, plan)

    def _after_step(self) -> None:
        """t = min(t, log 100), on the device (no read back to the host)."""
        t = self.projections.params.get("logit_scale")
        if t is not None:
            self.projections.params["logit_scale"] = array_namespace(t).clip(
                t, max=MAX_LOGIT_SCALE)

    def _epoch_logs(self) -> dict[str, float]:
        return {"logit_scale": self._log_scale()}

    def _summary_rows(self) -> list[Row]:
        return [row(self.encoder(t), f"{t}: {self.encoder(t).name} "
                    f"({type(self.encoder(t)).__name__})", None) for t in TOWERS] + [
            row(self.projections, "projections, logit scale", (None, self.embed_dim))]

    def __repr__(self) -> str:
        return (f"<DualEncoder embed_dim={self.embed_dim} image_encoder="
                f"{self.image_encoder.name!r} text_encoder={self.text_encoder.name!r}>")
