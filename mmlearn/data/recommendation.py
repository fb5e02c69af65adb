"""Users and items: who clicked what, with each item's picture (its style) and description
(its topic); a click needs the user's taste and both of the item's modalities."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmlearn._validation import check_int, fraction
from mmlearn.backend import get_namespace
from mmlearn.data._dataset import Dataset
from mmlearn.data._generate import as_float, as_int, generator, image_out
from mmlearn.data.text import Vocabulary

__all__ = ["users_items"]


_STYLES = ("horizontal stripes", "vertical stripes", "checks", "dots")
_TOPIC_WORDS = {
    "sports": ("ball", "team", "match", "goal"),
    "cooking": ("recipe", "kitchen", "spice", "taste"),
    "music": ("song", "guitar", "rhythm", "band"),
    "travel": ("beach", "map", "journey", "hotel"),
}
_FILLER = ("new", "classic", "popular", "simple", "deluxe", "mini")
_TOPIC_NAMES = tuple(_TOPIC_WORDS)


def users_items(n_users: int = 50, n_items: int = 60, n_interactions: int = 2400,
                seed: int | None = None, *, image_size: int = 8, target: str = "click",
                noise: float = 0.2, flatten: bool = True) -> Dataset:
    """Who liked what: users, items with a picture and a description, and their interactions.

    Every item has a visual *style* (horizontal stripes, vertical stripes, checks, dots) and
    a *topic* (sports, cooking, music, travel), drawn uniformly; every user has a taste for
    each style and each topic, a shared trend plus their own,
    p_style[u] = 0.6 · trend_style + N(0, 1)⁴ and p_topic[u] = 0.6 · trend_topic + N(0, 1)⁴
    (trends ~ N(0, 1)⁴, the same for everyone). Interactions are distinct (user, item) pairs
    drawn uniformly; for each,

        score = p_style[u, style_i] + p_topic[u, topic_i] + 0.3 · ε,   ε ~ N(0, 1).

    * ``x["user"]``: (n_interactions,) int64 user ids in [0, n_users).
    * ``x["item"]``: (n_interactions,) int64 item ids in [0, n_items).
    * ``x["image"]``: (n_interactions, image_size²) float32 (``flatten=False``: (n, H, W)),
      the item's picture: its style pattern plus Gaussian noise ``noise`` (the same picture
      for every interaction with that item). It shows the style, not the topic.
    * ``x["text"]``: (n_interactions, 4) int64 ids of the item's description, e.g.
      "classic guitar song band": topic words and a filler; it tells the topic, not the style.
    * ``y``: ``target="click"``: (n,) int64, 1 when score > 0 (about half);
      ``target="rating"``: (n,) float32 stars, round(3 + 1.2 · score) clipped to [1, 5].

    A click needs who (the user's taste) and what (style from the picture, topic from the
    text): the content alone only knows the trend, the user id alone only how much that
    user clicks in general.

    ``extras``: ``item_images`` (n_items, ...) and ``item_texts`` (n_items, 4) on the active
    backend; ``item_style``, ``item_topic``, ``user_style_pref``, ``user_topic_pref`` and
    ``score`` as NumPy arrays; ``style_names``, ``topic_names``.
    """
    who = "users_items"
    n_users, n_items, n_interactions, image_size = _checked_sizes(
        n_users, n_items, n_interactions, image_size, who)
    noise = _checked_target_and_noise(target, noise, who)
    g = generator(seed, who)

    style = g.integers(0, len(_STYLES), n_items)
    topic = g.integers(0, len(_TOPIC_WORDS), n_items)
    p_style, p_topic = _tastes(g, n_users)
    item_images = _item_pictures(g, style, image_size, noise)
    item_texts = _item_descriptions(g, topic)

    user, item, score = _interactions(g, n_items, n_interactions, style, topic, p_style,
                                      p_topic)
    y, class_names = _targets(score, target)
    vocab = Vocabulary([*_FILLER, *(w for ws in _TOPIC_WORDS.values() for w in ws)], max_len=4)
    images_all, item_ids = image_out(item_images, flatten), vocab.encode(item_texts)
    return Dataset(
        x=_per_interaction(user, item, images_all, item_ids),
        y=y,
        class_names=class_names,
        vocab=vocab,
        image_shape=(image_size, image_size),
        description="user/item ids; image: the item's style pattern; text: its topic words; "
                    "y = click (score > 0) or rating, score = user's taste for style + topic.",
        extras={"item_images": images_all, "item_texts": item_ids, "item_style": style,
                "item_topic": topic, "user_style_pref": p_style, "user_topic_pref": p_topic,
                "score": score, "style_names": list(_STYLES), "topic_names": list(_TOPIC_NAMES)},
    )


def _tastes(g: np.random.Generator, n_users: int) -> tuple[np.ndarray, np.ndarray]:
    """p_style (n_users, 4) and p_topic (n_users, 4): a shared trend (some styles and topics
    are popular) plus each user's own taste."""
    p_style = 0.6 * g.standard_normal(len(_STYLES)) + g.standard_normal((n_users, len(_STYLES)))
    p_topic = 0.6 * g.standard_normal(len(_TOPIC_WORDS)) \
        + g.standard_normal((n_users, len(_TOPIC_WORDS)))
    return p_style, p_topic


