"""Reviews with emoji: a review's text and its emoji face, each ambiguous in some cases that
the other resolves; and the accuracy one modality alone can expect."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmlearn._validation import check_int, fraction
from mmlearn.backend import is_array, to_numpy
from mmlearn.data._dataset import Dataset
from mmlearn.data._generate import as_int, generator, image_out
from mmlearn.data.text import Vocabulary

__all__ = ["reviews", "reviews_ceiling"]


_POSITIVE = ("good", "great", "excellent", "lovely", "tasty", "friendly", "fantastic")
_NEGATIVE = ("bad", "awful", "terrible", "bland", "rude", "boring", "dreadful")
_TOPICS = ("food", "service", "movie", "place", "staff", "book", "music")
_INTENSIFIERS = ("really", "very", "so", "truly")
_AMBIGUOUS = (
    "oh great another {obj}",
    "well that {obj} was something",
    "the {obj} was {neutral}",
    "what a {obj} , just wow",
    "i did not expect that {obj}",
    "the {obj} was as {neutral} as expected",
    "yeah the {obj} was great , sure",
)
_NEUTRAL = ("okay", "fine", "interesting", "different", "unusual")
_VOCAB_WORDS = ("a", "the", "was", "not", "!", ",", "oh", "another", "well", "that", "something",
                "what", "just", "wow", "i", "did", "expect", "as", "expected", "yeah", "sure",
                *_TOPICS, *_POSITIVE, *_NEGATIVE, *_INTENSIFIERS, *_NEUTRAL)


def reviews(n: int = 2000, seed: int | None = None, *, image_size: int = 16,
            ambiguous: float = 0.35, noise: float = 0.3, flatten: bool = True) -> Dataset:
    """Short reviews with an emoji face; the sentiment is positive (1) or negative (0).

    Every sample has a sentiment s, drawn uniformly, and falls in one of three cases:
    both modalities clear (probability 1 − 2·``ambiguous``), the text ambiguous
    (``ambiguous``) or the emoji ambiguous (``ambiguous``).

    * ``x["text"]``: (n, 10) int64 token ids (``dataset.vocab`` decodes them). A clear
      review reads "the food was really great" or, with a negation, "the staff was not
      rude" (positive) / "the movie was not good" (negative): the word alone is not
      enough, "not" flips it. An ambiguous review is sarcastic or non-committal ("oh great
      another movie", "the book was okay") and is drawn the same way whatever s is.
    * ``x["image"]``: (n, image_size²) float32 (``flatten=False``: (n, H, W)), an emoji:
      a ring for the face, two eyes, and a mouth curving up (s = 1) or down (s = 0); an
      ambiguous emoji has a flat mouth whatever s is. Plus Gaussian pixel noise ``noise``.
    * ``y``: (n,) int64 sentiment, ``class_names == ["negative", "positive"]``.

    Text alone can reach at most 1 − ambiguous/2 (82.5% by default), the emoji alone the
    same, both together 100%: each resolves the other's doubtful cases.
    ``extras``: ``case`` (0 both clear, 1 text ambiguous, 2 emoji ambiguous), ``negated``,
    ``texts`` (the strings).
    """
    who = "reviews"
    n = check_int(n, "n", who, wrong_type=TypeError)
    image_size = check_int(image_size, "image_size", who, minimum=10, wrong_type=TypeError)
    ambiguous = fraction(ambiguous, "ambiguous", who, high=0.5)
    noise = fraction(noise, "noise", who, high=10.0)
    g = generator(seed, who)

    sentiment = g.integers(0, 2, n)
    case = g.choice(3, size=n, p=[1 - 2 * ambiguous, ambiguous, ambiguous])
    negated = (g.random(n) < 0.35) & (case != 1)
    texts = [_review(g, case[i], sentiment[i], negated[i]) for i in range(n)]
    vocab = Vocabulary(_VOCAB_WORDS, max_len=10)

    mouth = np.where(case == 2, 0.0, np.where(sentiment == 1, 1.0, -1.0))
    images = _draw_faces(mouth, image_size, g) + noise * g.standard_normal(
        (n, image_size, image_size))
    return Dataset(
        x={"text": vocab.encode(texts), "image": image_out(images, flatten)},
        y=as_int(sentiment),
        class_names=["negative", "positive"],
        vocab=vocab,
        image_shape=(image_size, image_size),
        description="text: review with sentiment words and negations (sometimes sarcastic); "
                    "image: emoji whose mouth curves up/down (sometimes flat); y = sentiment.",
        extras={"case": case, "negated": negated, "texts": texts},
    )


def _review(g: np.random.Generator, case: int, sentiment: int, negated: bool) -> str:
    """One review: sarcastic or non-committal when its text is the ambiguous case, else
    "the <topic> was [not] [really] <polar word> [!]", the word flipped by "not"."""
    obj = _TOPICS[g.integers(len(_TOPICS))]
    if case == 1:
        template = _AMBIGUOUS[g.integers(len(_AMBIGUOUS))]
        return template.format(obj=obj, neutral=_NEUTRAL[g.integers(len(_NEUTRAL))])
    polar_positive = bool(sentiment) != bool(negated)   # "not bad" is positive
    pool = _POSITIVE if polar_positive else _NEGATIVE
    word = pool[g.integers(len(pool))]
    words = ["the", obj, "was"]
    if negated:
        words.append("not")
    if g.random() < 0.4:
        words.append(_INTENSIFIERS[g.integers(len(_INTENSIFIERS))])
    words.append(word)
    if g.random() < 0.3:
        words.append("!")
    return " ".join(words)


def reviews_ceiling(case: Any, modality: str) -> float:
    """The accuracy a model that sees only ``modality`` can expect on these reviews.

    ``case`` is ``dataset.extras["case"]`` of the samples scored (0 both clear, 1 text
    ambiguous, 2 emoji ambiguous); ``modality`` is ``"text"`` or ``"image"``. Where the
    modality is clear a perfect model is right; where it is ambiguous it can only guess,
    right half the time. So the expected ceiling is (clear + ambiguous / 2) / n: about
    1 − ambiguous/2 (82.5% by default), but computed from the samples' own case counts.
    A model can beat it on a given set by lucky guesses, never in expectation.
    """
    who = "reviews_ceiling"
    doubtful = {"text": 1, "image": 2}
    if modality not in doubtful:
        raise ValueError(f"{who}: modality must be 'text' or 'image', got {modality!r}")
    counts = np.asarray(to_numpy(case)) if is_array(case) else np.asarray(case)
    if counts.ndim != 1 or counts.size == 0 or not np.isin(counts, (0, 1, 2)).all():
        raise ValueError(f"{who}: case must be a non-empty 1-D array of 0, 1 and 2 "
                         f"(dataset.extras['case']), got shape {counts.shape}")
    ambiguous = int(np.sum(counts == doubtful[modality]))
    return (counts.size - ambiguous / 2) / counts.size


def _draw_faces(mouth: np.ndarray, size: int, g: np.random.Generator) -> np.ndarray:
    """Emoji faces: a ring, two eyes, a parabolic mouth of curvature sign ``mouth`` (n,)."""
    n = mouth.shape[0]
    c = (size - 1) / 2.0
    cy = c + g.uniform(-0.7, 0.7, n)
    cx = c + g.uniform(-0.7, 0.7, n)
    R = size * 0.42
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    dy = yy[None] - cy[:, None, None]
    dx = xx[None] - cx[:, None, None]
    dist = np.sqrt(dx**2 + dy**2)
    ring = np.abs(dist - R) <= 0.6
    eye_y, eye_x = -0.18 * size, 0.17 * size
    eyes = ((dy - eye_y) ** 2 + (dx - eye_x) ** 2 <= 0.8) | \
           ((dy - eye_y) ** 2 + (dx + eye_x) ** 2 <= 0.8)
    # mouth: y = y0 + k/2 − k·(x/w)², |x| ≤ w (y grows downwards); k > 0 smiles, ends up
    # the middle sits lower for a smile, higher for a frown, so the mouth stays inside the ring
    w = 0.25 * size
    k = mouth[:, None, None] * 0.2 * size
    curve = 0.14 * size + k / 2 - k * (dx / w) ** 2
    mouth_px = (np.abs(dx) <= w) & (np.abs(dy - curve) <= 0.7)
    return (ring | eyes | mouth_px).astype(np.float64)

