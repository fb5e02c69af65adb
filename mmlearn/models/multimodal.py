"""``MultimodalModel``: encoders (one per modality) → fusion → head, trained end to end."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mmlearn._validation import as_float_array, did_you_mean, prefixed
from mmlearn.backend import array_namespace, asarray, get_namespace, rng
from mmlearn.models import checks
from mmlearn.models.model import Model
from mmlearn.models.parts import leaves, shape_of
from mmlearn.models.plan import TrainPlan, fuses_with_loss, run_backward
from mmlearn.models.summary import Row, row
from mmlearn.nn.layer import Layer

__all__ = ["MultimodalModel"]


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

    def _parts(self) -> list[Layer]:
        return [*self.encoders.values(), self.fusion, *([self.head] if self.head else [])]

    @property
    def built(self) -> bool:                     # type: ignore[override]
        return all(layer.built for layer in self._parts())

    @property
    def input_shape(self) -> dict[str, tuple | None]:   # type: ignore[override]
        return {m: enc.input_shape for m, enc in self.encoders.items()}

    @property
    def output_shape(self) -> tuple | None:
        """The head's output shape (the fusion's without a head); None before building."""
        if self.head is not None:
            return shape_of(self.head)
        return self._fusion_shape

    def build(self, input_shape: Mapping[str, tuple]) -> None:
        """Build every part for inputs of these shapes ({modality: (None, features)})."""
        if not isinstance(input_shape, Mapping):
            raise TypeError(f"{self.name}.build expects {{modality: shape}}, got {input_shape!r}")
        xp = get_namespace()
        probe = {m: xp.zeros((1, *tuple(int(d) for d in s[1:])), dtype=xp.float32)
                 for m, s in input_shape.items()}
        self.forward(self._prepare_x(probe, "input_shape", f"{self.name}.build"), training=False)

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

    def _run(self, x: Mapping[str, Any], training: bool, checked: bool) -> Any:
        """h_m = encoder_m(x_m); zero-fill missing modalities; z = fusion(h); ŷ = head(z)."""
        if checked:
            present = self._check_keys(x, "x", allow_missing=not training)
        else:
            present = [m for m in self.modalities if m in x]
        outs: dict[str, Any] = {}
        for m in present:
            try:
                outs[m] = self._part(self.encoders[m], x[m], training, checked)
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
                full = shape_of(self.encoders[m])
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
        z = self._part(self.fusion, h, training, checked)
        self._fusion_shape = (None, *tuple(z.shape[1:]))
        return z if self.head is None else self._part(self.head, z, training, checked)

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

    def _backward_from(self, grad: Any, fused: bool = False,
                       plan: TrainPlan | None = None) -> dict[str, Any] | None:
        """Head, fusion, then each encoder that needs it; without a plan every layer runs."""
        if self.head is not None:
            grad = (plan.run("head", grad, fused) if plan is not None
                    else run_backward([leaf for leaf, _ in leaves(self.head)], 0, grad, fused))
        if plan is not None and not plan.fusion_needed:
            return None
        grads = self.fusion.backward(grad)
        out: dict[str, Any] = {}
        for m in self.modalities:
            if m in self._filled:
                continue
            gm = grads[m] * self._masks[m] if m in self._masks else grads[m]
            if plan is None:
                out[m] = run_backward([leaf for leaf, _ in leaves(self.encoders[m])], 0, gm,
                                      False)
            elif plan.starts[f"encoders/{m}"] < len(plan.chains[f"encoders/{m}"]):
                out[m] = plan.run(f"encoders/{m}", gm)
        return out

    def backward(self, grad_out: Any) -> dict[str, Any] | None:
        """{m: dL/dx_m} from dL/dŷ, through head, fusion and every encoder (fills grads)."""
        return self._backward_from(grad_out)

    def backward_linear(self, delta: Any) -> dict[str, Any] | None:
        """As :meth:`backward`, from dL/dz of the head's last pre-activation."""
        if self.head is None:
            raise TypeError(f"{self.name} has no head to take a pre-activation gradient")
        return self._backward_from(delta, fused=True)

    @property
    def activation_name(self) -> str | None:
        if self.head is None:
            return None
        return getattr(leaves(self.head)[-1][0], "activation_name", None)

    @property
    def input_grad(self) -> bool:
        return any(bool(getattr(leaves(e)[0][0], "input_grad", True))
                   for e in self.encoders.values())

    @input_grad.setter
    def input_grad(self, value: bool) -> None:
        for enc in self.encoders.values():
            first = leaves(enc)[0][0]
            if hasattr(first, "input_grad"):
                first.input_grad = bool(value)

    def _weight_entries(self, prefix: str = "", slot: str = "") -> list:
        out = []
        for m, enc in self.encoders.items():
            out += self._entries_of(enc, f"{prefix}encoders/{m}/", f"{slot}encoders/{m}/")
        out += self._entries_of(self.fusion, f"{prefix}fusion/", f"{slot}fusion/")
        if self.head is not None:
            out += self._entries_of(self.head, f"{prefix}head/", f"{slot}head/")
        return out

    # -- the engine's hooks -------------------------------------------------------
    def _prepare_x(self, x: Any, arg: str, who: str, allow_missing: bool = False) -> dict[str, Any]:
        present = self._check_keys(x, arg, allow_missing)
        out = {m: self._cast(as_float_array(x[m], f"{arg}[{m!r}]", min_ndim=1)) for m in present}
        sizes = {m: int(a.shape[0]) for m, a in out.items()}
        if len(set(sizes.values())) > 1:
            raise ValueError(f"{arg}: every modality must have the same number of samples, "
                             f"got {sizes}")
        return out

    def _check_all(self, x: dict[str, Any]) -> dict[str, Any]:
        return checks.first_layers(x, self.encoders, "modality {!r}")

    def _make_plan(self) -> TrainPlan:
        """Each encoder from its first trainable layer; the fusion's backward only if it
        or an encoder trains; the head from where the gradient is first needed."""
        plan = TrainPlan()
        encoders_train = False
        for m, enc in self.encoders.items():
            encoders_train |= plan.add_chain(f"encoders/{m}", leaves(enc, self._trainable),
                                             upstream=False)
        fusion_train = self._trainable and bool(self.fusion.trainable) and bool(self.fusion.params)
        if fusion_train:
            plan.add_vars(self.fusion)
        plan.fusion_needed = fusion_train or encoders_train
        if self.head is not None:
            tail = leaves(self.head, self._trainable)
            if plan.add_chain("head", tail, upstream=plan.fusion_needed):
                plan.fused = fuses_with_loss(tail[-1][0], self.loss)
        return plan

    def _backward_train(self, grad: Any, plan: TrainPlan) -> None:
        self._backward_from(grad, plan.fused, plan)

    def _summary_rows(self) -> list[Row]:
        rows = []
        for m, enc in self.encoders.items():
            shape = shape_of(enc)
            if shape is None and m in self._enc_shapes:
                shape = (None, *self._enc_shapes[m])
            rows.append(row(enc, f"{m}: {enc.name} ({type(enc).__name__})", shape))
        shape = self._fusion_shape
        if shape is None and self.fusion.built:
            try:
                shape = (None, *tuple(self.fusion.compute_output_shape(
                    self.fusion.input_shape))[1:])
            except Exception:
                shape = None
        rows.append(row(self.fusion, f"{self.fusion.name} ({type(self.fusion).__name__})",
                         shape))
        if self.head is not None:
            rows.append(row(self.head, f"{self.head.name} ({type(self.head).__name__})",
                             shape_of(self.head)))
        return rows