def _interactions(g: np.random.Generator, n_items: int, n_interactions: int,
                  style: np.ndarray, topic: np.ndarray, p_style: np.ndarray,
                  p_topic: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (user, item) pairs drawn uniformly, each with its score: the user's taste
    for the item's style and topic, plus noise."""
    n_users = p_style.shape[0]
    pairs = g.choice(n_users * n_items, size=n_interactions, replace=False)
    user, item = pairs // n_items, pairs % n_items
    score = p_style[user, style[item]] + p_topic[user, topic[item]] \
        + 0.3 * g.standard_normal(n_interactions)
    return user, item, score


def _targets(score: np.ndarray, target: str) -> tuple[Any, list[str] | None]:
    """A click when score > 0, or stars round(3 + 1.2 · score) clipped to [1, 5]."""
    if target == "click":
        return as_int(score > 0), ["skip", "click"]
    return as_float(np.clip(np.round(3 + 1.2 * score), 1, 5)), None


def _checked_sizes(n_users: Any, n_items: Any, n_interactions: Any, image_size: Any,
                   who: str) -> tuple[int, int, int, int]:
    n_users = check_int(n_users, "n_users", who, wrong_type=TypeError)
    n_items = check_int(n_items, "n_items", who, wrong_type=TypeError)
    n_interactions = check_int(n_interactions, "n_interactions", who, wrong_type=TypeError)
    if n_interactions > n_users * n_items:
        raise ValueError(f"{who}: n_interactions must be at most n_users * n_items = "
                         f"{n_users * n_items} (distinct pairs), got {n_interactions}")
    return n_users, n_items, n_interactions, check_int(image_size, "image_size", who,
                                                          minimum=4, wrong_type=TypeError)


def _checked_target_and_noise(target: Any, noise: Any, who: str) -> float:
    if target not in ("click", "rating"):
        raise ValueError(f"{who}: target must be 'click' or 'rating', got {target!r}")
    return fraction(noise, "noise", who, high=10.0)


def _item_pictures(g: np.random.Generator, style: np.ndarray, image_size: int,
                   noise: float) -> np.ndarray:
    """(n_items, H, W) float64: each item's style pattern plus pixel noise."""
    yy, xx = np.mgrid[0:image_size, 0:image_size]
    patterns = np.stack([yy % 2 == 0, xx % 2 == 0, (yy + xx) % 2 == 0,
                         (yy % 3 == 1) & (xx % 3 == 1)]).astype(np.float64)
    return patterns[style] + noise * g.standard_normal((style.shape[0], image_size, image_size))


def _item_descriptions(g: np.random.Generator, topic: np.ndarray) -> list[str]:
    """"classic guitar song band": three of the topic's words and a filler at random."""
    item_texts = []
    for i in range(topic.shape[0]):
        words = list(g.choice(_TOPIC_WORDS[_TOPIC_NAMES[topic[i]]], size=3, replace=False))
        words.insert(int(g.integers(0, 4)), _FILLER[g.integers(len(_FILLER))])
        item_texts.append(" ".join(words))
    return item_texts


def _per_interaction(user: np.ndarray, item: np.ndarray, images_all: Any,
                     item_ids: Any) -> dict[str, Any]:
    """One row per interaction: the ids, and the item's picture and description taken from
    the per-item arrays."""
    xp = get_namespace()
    item_idx = as_int(item)
    return {"user": as_int(user), "item": item_idx,
            "image": xp.take(images_all, item_idx, axis=0),
            "text": xp.take(item_ids, item_idx, axis=0)}
