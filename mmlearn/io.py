"""Saving and loading weights as ``.npz`` (NumPy's zip of arrays, read with
``allow_pickle=False``: a weights file can hold numbers only, never code).

    mm.io.save_weights(model, "model.npz")       # or model.save_weights("model.npz")
    mm.io.load_weights(model, "model.npz")       # or model.load_weights("model.npz")

Keys name the place of each parameter and the layer it belongs to:

    Sequential            "0/dense/W", "0/dense/b", "1/dense_1/W", ...
    MultimodalModel       "encoders/image/0/dense/W", "fusion/gated/W_image", "head/dense_4/W"
    a single layer        "dense/W"

Layer names are for people reading the file; loading matches parameters by position and
parameter name (the same file loads into a freshly built copy of the model whose layers
are named ``dense_7`` and so on). Two bookkeeping arrays, ``__mmlearn_keys__`` and
``__mmlearn_slots__``, record that mapping.

Loading reads and checks the whole file before touching the model: every parameter must
be present with the model's shape, as finite floating-point numbers, and nothing extra may
be there. Otherwise a ``ValueError`` says which layer and shape differ, and the model is
unchanged. Weights stored in less precision than the model's (float16 into float32) load
with a warning. Saving
writes a temporary file next to the target and renames it into place, so a failed save
never leaves a half-written file (nor destroys the previous one).
"""

from __future__ import annotations

import os
import tempfile
import warnings
import zipfile
import zlib
from typing import Any

import numpy as np

from mmlearn._validation import dtype_name
from mmlearn.backend import asarray, to_numpy
from mmlearn.nn.layer import Layer

__all__ = ["load_weights", "save_weights", "weight_entries"]

_KEYS = "__mmlearn_keys__"
_SLOTS = "__mmlearn_slots__"


def weight_entries(obj: Any, who: str = "weight_entries") -> list[tuple[str, str, Layer, str]]:
    """(file key, structural key, owning layer, param name) for every parameter of a model
    or a layer, in ``get_weights`` order. The structural key leaves out layer names."""
    if hasattr(obj, "_weight_entries"):
        return obj._weight_entries()
    if isinstance(obj, Layer):
        return [(f"{obj.name}/{name}", name, obj, name) for name in obj.params]
    raise TypeError(f"{who}: expected a model or a layer, got {type(obj).__name__}")


def _label(obj: Any) -> str:
    return f"{type(obj).__name__} {getattr(obj, 'name', '')!r}".strip()


def _npz_path(path: Any, who: str) -> str:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{who}: path must be a str or a path, got {type(path).__name__}")
    path = os.fspath(path)
    if not path:
        raise ValueError(f"{who}: path is empty")
    return path


def save_weights(obj: Any, path: str | os.PathLike) -> None:
    """Write every parameter of ``obj`` (model or layer) to ``path`` (``.npz`` is appended
    when missing, as ``numpy.savez`` does). Atomic: a temporary file is renamed over
    ``path`` only once it is completely written."""
    who = "save_weights"
    path = _npz_path(path, who)
    if not path.endswith(".npz"):
        path += ".npz"
    entries = weight_entries(obj, who)
    if not entries:
        raise ValueError(f"{who}: {_label(obj)} has no weights yet; build it first "
                         "(give the first layer input_shape, call build, or fit)")
    arrays: dict[str, np.ndarray] = {}
    for key, _, leaf, name in entries:
        if key in arrays or key in (_KEYS, _SLOTS):
            raise ValueError(f"{who}: two parameters would share the key {key!r}; give the "
                             "layers distinct names")
        arrays[key] = np.ascontiguousarray(to_numpy(leaf.params[name]))
    arrays[_KEYS] = np.array([k for k, *_ in entries])
    arrays[_SLOTS] = np.array([s for _, s, *_ in entries])
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{who}: folder {folder!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _read(path: str, who: str) -> dict[str, np.ndarray]:
    """Every array in the file, read in full (so a corrupt member fails here). The file is
    opened here, not by NumPy, so that it is closed whatever goes wrong."""
    bad = (zipfile.BadZipFile, zlib.error, ValueError, EOFError, OSError, KeyError)
    with open(path, "rb") as fh:
        try:
            loaded = np.load(fh, allow_pickle=False)
        except bad as err:
            raise ValueError(f"{who}: {path!r} is not a readable .npz weights file "
                             f"({_why(err)})") from err
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError(f"{who}: {path!r} holds a single .npy array, not an .npz archive "
                             "of weights (write one with save_weights)")
        try:
            with loaded:
                return {k: loaded[k] for k in loaded.files}
        except bad as err:
            what = "holds pickled Python objects" if "pickle" in str(err) else \
                "is truncated or corrupt"
            raise ValueError(f"{who}: {path!r} {what} ({_why(err)})") from err


def _why(err: BaseException) -> str:
    text = str(err)
    if "pickle" in text:
        return "refused: weights are read with allow_pickle=False, numbers only"
    return f"{type(err).__name__}: {text}"


def load_weights(obj: Any, path: str | os.PathLike) -> None:
    """Read weights written by :func:`save_weights` into ``obj`` (model or layer).

    Everything is checked before anything is assigned; a path that is a directory, a file
    that is not an ``.npz``, is damaged, was saved from another architecture, or holds
    integer, NaN or infinite weights raises ``ValueError`` (naming the layer, the parameter
    and both shapes) and leaves ``obj`` exactly as it was. Weights stored in less precision
    than the model's (float16 for a float32 model) are converted with a ``UserWarning``.
    """
    who = "load_weights"
    path = _weights_file(path, who)
    entries = weight_entries(obj, who)
    if not entries:
        raise ValueError(f"{who}: {_label(obj)} has no weights yet; build it first (give the "
                         "first layer input_shape, call build, or fit) so the shapes are known")
    data = _read(path, who)
    by_slot = _file_key_by_slot(data, path, who)
    problems, lower = _mismatches(entries, data, by_slot)
    if problems:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more"
                                            if len(problems) > 3 else "")
        raise ValueError(f"{who}: {path!r} does not match {_label(obj)} "
                         f"({len(entries)} parameters): {shown}. Nothing was loaded.")
    if lower:
        warnings.warn(f"{who}: {path!r} stores {', '.join(lower[:3])}"
                      f"{' and more' if len(lower) > 3 else ''} in less precision than the "
                      f"model's {dtype_name(entries[0][2].params[entries[0][3]])}; the values "
                      "were converted, but the precision lost when they were saved is not "
                      "restored", UserWarning, stacklevel=3)
    new = []
    for _, slot, leaf, name in entries:
        dtype = dtype_name(leaf.params[name])
        new.append((leaf, name, asarray(data[by_slot[slot]], dtype=dtype, copy=True)))
    for leaf, name, value in new:                   # all converted: now assign
        leaf.params[name] = value


