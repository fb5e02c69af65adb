"""Every generator by name: :func:`make` ("reviews" -> :func:`reviews`), with a did-you-mean."""

from __future__ import annotations

import inspect
from typing import Any

from mmlearn._names import did_you_mean
from mmlearn._validation import lookup
from mmlearn.data._dataset import Dataset
from mmlearn.data.captions import image_caption_pairs
from mmlearn.data.recommendation import users_items
from mmlearn.data.sentiment import reviews
from mmlearn.data.shapes import shapes_with_captions
from mmlearn.data.tones import tones_with_spectrograms

__all__ = ["make"]


GENERATORS = {
    "shapes_with_captions": shapes_with_captions,
    "tones_with_spectrograms": tones_with_spectrograms,
    "reviews": reviews,
    "users_items": users_items,
    "image_caption_pairs": image_caption_pairs,
}


def make(name: str, **kwargs: Any) -> Dataset:
    """A dataset by name: ``make("reviews", n=500, seed=1)`` (did-you-mean on a typo)."""
    generator = lookup(name, GENERATORS, "dataset")
    accepted = list(inspect.signature(generator).parameters)
    unknown = [k for k in kwargs if k not in accepted]
    if unknown:
        raise TypeError(f"make({name!r}): unknown argument {unknown[0]!r}; "
                        f"{generator.__name__} takes {', '.join(accepted)}"
                        + did_you_mean(unknown[0], accepted))
    return generator(**kwargs)

