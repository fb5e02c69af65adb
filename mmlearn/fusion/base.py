"""The part every fusion layer shares: a dict of modality arrays in, checked and built once.

``_Fusion`` fixes the modality names and feature sizes at build time; every later call
with a missing or extra modality, a wrong rank or size, or batch sizes that differ raises a
``ValueError`` that names them.
"""

from __future__ import annotations

from typing import Any

from mmlearn._validation import did_you_mean, real_array, shape_str
from mmlearn.backend import is_array
from mmlearn.nn.layer import Layer


class _Fusion(Layer):
    """Shared plumbing: dict checks, building from a dict of shapes, fixed modality order.

    Subclasses implement ``_check_built_shapes(shapes)`` (ranks, agreement across
    modalities), ``_build(shapes)`` (parameters), ``forward`` and ``backward``; calling
    the layer checks its input (:meth:`check_input`) before ``forward``.
    """

    _min_modalities = 1
    _fixed_keys: tuple[str, ...] | None = None   # e.g. FiLM: (condition, target)

    def __init__(self, *, name: str | None = None,
                 dtype: str | None = None) -> None:
        self._keys: list[str] = []
        self._shapes: dict[str, tuple] = {}
        self._cache: dict[str, Any] = {}
        super().__init__(name=name, dtype=dtype)

    def _label(self) -> str:
        return type(self).__name__ + "()"

    # -- building -------------------------------------------------------------
    def __call__(self, x: Any, training: bool = False) -> Any:
        """``fusion(x)``, as ``Layer.__call__``: build on the first call (from the shapes of
        x's modalities), check x (:meth:`check_input`), then :meth:`forward`."""
        if not self.built:
            self._check_dict(x)
            self.build({k: tuple(v.shape) for k, v in x.items()})
        return self.forward(self.check_input(x), training=training)

    def _check_dict(self, x: Any) -> None:
        if not isinstance(x, dict):
            got = (f"an array of shape {tuple(x.shape)}" if is_array(x)
                   else type(x).__name__)
            raise TypeError(f"{self._label()} expects a dict of modality arrays "
                            f"{{name: array}}, got {got}")
        for k, v in x.items():
            if not isinstance(k, str):
                raise TypeError(f"{self._label()}: modality names must be str, got {k!r}")
            real_array(v, f"{self._label()}: modality {k!r}")

    def _check_keys(self, got: list[str], expected: list[str]) -> None:
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        if missing or extra:
            parts = []
            if missing:
                parts.append("missing modality " + ", ".join(map(repr, missing)))
            if extra:
                parts.append("unexpected modality " + ", ".join(map(repr, extra))
                             + did_you_mean(extra[0], missing or expected))
            raise ValueError(f"{self._label()}: {'; '.join(parts)} "
                             f"(expected {expected}, got {got})")

    def build(self, input_shape: Any) -> None:
        if not isinstance(input_shape, dict):
            raise TypeError(f"{self._label()} expects a dict of modality shapes "
                            f"{{name: shape}}, got {input_shape!r}")
        shapes = {k: tuple(s) for k, s in input_shape.items()}
        if self._fixed_keys is not None:
            self._check_keys(list(shapes), list(self._fixed_keys))
            shapes = {k: shapes[k] for k in self._fixed_keys}
        if len(shapes) < self._min_modalities:
            raise ValueError(f"{self._label()} needs at least {self._min_modalities} "
                             f"modalities, got {list(shapes)}")
        self._check_built_shapes(shapes)
        self._keys = list(shapes)
        self._shapes = shapes
        self._build(shapes)
        self.input_shape = shapes      # a dict here (Layer.build would keep only its keys)
        self.built = True

    def _check_built_shapes(self, shapes: dict[str, tuple]) -> None:
        for k, s in shapes.items():
            if len(s) != 2:
                raise ValueError(f"{self._label()} expected {k!r} of shape (batch, features), "
                                 f"got {shape_str(s)}")

    def _build(self, shapes: dict[str, tuple]) -> None:
        """Create the parameters (none by default)."""

    # -- checks on every call, and the arrays forward reads -------------------
    def check_input(self, x: Any) -> dict[str, Any]:
        """x must be a dict with exactly the built modalities, each of its built shape and
        all of one batch size; integer and bool data become the layer's float dtype, as
        Keras casts inputs. Returns the checked dict (in build order)."""
        self._check_dict(x)
        self._check_keys(list(x), self._keys)
        for k in self._keys:
            self._check_shape(k, tuple(x[k].shape))
        sizes = {k: int(x[k].shape[0]) for k in self._keys}
        if len(set(sizes.values())) > 1:
            raise ValueError(f"{self._label()}: every modality must have the same batch size, "
                             f"got {sizes}")
        return {k: real_array(x[k], f"{self._label()}: modality {k!r}", cast_to=self.dtype)
                for k in self._keys}

    def _inputs(self, x: dict[str, Any]) -> list[Any]:
        """The arrays of x in build order (what forward starts from; an unbuilt layer says
        so here)."""
        self.require_built()
        return [x[k] for k in self._keys]

    def _check_shape(self, key: str, shape: tuple) -> None:
        built = self._shapes[key]
        if shape[1:] != built[1:]:
            raise ValueError(f"{self._label()} expected {key!r} of shape {shape_str(built)}, "
                             f"got {shape_str(shape)}")
