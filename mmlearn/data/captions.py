"""Image–caption pairs: row i of the captions describes row i of the pictures, for
contrastive (CLIP-style) training, retrieval and zero-shot classification."""

from __future__ import annotations

import numpy as np

from mmlearn._validation import check_int, fraction
from mmlearn.data._dataset import Dataset
from mmlearn.data._generate import SHAPES, SIZES, as_int, draw_shapes, generator, image_out
from mmlearn.data.text import Vocabulary

__all__ = ["image_caption_pairs"]


_PLACES = {
    "top left": (0.28, 0.28), "top right": (0.28, 0.72), "bottom left": (0.72, 0.28),
    "bottom right": (0.72, 0.72), "centre": (0.5, 0.5),
}


def image_caption_pairs(n: int = 2000, image_size: int = 16, seed: int | None = None, *,
                        noise: float = 0.25, flatten: bool = True) -> Dataset:
    """Pictures and their captions, for contrastive (CLIP-style) training and retrieval.

    Each picture shows one shape (square, circle, triangle, cross) of one of two sizes in
    one of five places (top left, top right, bottom left, bottom right, centre), all drawn
    uniformly: 40 distinct descriptions.

    * ``x["image"]``: (n, image_size²) float32 (``flatten=False``: (n, H, W)): the shape
      (as in :func:`shapes_with_captions`: 1s on 0, the circle a ring) near its place,
      jittered by up to a pixel, plus Gaussian noise ``noise``.
    * ``x["text"]``: (n, 10) int64 ids of the matching caption, e.g. "a big circle in the
      top left" or "a photo of a small cross in the centre"; ``dataset.vocab`` decodes them.
      Row i of the text belongs to row i of the image.
    * ``y``: (n,) int64 shape class (``class_names``: square, circle, triangle, cross), for
      zero-shot classification.

    ``extras``: ``class_prompts`` (one caption-like prompt per class, "a photo of a circle"),
    ``class_texts`` (their ids, (4, 10) int64 on the active backend), ``size``, ``place``,
    ``captions``. Several pairs share a description, so even a perfect model retrieves the
    exact partner of a caption among n only up to those ties.
    """
    who = "image_caption_pairs"
    n = check_int(n, "n", who, wrong_type=TypeError)
    image_size = check_int(image_size, "image_size", who, minimum=12, wrong_type=TypeError)
    noise = fraction(noise, "noise", who, high=10.0)
    g = generator(seed, who)

    shape = g.integers(0, len(SHAPES), n)
    size = g.integers(0, len(SIZES), n)
    place = g.integers(0, len(_PLACES), n)
    places = list(_PLACES)
    centres = np.array([_PLACES[p] for p in places]) * (image_size - 1)
    s = image_size / 16.0
    r = np.where(size == 0, g.uniform(1.8, 2.2, n), g.uniform(2.8, 3.3, n)) * s
    cy = centres[place, 0] + g.uniform(-1.0, 1.0, n) * s
    cx = centres[place, 1] + g.uniform(-1.0, 1.0, n) * s
    images = draw_shapes(shape, cy, cx, r, image_size)
    images += noise * g.standard_normal(images.shape)

    captions = _placed_captions(g, shape, size, place)
    vocab = Vocabulary(["a", "photo", "of", "in", "the", *SIZES, *SHAPES, "top", "bottom",
                        "left", "right", "centre"], max_len=10)
    prompts = [f"a photo of a {sh}" for sh in SHAPES]
    return Dataset(
        x={"image": image_out(images, flatten), "text": vocab.encode(captions)},
        y=as_int(shape),
        class_names=list(SHAPES),
        vocab=vocab,
        image_shape=(image_size, image_size),
        description="image: a shape of some size in some place + noise; text: its caption "
                    "(row i matches row i); y = the shape, for zero-shot classification.",
        extras={"class_prompts": prompts, "class_texts": vocab.encode(prompts),
                "size": size, "place": place, "captions": captions},
    )


def _placed_captions(g: np.random.Generator, shape: np.ndarray, size: np.ndarray,
                     place: np.ndarray) -> list[str]:
    """"a big circle in the top left", sometimes opening with "a photo of"."""
    places = list(_PLACES)
    captions = []
    for i in range(shape.shape[0]):
        prefix = "a photo of a" if g.random() < 0.3 else "a"
        where = "in the centre" if places[place[i]] == "centre" else f"in the {places[place[i]]}"
        captions.append(f"{prefix} {SIZES[size[i]]} {SHAPES[shape[i]]} {where}")
    return captions
