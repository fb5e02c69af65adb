"""Shapes with captions: grey pictures whose captions name the colour, never the shape, so the
class needs both modalities."""

from __future__ import annotations

import numpy as np

from mmlearn._validation import check_int, fraction
from mmlearn.data._dataset import Dataset
from mmlearn.data._generate import SHAPES, SIZES, as_int, draw_shapes, generator, image_out
from mmlearn.data.text import Vocabulary

__all__ = ["shapes_with_captions"]

_COLOURS = ("red", "green", "blue")
_NOUNS = ("shape", "thing", "object", "figure")
_DETS = ("a", "the", "one")
_PREFIXES = ("", "a picture of", "here is", "look at")


def shapes_with_captions(n: int = 2000, image_size: int = 12, seed: int | None = None, *,
                         n_shapes: int = 3, noise: float = 0.35, jitter: float = 1.0,
                         flatten: bool = True) -> Dataset:
    """Grey pictures of shapes, with captions that name the colour but not the shape.

    Each sample is a shape (``square``, ``circle``, ``triangle``; ``cross`` too when
    ``n_shapes=4``) of one of three colours (``red``, ``green``, ``blue``) and one of two
    sizes (``small``, ``big``), all drawn uniformly and independently.

    * ``x["image"]``: (n, image_size²) float32 (``flatten=False``: (n, H, W)). The shape in
      1s on a 0 background (the circle as a ring, the others filled), its centre up to
      ``jitter`` pixels off the middle, plus Gaussian pixel noise of standard deviation
      ``noise``. The picture is grey: it shows the shape and its size, never its colour.
    * ``x["text"]``: (n, 8) int64 token ids of a caption such as "a picture of a big red
      thing", padded with 0; ``dataset.vocab`` decodes them. The caption names the colour
      and the size, never the shape ("thing", "object", ...).
    * ``y``: (n,) int64, the class ``shape_index * 3 + colour_index``, e.g. "red square";
      ``class_names`` lists all ``3 · n_shapes`` of them, balanced in expectation.

    The label needs both modalities: knowing only the image one can at best tell the shape
    (accuracy 1/3 of the classes), knowing only the caption one can at best tell the colour
    (accuracy 1/n_shapes); a model that fuses the two can reach 100%.
    ``extras``: ``shape``, ``colour``, ``size`` (n,) int64 NumPy arrays of the attributes,
    ``captions`` (the strings).
    """
    who = "shapes_with_captions"
    n = check_int(n, "n", who, wrong_type=TypeError)
    image_size = check_int(image_size, "image_size", who, minimum=8, wrong_type=TypeError)
    n_shapes = check_int(n_shapes, "n_shapes", who, minimum=2, wrong_type=TypeError)
    if n_shapes > len(SHAPES):
        raise ValueError(f"{who}: n_shapes must be in [2, {len(SHAPES)}], got {n_shapes}")
    noise = fraction(noise, "noise", who, high=10.0)
    jitter = fraction(jitter, "jitter", who, high=image_size / 4)
    g = generator(seed, who)

    shape = g.integers(0, n_shapes, n)
    colour = g.integers(0, len(_COLOURS), n)
    size = g.integers(0, len(SIZES), n)
    images = _grey_pictures(g, shape, size, image_size, jitter, noise)
    captions = _colour_captions(g, size, colour)
    vocab = Vocabulary(["a", "the", "one", "picture", "of", "here", "is", "look", "at",
                        *SIZES, *_COLOURS, *_NOUNS], max_len=8)
    y = shape * len(_COLOURS) + colour
    return Dataset(
        x={"image": image_out(images, flatten), "text": vocab.encode(captions)},
        y=as_int(y),
        class_names=[f"{c} {sh}" for sh in SHAPES[:n_shapes] for c in _COLOURS],
        vocab=vocab,
        image_shape=(image_size, image_size),
        description="image: grey shape (shape, size) + noise; text: caption naming size and "
                    "colour; y = shape * 3 + colour (needs both).",
        extras={"shape": shape, "colour": colour, "size": size, "captions": captions},
    )


def _grey_pictures(g: np.random.Generator, shape: np.ndarray, size: np.ndarray,
                   image_size: int, jitter: float, noise: float) -> np.ndarray:
    """(n, H, W) float64: each shape of its size near the middle, plus pixel noise."""
    n = shape.shape[0]
    s = image_size / 12.0                                   # sizes scale with the image
    r = np.where(size == 0, g.uniform(2.0, 2.6, n), g.uniform(3.2, 4.0, n)) * s
    centre = (image_size - 1) / 2.0
    cy = centre + g.uniform(-jitter, jitter, n)
    cx = centre + g.uniform(-jitter, jitter, n)
    images = draw_shapes(shape, cy, cx, r, image_size)
    images += noise * g.standard_normal(images.shape)
    return images


def _colour_captions(g: np.random.Generator, size: np.ndarray, colour: np.ndarray) -> list[str]:
    """"a picture of a big red thing": the size and the colour, never the shape."""
    captions = []
    for i in range(size.shape[0]):
        prefix = _PREFIXES[g.integers(len(_PREFIXES))]
        det = _DETS[g.integers(len(_DETS))] if not prefix.startswith("a picture") else "a"
        noun = _NOUNS[g.integers(len(_NOUNS))]
        words = [prefix, det, SIZES[size[i]], _COLOURS[colour[i]], noun]
        captions.append(" ".join(w for w in words if w))
    return captions
