"""The container every generator returns, and how the data helpers read their ``x, y``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mmlearn._validation import check_same_batch, dtype_name
from mmlearn.backend import is_array
from mmlearn.data.text import Vocabulary


@dataclass
class Dataset:
    """What every generator returns: inputs ``x`` (a dict, one array per modality) and
    targets ``y``, plus what is needed to read them.

    ``x, y = dataset`` unpacks it; ``len(dataset)`` is the number of samples.

    Attributes:
        x: ``{modality: array}``, every array with the same first (sample) axis.
        y: targets, shape (n,): int64 class indices (float32 for regression targets).
        class_names: name of each class index (``None`` for regression).
        vocab: the :class:`Vocabulary` that encodes the text modality (``None`` if none).
        image_shape: (H, W) of the image modality, to un-flatten it for plotting.
        description: what each modality carries and how ``y`` depends on them.
        extras: generator-specific arrays and facts (documented per generator).
    """

    x: dict[str, Any]
    y: Any
    class_names: list[str] | None = None
    vocab: Vocabulary | None = None
    image_shape: tuple[int, ...] | None = None
    description: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Any]:
        yield self.x
        yield self.y

    def __len__(self) -> int:
        return int(self.y.shape[0])

    @property
    def num_classes(self) -> int | None:
        """Number of classes (``None`` for regression targets)."""
        return None if self.class_names is None else len(self.class_names)

    def __repr__(self) -> str:
        # One line per modality, so that a printed dataset fits a book's code column.
        classes = "" if self.class_names is None else f", {len(self.class_names)} classes"
        lines = [f"<Dataset n={len(self)}{classes}"]
        lines += [f"  x[{k!r}]: {tuple(v.shape)} {dtype_name(v)}" for k, v in self.x.items()]
        lines.append(f"  y: {tuple(self.y.shape)} {dtype_name(self.y)}>")
        return "\n".join(lines)


def unpack(x: Any, y: Any, who: str) -> tuple[Any, Any]:
    """A Dataset given as ``x`` brings its own ``y``."""
    if isinstance(x, Dataset):
        if y is not None:
            raise TypeError(f"{who}: x is a Dataset, which carries its own y; pass y=None "
                            "(or pass dataset.x and dataset.y)")
        return x.x, x.y
    return x, y


def count_samples(x: Any, y: Any, who: str) -> int:
    """The number of samples every array of ``x`` (an array or a dict) and ``y`` shares."""
    arrays = dict(x) if isinstance(x, Mapping) else {"x": x}
    if not arrays:
        raise ValueError(f"{who}: x is an empty dict; expected at least one modality")
    for k, a in arrays.items():
        if not is_array(a) or a.ndim < 1:
            raise TypeError(f"{who}: x[{k!r}] must be an array with a sample axis, "
                            f"got {type(a).__name__}" if isinstance(x, Mapping) else
                            f"{who}: x must be an array with a sample axis (or a dict of them), "
                            f"got {type(a).__name__}")
    if y is not None:
        if not is_array(y) or y.ndim < 1:
            raise TypeError(f"{who}: y must be an array with a sample axis, "
                            f"got {type(y).__name__}")
        arrays = {**arrays, "y": y}
    return check_same_batch(arrays, f"{who}: x and y")