def _weights_file(path: Any, who: str) -> str:
    """The existing file ``path`` names (``.npz`` appended when only that exists)."""
    path = _npz_path(path, who)
    if not os.path.exists(path) and not path.endswith(".npz") and os.path.exists(path + ".npz"):
        path += ".npz"
    if not os.path.exists(path):
        raise FileNotFoundError(f"{who}: no such file {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"{who}: {path!r} is a directory, not an .npz weights file "
                         "(give the file's path, e.g. 'model.npz')")
    return path


def _file_key_by_slot(data: dict[str, np.ndarray], path: str, who: str) -> dict[str, str]:
    """{model slot: key of its array in the file}, from the file's bookkeeping arrays
    (popped from ``data``), or key for key in a plain ``.npz``."""
    keys = data.pop(_KEYS, None)
    slots = data.pop(_SLOTS, None)
    if keys is not None and slots is not None and keys.shape == slots.shape:
        by_slot = {str(s): str(k) for k, s in zip(keys.tolist(), slots.tolist(), strict=True)}
        # File keys not in the bookkeeping (an edited file) are matched by key.
        by_slot.update({k: k for k in data if k not in set(by_slot.values())})
    else:                                           # a plain npz: keys must match exactly
        by_slot = {k: k for k in data}
    missing_in_file = [k for k in by_slot.values() if k not in data]
    if missing_in_file:
        raise ValueError(f"{who}: {path!r} is damaged: its index lists {missing_in_file[0]!r} "
                         "but the array is absent")
    return by_slot


def _mismatches(entries: list[tuple[str, str, Any, str]], data: dict[str, np.ndarray],
                by_slot: dict[str, str]) -> tuple[list[str], list[str]]:
    """What keeps the file from loading (missing, wrong shape or dtype, NaN, extra), and
    the parameters stored in less precision than the model computes in."""
    model_slots = {slot for _, slot, _, _ in entries}
    problems: list[str] = []
    lower: list[str] = []
    for key, slot, leaf, name in entries:
        if slot not in by_slot:
            problems.append(f"layer {leaf.name!r} parameter {name!r} ({key}) is not in the file")
            continue
        arr = data[by_slot[slot]]
        want = tuple(leaf.params[name].shape)
        if tuple(arr.shape) != want:
            problems.append(f"layer {leaf.name!r} parameter {name!r} ({key}) has shape {want} "
                            f"in the model but {tuple(arr.shape)} in the file "
                            f"({by_slot[slot]})")
        elif arr.dtype.kind != "f":
            problems.append(f"layer {leaf.name!r} parameter {name!r}: the file holds dtype "
                            f"{arr.dtype}, expected floating-point weights")
        elif not np.all(np.isfinite(arr)):
            problems.append(f"layer {leaf.name!r} parameter {name!r} ({key}) holds NaN or inf "
                            "in the file")
        elif arr.dtype.itemsize < np.dtype(dtype_name(leaf.params[name])).itemsize:
            lower.append(f"layer {leaf.name!r} parameter {name!r} ({arr.dtype})")
    extra = [by_slot[s] for s in by_slot if s not in model_slots]
    if extra:
        problems.append(f"the file has {len(extra)} parameter(s) the model lacks, e.g. "
                        f"{extra[0]!r}")
    return problems, lower
