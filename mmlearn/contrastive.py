"""Contrastive alignment of two modalities, CLIP-style (Radford et al., 2021).

Two towers embed a batch of N images and their N captions into one space; a good
embedding puts each image next to its own caption and away from the other N − 1.
The similarity of every image to every caption is an (N, N) matrix of logits,

    S = e^t · Ĩ T̃ᵀ,      Ĩ, T̃ the L2-normalised embeddings (N, E),  t a learned log-scale,

and the loss asks each row and each column to pick its diagonal entry (symmetric InfoNCE).

    InfoNCE(temperature=None)      the loss: ½ (CE(S, diag) + CE(Sᵀ, diag))
    DualEncoder(img, txt, E)       the two towers, projections, normalisation, scaled logits
    zero_shot_classify(m, x, c)    nearest class prompt in the shared space
    recall_at_k(q, t, k)           retrieval quality: is the partner among the k nearest?

The loss lives in :mod:`mmlearn.losses` and the two metrics in :mod:`mmlearn.metrics`;
this module gathers them with the DualEncoder under the names chapter 6 uses.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import numpy as np

from mmlearn._validation import (
    check_finite,
    check_same_batch,
    did_you_mean,
    positive_number,
    positive_size,
    prefixed,
    real_array,
)
from mmlearn.backend import array_namespace, asarray, is_array, rng, to_numpy
from mmlearn.losses import InfoNCE
from mmlearn.metrics import recall_at_k, zero_shot_classify
from mmlearn.nn.layer import Layer

__all__ = ["DualEncoder", "InfoNCE", "recall_at_k", "zero_shot_classify"]


# =====================================================================================
# The two towers
# =====================================================================================
_TOWERS = ("image", "text")
_PROJ = {"image": "W_img", "text": "W_txt"}
_MAX_LOGIT_SCALE = math.log(100.0)


class _TowerView(MutableMapping):
    """The dual encoder's own parameters (or grads) followed by both encoders', keyed
    ``"W_img"``, ..., ``"image_encoder/<key>"``, ``"text_encoder/<key>"``. Reads and writes
    go to the layer that owns the array, so an optimizer or a gradient check sees one dict."""

    def __init__(self, model: DualEncoder, kind: str) -> None:
        self._model = model
        self._kind = kind

    def _own(self) -> dict[str, Any]:
        return self._model._own_params if self._kind == "params" else self._model._own_grads

    def _split(self, key: str) -> tuple[Any, str]:
        for tower in _TOWERS:
            prefix = f"{tower}_encoder/"
            if isinstance(key, str) and key.startswith(prefix):
                return getattr(getattr(self._model, f"{tower}_encoder"), self._kind), \
                    key[len(prefix):]
        return self._own(), key

    def __getitem__(self, key: str) -> Any:
        store, sub = self._split(key)
        return store[sub]

    def __setitem__(self, key: str, value: Any) -> None:
        store, sub = self._split(key)
        if store is not self._own() and sub not in store and self._kind == "params":
            raise KeyError(key)
        store[sub] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError("a DualEncoder's parameters cannot be deleted")

    def __iter__(self) -> Iterator[str]:
        yield from list(self._own())
        for tower in _TOWERS:
            enc = getattr(self._model, f"{tower}_encoder")
            for key in list(getattr(enc, self._kind)):
                yield f"{tower}_encoder/{key}"

    def __len__(self) -> int:
        return sum(1 for _ in self)


class DualEncoder(Layer):
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
        self.image_encoder = image_encoder
        self.text_encoder = text_encoder
        self.embed_dim = positive_size(embed_dim, "embed_dim", who)
        self.temperature = positive_number(temperature, "temperature", who)
        if not isinstance(learn_temperature, bool | np.bool_):
            raise TypeError(f"{who}: learn_temperature must be True or False, "
                            f"got {learn_temperature!r}")
        self.learn_temperature = bool(learn_temperature)
        self._own_params: dict[str, Any] = {}
        self._own_grads: dict[str, Any] = {}
        self._fixed_logit_scale = math.log(1.0 / self.temperature)
        self._cache: dict[str, Any] | None = None
        super().__init__(name=name, dtype=dtype)

    # -- the parameter views ------------------------------------------------------
    @property  # type: ignore[override]
    def params(self) -> MutableMapping:
        """Projections, logit scale, then both encoders' parameters (write-through)."""
        return _TowerView(self, "params")

    @params.setter
    def params(self, value: Mapping[str, Any]) -> None:   # Layer.__init__ sets {}
        self._own_params = dict(value)

    @property  # type: ignore[override]
    def grads(self) -> MutableMapping:
        """Gradients filled by the last backward, keyed like :attr:`params`."""
        return _TowerView(self, "grads")

    @grads.setter
    def grads(self, value: Mapping[str, Any]) -> None:
        self._own_grads = dict(value)

    @property
    def logit_scale(self) -> float:
        """The current s = e^t (1/temperature) as a Python float."""
        return math.exp(self._log_scale())

    def _log_scale(self) -> float:
        t = self._own_params.get("logit_scale")
        return self._fixed_logit_scale if t is None else float(to_numpy(t)[0])

    # -- building ---------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        """Nothing to size yet: the projections are made at the first forward pass, once
        the encoders' output widths are known."""
        self.input_shape = input_shape if isinstance(input_shape, tuple) else None
        self.built = True

    def _ensure_projections(self, h_img: Any, h_txt: Any) -> None:
        for tower, h in (("image", h_img), ("text", h_txt)):
            if h.ndim != 2:
                raise ValueError(f"DualEncoder: the {tower} encoder must output (batch, "
                                 f"features), got shape {tuple(h.shape)}; end it with Flatten "
                                 "or a pooling layer")
            key = _PROJ[tower]
            d = int(h.shape[1])
            if key not in self._own_params:
                w = rng().standard_normal((d, self.embed_dim)) / math.sqrt(d)
                self.add_param(key, w)
            elif int(self._own_params[key].shape[0]) != d:
                raise ValueError(f"DualEncoder: {key} expects {tower} features of width "
                                 f"{int(self._own_params[key].shape[0])}, the {tower} encoder "
                                 f"gave {d}")
        if self.learn_temperature and "logit_scale" not in self._own_params:
            self.add_param("logit_scale", np.full(1, self._fixed_logit_scale))

    def add_param(self, name: str, value: np.ndarray, dtype: str | None = None) -> Any:
        self._own_params[name] = asarray(value, dtype=dtype or self.dtype, copy=True)
        return self._own_params[name]

    def _weight_entries(self, prefix: str = "", slot: str = "") -> list[tuple[str, str, Any,
                                                                             str]]:
        """(file key, structural key, owning layer, param name) for every parameter, as
        models give them to :mod:`mmlearn.io`: the structural key leaves out layer names,
        so saved weights load into a fresh copy of the same architecture."""
        out = [(f"{prefix}{self.name}/{k}", f"{slot}{k}", self, k) for k in self._own_params]
        for tower in _TOWERS:
            enc = getattr(self, f"{tower}_encoder")
            p, s = f"{prefix}{tower}_encoder/", f"{slot}{tower}_encoder/"
            if callable(getattr(enc, "_weight_entries", None)):
                out += enc._weight_entries(p, s)
            else:
                out += [(f"{p}{enc.name}/{k}", f"{s}{k}", enc, k) for k in enc.params]
        return out

    def save_weights(self, path: str) -> None:
        """Write every parameter (both towers included) to an ``.npz`` file."""
        from mmlearn import io

        io.save_weights(self, path)

    def load_weights(self, path: str) -> None:
        """Read weights written by :meth:`save_weights` (into a model built the same way)."""
        from mmlearn import io

        io.load_weights(self, path)

    # -- the forward pass --------------------------------------------------------
    def _check_x(self, x: Any) -> dict[str, Any]:
        if not isinstance(x, Mapping):
            raise TypeError(f"DualEncoder expects a dict {{'image': ..., 'text': ...}}, "
                            f"got {type(x).__name__}")
        unknown = [k for k in x if k not in _TOWERS]
        if unknown:
            raise ValueError(f"DualEncoder: unknown modality {unknown[0]!r}; expected keys "
                             f"{list(_TOWERS)}" + did_you_mean(unknown[0], _TOWERS))
        missing = [k for k in _TOWERS if k not in x]
        if missing:
            raise ValueError(f"DualEncoder: x is missing {missing[0]!r}; expected keys "
                             f"{list(_TOWERS)}")
        for k in _TOWERS:
            if not is_array(x[k]) or x[k].ndim < 1:
                raise TypeError(f"DualEncoder: x[{k!r}] must be an array with a batch axis, "
                                f"got {type(x[k]).__name__}")
            real_array(x[k], f"DualEncoder: x[{k!r}]")     # complex, object: refused
        n = check_same_batch({k: x[k] for k in _TOWERS}, "DualEncoder: x['image'] and "
                             "x['text']")
        if n == 0:
            raise ValueError("DualEncoder: the batch is empty; expected at least one pair")
        return dict(x)

    def _run_encoder(self, tower: str, x: Any, training: bool) -> Any:
        """One tower's encoder on its input; its errors say which tower they come from."""
        enc = self.image_encoder if tower == "image" else self.text_encoder
        try:
            return enc(x, training=training)
        except (ValueError, TypeError) as err:
            raise prefixed(err, f"{tower} encoder") from err

    def _project(self, tower: str, h: Any) -> tuple[Any, Any]:
        """Unit rows Ũ = Z/‖Z‖ of Z = H W, and the row norms ‖Z‖ (N, 1)."""
        xp = array_namespace(h)
        z = h @ self._own_params[_PROJ[tower]]
        norm = xp.sqrt(xp.sum(z * z, axis=1, keepdims=True) + 1e-12)
        return z / norm, norm

    def _scale(self, like: Any) -> Any:
        xp = array_namespace(like)
        t = self._own_params.get("logit_scale")
        if t is None:
            return math.exp(self._fixed_logit_scale)
        return xp.exp(t)

    def forward(self, x: Mapping[str, Any], training: bool = False) -> Any:
        """Logits S = e^t · Ĩ T̃ᵀ, shape (N, N): row i is image i against every caption."""
        x = self._check_x(x)
        h_img = self._run_encoder("image", x["image"], training)
        h_txt = self._run_encoder("text", x["text"], training)
        self._ensure_projections(h_img, h_txt)
        u_img, n_img = self._project("image", h_img)
        u_txt, n_txt = self._project("text", h_txt)
        xp = array_namespace(u_img)
        cos = u_img @ xp.matrix_transpose(u_txt)                 # (N, N), in [−1, 1]
        s = self._scale(cos)
        self._cache = {"h": {"image": h_img, "text": h_txt}, "u": {"image": u_img, "text": u_txt},
                       "norm": {"image": n_img, "text": n_txt}, "cos": cos, "s": s}
        return s * cos

    # -- the backward pass -------------------------------------------------------
    def _backward_towers(self, grad_out: Any, towers: Sequence[str]) -> dict[str, Any]:
        if self._cache is None:
            raise RuntimeError("DualEncoder: backward called before forward")
        c = self._cache
        xp = array_namespace(grad_out)
        if tuple(grad_out.shape) != tuple(c["cos"].shape):
            raise ValueError(f"DualEncoder.backward expected a gradient of shape "
                             f"{tuple(c['cos'].shape)}, got {tuple(grad_out.shape)}")
        s = c["s"]
        if "logit_scale" in self._own_params:
            self._own_grads["logit_scale"] = s * xp.sum(grad_out * c["cos"])   # (1,)
        d_u = {"image": s * (grad_out @ c["u"]["text"]),
               "text": s * (xp.matrix_transpose(grad_out) @ c["u"]["image"])}
        out: dict[str, Any] = {}
        for tower in _TOWERS:
            u, norm, h = c["u"][tower], c["norm"][tower], c["h"][tower]
            g = d_u[tower]
            d_z = (g - u * xp.sum(g * u, axis=1, keepdims=True)) / norm   # through z/‖z‖
            key = _PROJ[tower]
            self._own_grads[key] = xp.matrix_transpose(h) @ d_z
            if tower in towers:
                d_h = d_z @ xp.matrix_transpose(self._own_params[key])
                enc = self.image_encoder if tower == "image" else self.text_encoder
                out[tower] = enc.backward(d_h)
        return out

    def backward(self, grad_out: Any) -> dict[str, Any]:
        """From dL/dS (N, N): fills every grad (own and encoders'), returns
        ``{"image": dL/dx_image, "text": dL/dx_text}``."""
        return self._backward_towers(grad_out, _TOWERS)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (None, None)

    # -- embeddings for retrieval --------------------------------------------------
    def _encode(self, tower: str, x: Any, batch_size: int | None) -> Any:
        enc = self.image_encoder if tower == "image" else self.text_encoder
        key = _PROJ[tower]
        if key not in self._own_params:
            raise RuntimeError(f"DualEncoder.encode_{tower}: the model has not seen data yet; "
                               "call it on a batch (or fit it) first")
        if not is_array(x) or x.ndim < 1:
            raise TypeError(f"DualEncoder.encode_{tower}: x must be an array with a batch "
                            f"axis, got {type(x).__name__}")
        who = f"DualEncoder.encode_{tower}"
        real_array(x, f"{who}: x")
        check_finite(x, f"{who}: x")
        n = int(x.shape[0])
        step = n if batch_size is None else positive_size(batch_size, "batch_size", who)
        parts = []
        for start in range(0, n, max(step, 1)):
            try:
                h = enc(x[start:start + step, ...], training=False)
            except (ValueError, TypeError) as err:
                raise prefixed(err, f"{who}: {tower} encoder") from err
            parts.append(self._project(tower, h)[0])
        if not parts:
            raise ValueError(f"DualEncoder.encode_{tower}: x is empty")
        return parts[0] if len(parts) == 1 else array_namespace(parts[0]).concat(parts, axis=0)

    def encode_image(self, x: Any, batch_size: int | None = None) -> Any:
        """Unit-length image embeddings Ĩ, shape (N, embed_dim) (inference mode)."""
        return self._encode("image", x, batch_size)

    def encode_text(self, x: Any, batch_size: int | None = None) -> Any:
        """Unit-length text embeddings T̃, shape (N, embed_dim) (inference mode)."""
        return self._encode("text", x, batch_size)

    # -- training -----------------------------------------------------------------
    def _trainable_pairs(self) -> tuple[list[str], dict[str, bool]]:
        """Keys of trainable params, and which towers have any (so need a backward)."""
        if not self.trainable:
            return [], dict.fromkeys(_TOWERS, False)
        keys = list(self._own_params)
        needs = {}
        for tower in _TOWERS:
            enc = getattr(self, f"{tower}_encoder")
            live = [key for leaf, trainable in _leaves(enc) if trainable
                    for key in _leaf_keys(enc, leaf)]
            needs[tower] = bool(live)
            keys += [f"{tower}_encoder/{k}" for k in live]
        return keys, needs

    def fit(self, x: Mapping[str, Any], epochs: int = 1, batch_size: int = 64,
            optimizer: Any = "adam", verbose: int | str = "auto",
            shuffle: bool = True) -> Any:
        """Train both towers with symmetric InfoNCE on matched pairs ``x = {"image": ...,
        "text": ...}`` (row i of each belongs together): each mini-batch of B pairs is a
        B-way matching problem, its own B − 1 captions the negatives.

        ``optimizer``: a name (``"adam"``) or an Optimizer from :mod:`mmlearn.optimizers`.
        Floating inputs are cast to the parameters' dtype (float32), as in Keras.
        ``shuffle`` draws each epoch's order from ``mm.set_seed``'s generator. A final batch
        of one pair (nothing to contrast with) is skipped. After each step the logit scale is
        capped at log 100, as in CLIP. ``verbose``: 0 silent, 1 or 2 one line per epoch.
        Returns a :class:`mmlearn.callbacks.History` whose ``history`` is
        ``{"loss": [...], "logit_scale": [...]}`` per epoch (loss: the mean over the epoch's
        batches, weighted by size, measured before each update).
        """
        from mmlearn import optimizers as _optimizers
        from mmlearn.models import History

        who = "DualEncoder.fit"
        x = self._check_x(x)
        for k in _TOWERS:                   # once, before any batch changes a parameter
            check_finite(x[k], f"{who}: x[{k!r}]")
        if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 0:
            raise ValueError(f"{who}: epochs must be an int >= 0, got {epochs!r}")
        batch_size = positive_size(batch_size, "batch_size", who)
        if batch_size < 2:
            raise ValueError(f"{who}: batch_size must be at least 2 (a batch of one pair has "
                             "no negatives), got 1")
        if not isinstance(shuffle, bool | np.bool_):
            raise TypeError(f"{who}: shuffle must be True or False, got {shuffle!r}")
        if verbose == "auto":
            verbose = 1
        if isinstance(verbose, bool) or verbose not in (0, 1, 2):
            raise ValueError(f"{who}: verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
        opt = _optimizers.get(optimizer)
        loss_fn = InfoNCE()
        n = int(x["image"].shape[0])
        if n < 2:
            raise ValueError(f"{who}: need at least 2 pairs to contrast, got {n}")
        if "W_img" not in self._own_params:
            self({k: v[:2, ...] for k, v in x.items()})           # build the projections
        x = {k: self._cast(v) for k, v in x.items()}
        history = History()
        history.params = {"verbose": verbose, "epochs": epochs,
                          "steps": math.ceil(n / batch_size)}
        keys, needs = self._trainable_pairs()
        towers = [t for t in _TOWERS if needs[t]]
        for epoch in range(epochs):
            xe = x
            if shuffle:                                   # one gather per epoch, on device
                order = rng().permutation(n)
                xe = {k: _take(v, order) for k, v in x.items()}
            total, seen = 0.0, 0
            for start in range(0, n, batch_size):
                stop = min(n, start + batch_size)
                if stop - start < 2:
                    continue                              # one pair: nothing to contrast
                xb = {k: v[start:stop, ...] for k, v in xe.items()}
                logits = self.forward(xb, training=True)
                value = float(loss_fn(None, logits))      # a scalar read, no array copy
                if not math.isfinite(value):
                    raise FloatingPointError(
                        f"{who}: the loss became {value} at epoch {epoch + 1}, batch "
                        f"{start // batch_size + 1}; try a smaller learning rate")
                total += value * (stop - start)
                seen += stop - start
                self._backward_towers(loss_fn.backward(), towers)
                if keys:
                    params, grads = self.params, self.grads
                    opt.apply_gradients([(grads[k], params[k]) for k in keys], keys=keys)
                    self._cap_logit_scale()
            logs = {"loss": total / max(seen, 1), "logit_scale": self._log_scale()}
            history.on_epoch_end(epoch, logs)
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs} - loss: {logs['loss']:.4f} - "
                      f"logit_scale: {logs['logit_scale']:.4f}")
        return history

    def _cast(self, a: Any) -> Any:
        """Floating inputs take the parameters' dtype (float64 data -> float32, as Keras), so
        every gradient has its parameter's dtype."""
        xp = array_namespace(a)
        w = self._own_params["W_img"]
        if xp.isdtype(a.dtype, "real floating") and a.dtype != w.dtype:
            return xp.astype(a, w.dtype)
        return a

    def _cap_logit_scale(self) -> None:
        """t = min(t, log 100), on the device (no read back to the host)."""
        t = self._own_params.get("logit_scale")
        if t is not None:
            self._own_params["logit_scale"] = array_namespace(t).clip(t, max=_MAX_LOGIT_SCALE)

    def __repr__(self) -> str:
        return (f"<DualEncoder embed_dim={self.embed_dim} image_encoder="
                f"{self.image_encoder.name!r} text_encoder={self.text_encoder.name!r}>")


def _take(a: Any, idx: np.ndarray) -> Any:
    xp = array_namespace(a)
    return xp.take(a, asarray(idx, dtype="int64", xp=xp), axis=0)


def _leaves(layer: Layer, parent_trainable: bool = True) -> list[tuple[Layer, bool]]:
    """Leaf layers inside ``layer`` (through ``.layers`` of containers) with their effective
    trainability: a leaf trains only if it and every container around it do."""
    trainable = parent_trainable and bool(layer.trainable)
    subs = getattr(layer, "layers", None)
    if isinstance(subs, list) and subs:
        return [pair for sub in subs for pair in _leaves(sub, trainable)]
    return [(layer, trainable)]


def _leaf_keys(encoder: Layer, leaf: Layer) -> list[str]:
    """Keys of ``encoder.params`` whose arrays belong to ``leaf``."""
    if encoder is leaf:
        return list(leaf.params)
    own = {id(v) for v in leaf.params.values()}
    return [k for k, v in encoder.params.items() if id(v) in own]
