"""Small synthetic multimodal datasets, made on the fly and deterministic by seed (DESIGN 4).

Nothing is downloaded. Every generator takes its sizes and ``seed``; the same seed gives
the same arrays, bit for bit, on every machine. ``seed=None`` draws a seed from
``mmlearn.backend.rng()``, so ``mm.set_seed(0)`` governs it too.

One convention for every generator: it returns a :class:`Dataset`, whose ``x`` is a dict
of arrays, one per modality, and ``y`` the targets. A ``Dataset`` unpacks like a tuple,

    x, y = mm.data.shapes_with_captions(seed=0)
    x["image"].shape, x["text"].shape, y.shape      # (2000, 144) (2000, 8) (2000,)

and carries what else a reader needs: ``class_names``, the caption ``vocab``, the
``image_shape`` to un-flatten images for plotting, and a ``description``.

Arrays live on the active backend (``mm.set_backend("cupy")`` puts them on the GPU):
images and signals are float32, token ids and class labels int64. Images are flattened
to (n, H·W) so that a ``Dense`` encoder takes them directly; ``flatten=False`` gives
(n, H, W) instead, and ``x["image"].reshape(-1, *ds.image_shape)`` goes back.

Generators (each docstring says what every modality carries and how ``y`` depends on it):

    shapes_with_captions     grey shapes + captions naming the colour: the class needs both
    tones_with_spectrograms  waveform (pitch) + spectrogram image (envelope)
    reviews                  review text + an emoji face; sarcasm in one, a shrug in the other
    users_items              who clicked what: user ids, item images and item texts
    image_caption_pairs      images with their captions, for contrastive retrieval and zero-shot

Helpers: :class:`Vocabulary` (a word tokeniser), :func:`train_test_split`,
:func:`batches`, :class:`Standardizer` / :func:`standardize`,
:class:`Normalizer` / :func:`normalize`, :func:`bag_of_words`, :func:`make` (by name).
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mmlearn._validation import check_same_batch, did_you_mean, lookup
from mmlearn.backend import (
    array_namespace,
    asarray,
    floatx,
    get_namespace,
    is_array,
    rng,
    to_numpy,
)

__all__ = [
    "Dataset", "Normalizer", "Standardizer", "Vocabulary", "bag_of_words", "batches",
    "image_caption_pairs", "make", "normalize", "reviews", "reviews_ceiling",
    "shapes_with_captions",
    "standardize", "tones_with_spectrograms", "train_test_split", "users_items",
]


# =====================================================================================
# The dataset container
# =====================================================================================
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
        lines += [f"  x[{k!r}]: {tuple(v.shape)} {_dtype_name(v)}" for k, v in self.x.items()]
        lines.append(f"  y: {tuple(self.y.shape)} {_dtype_name(self.y)}>")
        return "\n".join(lines)


def _dtype_name(a: Any) -> str:
    return str(a.dtype).rsplit(".", 1)[-1]


# =====================================================================================
# Argument checks and randomness
# =====================================================================================
def _positive_int(value: Any, arg: str, who: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{who}: {arg} must be an int >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{who}: {arg} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _fraction(value: Any, arg: str, who: str, *, low: float = 0.0, high: float = 1.0,
              closed: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{who}: {arg} must be a number, got {value!r}")
    v = float(value)
    ok = low <= v <= high if closed else low < v < high
    if not ok or math.isnan(v):
        rng_txt = f"[{low}, {high}]" if closed else f"({low}, {high})"
        raise ValueError(f"{who}: {arg} must be in {rng_txt}, got {value!r}")
    return v


def _generator(seed: Any, who: str) -> np.random.Generator:
    """A private NumPy generator: from ``seed``, or from a seed drawn off ``backend.rng()``."""
    if seed is None:
        seed = int(rng().integers(0, 2**63 - 1))
    elif isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"{who}: seed must be a non-negative int or None, got {seed!r}")
    elif seed < 0:
        raise ValueError(f"{who}: seed must be a non-negative int or None, got {seed!r}")
    return np.random.default_rng(int(seed))


def _float(a: np.ndarray) -> Any:
    return asarray(np.asarray(a, dtype=floatx()), dtype=floatx())


def _int(a: np.ndarray) -> Any:
    return asarray(np.asarray(a, dtype=np.int64), dtype="int64")


def _image_out(images: np.ndarray, flatten: bool) -> Any:
    n = images.shape[0]
    return _float(images.reshape(n, -1) if flatten else images)


# =====================================================================================
# Vocabulary: a word tokeniser for captions and reviews
# =====================================================================================
_TOKEN = re.compile(r"[\w']+|[^\w\s]")


class Vocabulary:
    """A word-level tokeniser: text -> padded integer ids -> text.

    Ids 0 and 1 are reserved: ``<pad>`` (padding, id 0) and ``<unk>`` (a word not in the
    vocabulary, id 1); the words follow from id 2 in the order given.
    Tokenising lower-cases the text and splits it into words and punctuation marks, so

        vocab.decode(vocab.encode(texts)) == [" ".join(vocab.tokenize(t)) for t in texts]

    whenever every word is known and no text is longer than ``max_len``.

    Args:
        tokens: the words, in id order (duplicates are ignored).
        max_len: length every encoded text is padded (or cut) to; ``None`` means the
            longest text of each :meth:`encode` call.
    """

    PAD = "<pad>"
    UNK = "<unk>"

    def __init__(self, tokens: Iterable[str] = (), max_len: int | None = None) -> None:
        if isinstance(tokens, str):
            raise TypeError("Vocabulary: tokens must be a list of words, got a single str "
                            f"{tokens!r}; use Vocabulary.fit(texts) to build one from texts")
        self._tokens: list[str] = [self.PAD, self.UNK]
        self._index: dict[str, int] = {self.PAD: 0, self.UNK: 1}
        for tok in tokens:
            if not isinstance(tok, str) or not tok:
                raise TypeError(f"Vocabulary: every token must be a non-empty str, got {tok!r}")
            tok = tok.lower()
            if tok not in self._index:
                self._index[tok] = len(self._tokens)
                self._tokens.append(tok)
        self.max_len = None if max_len is None else _positive_int(max_len, "max_len",
                                                                  "Vocabulary")

    @classmethod
    def fit(cls, texts: Sequence[str], max_len: int | None = None) -> Vocabulary:
        """Vocabulary of every word in ``texts``, in order of first appearance.

        ``max_len`` defaults to the longest text, so encoding ``texts`` cuts nothing.
        """
        texts = _as_texts(texts, "texts", "Vocabulary.fit")
        tokenized = [cls.tokenize(t) for t in texts]
        words = [w for toks in tokenized for w in toks]
        if max_len is None:
            max_len = max((len(t) for t in tokenized), default=0) or 1
        return cls(words, max_len=max_len)

    @staticmethod
    def tokenize(text: str) -> list[str]:
        """Lower-cased words and punctuation marks: ``"Not bad!"`` -> ``["not", "bad", "!"]``."""
        if not isinstance(text, str):
            raise TypeError(f"Vocabulary.tokenize: text must be a str, got {type(text).__name__}")
        return _TOKEN.findall(text.lower())

    @property
    def tokens(self) -> list[str]:
        """Every token, in id order (``tokens[0] == "<pad>"``)."""
        return list(self._tokens)

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and token.lower() in self._index

    def index(self, token: str) -> int:
        """Id of ``token`` (the ``<unk>`` id, 1, when it is unknown)."""
        if not isinstance(token, str):
            raise TypeError(f"Vocabulary.index: token must be a str, got {type(token).__name__}")
        return self._index.get(token.lower(), 1)

    def encode(self, texts: str | Sequence[str], max_len: int | None = None) -> Any:
        """Ids of ``texts``, shape (n, max_len) int64 on the active backend.

        Each text becomes its token ids, cut to ``max_len`` and padded with 0 at the end.
        A single str gives shape (1, max_len). Unknown words become 1 (``<unk>``).
        """
        if isinstance(texts, str):
            texts = [texts]
        texts = _as_texts(texts, "texts", "Vocabulary.encode")
        tokenized = [self.tokenize(t) for t in texts]
        if max_len is None:
            max_len = self.max_len
        if max_len is None:
            max_len = max((len(t) for t in tokenized), default=0) or 1
        max_len = _positive_int(max_len, "max_len", "Vocabulary.encode")
        ids = np.zeros((len(texts), max_len), dtype=np.int64)
        for row, toks in enumerate(tokenized):
            seq = [self._index.get(t, 1) for t in toks[:max_len]]
            ids[row, :len(seq)] = seq
        return _int(ids)

    def decode(self, ids: Any, skip_pad: bool = True) -> list[str]:
        """Texts of ids of shape (n, steps) (or one row (steps,)); padding is dropped."""
        arr = to_numpy(ids) if is_array(ids) else np.asarray(ids)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2:
            raise ValueError(f"Vocabulary.decode: ids must have shape (n, steps), "
                             f"got {arr.shape}")
        if arr.size and (arr.dtype.kind not in "iu" and not np.all(arr == np.round(arr))):
            raise TypeError(f"Vocabulary.decode: ids must be integers, got dtype {arr.dtype}")
        arr = arr.astype(np.int64)
        if arr.size and (arr.min() < 0 or arr.max() >= len(self)):
            bad = int(arr.min()) if arr.min() < 0 else int(arr.max())
            raise ValueError(f"Vocabulary.decode: ids must be in [0, {len(self) - 1}], got {bad}")
        return [" ".join(self._tokens[i] for i in row if not (skip_pad and i == 0))
                for row in arr]

    def bag_of_words(self, ids: Any) -> Any:
        """Word counts of encoded texts, shape (n, len(vocab)) float32; padding is not counted.

        The order of the words is lost, which is what a bag is. See :func:`bag_of_words`.
        """
        return bag_of_words(ids, len(self))

    def __repr__(self) -> str:
        return f"<Vocabulary {len(self)} tokens, max_len={self.max_len}>"


def _as_texts(texts: Any, arg: str, who: str) -> list[str]:
    if isinstance(texts, str) or not isinstance(texts, Sequence | np.ndarray):
        raise TypeError(f"{who}: {arg} must be a list of str, got {type(texts).__name__}")
    texts = list(texts)
    for t in texts:
        if not isinstance(t, str):
            raise TypeError(f"{who}: {arg} must be a list of str, got an item of type "
                            f"{type(t).__name__}")
    return texts


def bag_of_words(ids: Any, vocab_size: int) -> Any:
    """Counts of each id per row: (n, steps) int ids -> (n, vocab_size) float32.

    ``counts[i, v] = #{t : ids[i, t] == v}`` for v ≥ 1; column 0 (padding) stays 0.
    A text encoder made of ``Dense`` layers can read this directly.
    """
    vocab_size = _positive_int(vocab_size, "vocab_size", "bag_of_words")
    if not is_array(ids):
        try:
            host = np.asarray(ids)
        except ValueError as err:                # ragged rows
            raise ValueError("bag_of_words: ids must be an (n, steps) array of token ids, "
                             "every row the same length (pad them, as Vocabulary.encode "
                             "does)") from err
        if host.dtype.kind not in "iu" and host.size:
            raise TypeError(f"bag_of_words: ids must be integers, got dtype {host.dtype}")
        ids = _int(host)
    xp = array_namespace(ids)
    if ids.ndim != 2:
        raise ValueError(f"bag_of_words: ids must have shape (n, steps), got {tuple(ids.shape)}")
    if not xp.isdtype(ids.dtype, "integral"):
        raise TypeError(f"bag_of_words: ids must be integers, got dtype {ids.dtype}")
    if ids.shape[0] * ids.shape[1]:
        low, high = int(xp.min(ids)), int(xp.max(ids))
        if low < 0 or high >= vocab_size:
            raise ValueError(f"bag_of_words: ids must be in [0, {vocab_size - 1}], "
                             f"got {low if low < 0 else high}")
    # One step at a time: memory (n, V) like the result, never the (n, steps, V) one-hot.
    words = xp.arange(vocab_size, dtype=ids.dtype)[None, :]                   # (1, V)
    counts = xp.zeros((int(ids.shape[0]), vocab_size), dtype=xp.float32)
    for t in range(int(ids.shape[1])):
        counts += xp.astype(ids[:, t:t + 1] == words, xp.float32)            # (n, V)
    counts *= xp.astype(words != 0, xp.float32)                               # drop <pad>
    return counts


# =====================================================================================
# Drawing: shapes and faces on a small pixel grid (host-side NumPy)
# =====================================================================================
SHAPES = ("square", "circle", "triangle", "cross")


def _draw_shapes(kind: np.ndarray, cy: np.ndarray, cx: np.ndarray, r: np.ndarray,
                 size: int) -> np.ndarray:
    """Shapes, one per image (the circle a ring, the rest filled): (n,) kind index into
    ``SHAPES``, centre (cy, cx), half-size r.

    Returns (n, size, size) float64 with 1 on the shape and 0 elsewhere.
    """
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    dy = yy[None] - cy[:, None, None]
    dx = xx[None] - cx[:, None, None]
    rr = r[:, None, None]
    square = (np.abs(dx) <= rr) & (np.abs(dy) <= rr)
    circle = np.abs(np.sqrt(dx**2 + dy**2) - rr) <= 0.75          # a ring, hollow inside
    # triangle pointing up: apex at the top, base at the bottom, width grows downwards
    triangle = (dy >= -rr) & (dy <= rr) & (np.abs(dx) <= (dy + rr) / 2 + 0.5)
    cross = ((np.abs(dx) <= 0.6 * rr / 2 + 0.3) & (np.abs(dy) <= rr)) | \
            ((np.abs(dy) <= 0.6 * rr / 2 + 0.3) & (np.abs(dx) <= rr))
    masks = np.stack([square, circle, triangle, cross])                 # (4, n, H, W)
    return masks[kind, np.arange(kind.shape[0])].astype(np.float64)


# =====================================================================================
# 1. Shapes with captions
# =====================================================================================
_COLOURS = ("red", "green", "blue")
_SIZES = ("small", "big")
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
    n = _positive_int(n, "n", who)
    image_size = _positive_int(image_size, "image_size", who, minimum=8)
    n_shapes = _positive_int(n_shapes, "n_shapes", who, minimum=2)
    if n_shapes > len(SHAPES):
        raise ValueError(f"{who}: n_shapes must be in [2, {len(SHAPES)}], got {n_shapes}")
    noise = _fraction(noise, "noise", who, high=10.0)
    jitter = _fraction(jitter, "jitter", who, high=image_size / 4)
    g = _generator(seed, who)

    shape = g.integers(0, n_shapes, n)
    colour = g.integers(0, len(_COLOURS), n)
    size = g.integers(0, len(_SIZES), n)
    s = image_size / 12.0                                   # sizes scale with the image
    r = np.where(size == 0, g.uniform(2.0, 2.6, n), g.uniform(3.2, 4.0, n)) * s
    centre = (image_size - 1) / 2.0
    cy = centre + g.uniform(-jitter, jitter, n)
    cx = centre + g.uniform(-jitter, jitter, n)
    images = _draw_shapes(shape, cy, cx, r, image_size)
    images += noise * g.standard_normal(images.shape)

    captions = []
    for i in range(n):
        prefix = _PREFIXES[g.integers(len(_PREFIXES))]
        det = _DETS[g.integers(len(_DETS))] if not prefix.startswith("a picture") else "a"
        noun = _NOUNS[g.integers(len(_NOUNS))]
        words = [prefix, det, _SIZES[size[i]], _COLOURS[colour[i]], noun]
        captions.append(" ".join(w for w in words if w))
    vocab = Vocabulary(["a", "the", "one", "picture", "of", "here", "is", "look", "at",
                        *_SIZES, *_COLOURS, *_NOUNS], max_len=8)
    y = shape * len(_COLOURS) + colour
    return Dataset(
        x={"image": _image_out(images, flatten), "text": vocab.encode(captions)},
        y=_int(y),
        class_names=[f"{c} {sh}" for sh in SHAPES[:n_shapes] for c in _COLOURS],
        vocab=vocab,
        image_shape=(image_size, image_size),
        description="image: grey shape (shape, size) + noise; text: caption naming size and "
                    "colour; y = shape * 3 + colour (needs both).",
        extras={"shape": shape, "colour": colour, "size": size, "captions": captions},
    )


# =====================================================================================
# 2. Tones with spectrograms
# =====================================================================================
_PITCHES = ("low", "mid", "high")
_TIMBRES = ("bowed", "plucked")


def tones_with_spectrograms(n: int = 2000, length: int = 64, seed: int | None = None, *,
                            n_bands: int = 8, n_frames: int = 12, noise: float = 0.3,
                            flatten: bool = True) -> Dataset:
    """A short waveform (its pitch) and a spectrogram-like image (its envelope) of a note.

    Each note has a pitch register (``low``, ``mid``, ``high``) and is ``bowed`` (the
    sound is sustained) or ``plucked`` (a sharp attack, then an exponential decay): six
    classes, "low bowed", "low plucked", ..., drawn uniformly.

    * ``x["audio"]``: (n, length) float32, a steady-state clip from the middle of the note,
      scaled to unit RMS: x(t) = Σₖ aₖ sin(2π k f₀ t / length + φₖ) + noise, k = 1, 2, with
      f₀ (cycles per clip) uniform in [3, 5] (low), [7, 9] (mid) or [11, 13] (high), random
      harmonic weights aₖ and phases φₖ. It tells the pitch; being a slice of the steady
      part, it knows nothing of the envelope.
    * ``x["spectrogram"]``: (n, n_bands · n_frames) float32 (``flatten=False``: (n, n_bands,
      n_frames)), log-energy over time of the upper bands of the whole note, as recorded by a
      sensor that filters out the fundamental: energy(b, t) = envelope(t) · profile(b), where
      ``profile`` is a random brightness curve (the same for every pitch) and ``envelope`` is
      flat with a slow tremolo (bowed) or 1 → e^(−t/τ) (plucked). It tells the timbre, not
      the pitch.
    * ``y``: (n,) int64, ``pitch * 2 + timbre``.

    Audio alone can reach at most 50% (pitch known, timbre a coin flip), the spectrogram
    alone at most 33%; together, 100%. ``extras``: ``pitch``, ``timbre``, ``f0``.
    """
    who = "tones_with_spectrograms"
    n = _positive_int(n, "n", who)
    length = _positive_int(length, "length", who, minimum=32)
    n_bands = _positive_int(n_bands, "n_bands", who, minimum=2)
    n_frames = _positive_int(n_frames, "n_frames", who, minimum=4)
    noise = _fraction(noise, "noise", who, high=10.0)
    g = _generator(seed, who)

    pitch = g.integers(0, len(_PITCHES), n)
    timbre = g.integers(0, len(_TIMBRES), n)
    scale = length / 64.0                                   # keep 2·f0 below Nyquist
    f0 = (g.uniform(3.0, 5.0, n) + 4.0 * pitch) * scale
    t = np.arange(length, dtype=np.float64)
    audio = np.zeros((n, length))
    for k in (1, 2):
        a_k = g.uniform(0.5, 1.0, n) if k == 1 else g.uniform(0.0, 0.6, n)
        phase = g.uniform(0.0, 2 * np.pi, n)
        audio += a_k[:, None] * np.sin(2 * np.pi * k * f0[:, None] * t[None] / length
                                       + phase[:, None])
    audio += noise * g.standard_normal(audio.shape)
    audio /= np.sqrt(np.mean(audio**2, axis=1, keepdims=True))

    frames = np.arange(n_frames, dtype=np.float64) / (n_frames - 1)      # 0 .. 1
    tau = g.uniform(0.15, 0.35, n)
    wobble = 1.0 + 0.15 * np.sin(2 * np.pi * g.uniform(1.0, 3.0, n)[:, None] * frames[None]
                                 + g.uniform(0, 2 * np.pi, n)[:, None])
    envelope = np.where(timbre[:, None] == 0, wobble, np.exp(-frames[None] / tau[:, None]))
    bands = np.arange(n_bands, dtype=np.float64) / (n_bands - 1)
    bright = g.uniform(0.5, 3.0, n)
    profile = np.exp(-bands[None] * bright[:, None])                      # (n, bands)
    energy = profile[:, :, None] * envelope[:, None, :]                   # (n, bands, frames)
    spec = np.log1p(9.0 * energy) / np.log(10.0)                          # in [0, 1]
    spec += noise * 0.5 * g.standard_normal(spec.shape)
    return Dataset(
        x={"audio": _float(audio), "spectrogram": _image_out(spec, flatten)},
        y=_int(pitch * len(_TIMBRES) + timbre),
        class_names=[f"{p} {tb}" for p in _PITCHES for tb in _TIMBRES],
        image_shape=(n_bands, n_frames),
        description="audio: steady clip, pitch from f0; spectrogram: upper bands over time, "
                    "bowed (flat) or plucked (decaying); y = pitch * 2 + timbre (needs both).",
        extras={"pitch": pitch, "timbre": timbre, "f0": f0},
    )


# =====================================================================================
# 3. Reviews with emoji
# =====================================================================================
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
    n = _positive_int(n, "n", who)
    image_size = _positive_int(image_size, "image_size", who, minimum=10)
    ambiguous = _fraction(ambiguous, "ambiguous", who, high=0.5)
    noise = _fraction(noise, "noise", who, high=10.0)
    g = _generator(seed, who)

    sentiment = g.integers(0, 2, n)
    case = g.choice(3, size=n, p=[1 - 2 * ambiguous, ambiguous, ambiguous])
    negated = (g.random(n) < 0.35) & (case != 1)
    texts = []
    for i in range(n):
        obj = _TOPICS[g.integers(len(_TOPICS))]
        if case[i] == 1:
            template = _AMBIGUOUS[g.integers(len(_AMBIGUOUS))]
            texts.append(template.format(obj=obj, neutral=_NEUTRAL[g.integers(len(_NEUTRAL))]))
            continue
        polar_positive = bool(sentiment[i]) != bool(negated[i])   # "not bad" is positive
        pool = _POSITIVE if polar_positive else _NEGATIVE
        word = pool[g.integers(len(pool))]
        words = ["the", obj, "was"]
        if negated[i]:
            words.append("not")
        if g.random() < 0.4:
            words.append(_INTENSIFIERS[g.integers(len(_INTENSIFIERS))])
        words.append(word)
        if g.random() < 0.3:
            words.append("!")
        texts.append(" ".join(words))
    vocab_words = ["a", "the", "was", "not", "!", ",", "oh", "another", "well", "that", "something",
                   "what", "just", "wow", "i", "did", "expect", "as", "expected", "yeah", "sure",
                   *_TOPICS, *_POSITIVE, *_NEGATIVE, *_INTENSIFIERS, *_NEUTRAL]
    vocab = Vocabulary(vocab_words, max_len=10)

    mouth = np.where(case == 2, 0.0, np.where(sentiment == 1, 1.0, -1.0))
    images = _draw_faces(mouth, image_size, g) + noise * g.standard_normal(
        (n, image_size, image_size))
    return Dataset(
        x={"text": vocab.encode(texts), "image": _image_out(images, flatten)},
        y=_int(sentiment),
        class_names=["negative", "positive"],
        vocab=vocab,
        image_shape=(image_size, image_size),
        description="text: review with sentiment words and negations (sometimes sarcastic); "
                    "image: emoji whose mouth curves up/down (sometimes flat); y = sentiment.",
        extras={"case": case, "negated": negated, "texts": texts},
    )



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


# =====================================================================================
# 4. Users and items
# =====================================================================================
_STYLES = ("horizontal stripes", "vertical stripes", "checks", "dots")
_TOPIC_WORDS = {
    "sports": ("ball", "team", "match", "goal"),
    "cooking": ("recipe", "kitchen", "spice", "taste"),
    "music": ("song", "guitar", "rhythm", "band"),
    "travel": ("beach", "map", "journey", "hotel"),
}
_FILLER = ("new", "classic", "popular", "simple", "deluxe", "mini")


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
    n_users = _positive_int(n_users, "n_users", who)
    n_items = _positive_int(n_items, "n_items", who)
    n_interactions = _positive_int(n_interactions, "n_interactions", who)
    if n_interactions > n_users * n_items:
        raise ValueError(f"{who}: n_interactions must be at most n_users * n_items = "
                         f"{n_users * n_items} (distinct pairs), got {n_interactions}")
    image_size = _positive_int(image_size, "image_size", who, minimum=4)
    if target not in ("click", "rating"):
        raise ValueError(f"{who}: target must be 'click' or 'rating', got {target!r}")
    noise = _fraction(noise, "noise", who, high=10.0)
    g = _generator(seed, who)

    style = g.integers(0, len(_STYLES), n_items)
    topic = g.integers(0, len(_TOPIC_WORDS), n_items)
    # tastes: a shared trend (some styles/topics are popular) plus each user's own
    p_style = 0.6 * g.standard_normal(len(_STYLES)) + g.standard_normal((n_users, len(_STYLES)))
    p_topic = 0.6 * g.standard_normal(len(_TOPIC_WORDS)) \
        + g.standard_normal((n_users, len(_TOPIC_WORDS)))

    yy, xx = np.mgrid[0:image_size, 0:image_size]
    patterns = np.stack([yy % 2 == 0, xx % 2 == 0, (yy + xx) % 2 == 0,
                         (yy % 3 == 1) & (xx % 3 == 1)]).astype(np.float64)
    item_images = patterns[style] + noise * g.standard_normal((n_items, image_size, image_size))
    topic_names = list(_TOPIC_WORDS)
    item_texts = []
    for i in range(n_items):
        words = list(g.choice(_TOPIC_WORDS[topic_names[topic[i]]], size=3, replace=False))
        words.insert(int(g.integers(0, 4)), _FILLER[g.integers(len(_FILLER))])
        item_texts.append(" ".join(words))
    vocab = Vocabulary([*_FILLER, *(w for ws in _TOPIC_WORDS.values() for w in ws)], max_len=4)

    pairs = g.choice(n_users * n_items, size=n_interactions, replace=False)
    user, item = pairs // n_items, pairs % n_items
    score = p_style[user, style[item]] + p_topic[user, topic[item]] \
        + 0.3 * g.standard_normal(n_interactions)
    if target == "click":
        y, class_names = _int(score > 0), ["skip", "click"]
    else:
        y, class_names = _float(np.clip(np.round(3 + 1.2 * score), 1, 5)), None
    item_ids = vocab.encode(item_texts)
    xp = get_namespace()
    item_idx = _int(item)
    images_all = _image_out(item_images, flatten)
    return Dataset(
        x={"user": _int(user), "item": item_idx,
           "image": xp.take(images_all, item_idx, axis=0),
           "text": xp.take(item_ids, item_idx, axis=0)},
        y=y,
        class_names=class_names,
        vocab=vocab,
        image_shape=(image_size, image_size),
        description="user/item ids; image: the item's style pattern; text: its topic words; "
                    "y = click (score > 0) or rating, score = user's taste for style + topic.",
        extras={"item_images": images_all, "item_texts": item_ids, "item_style": style,
                "item_topic": topic, "user_style_pref": p_style, "user_topic_pref": p_topic,
                "score": score, "style_names": list(_STYLES), "topic_names": topic_names},
    )


# =====================================================================================
# 5. Image–caption pairs
# =====================================================================================
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
    n = _positive_int(n, "n", who)
    image_size = _positive_int(image_size, "image_size", who, minimum=12)
    noise = _fraction(noise, "noise", who, high=10.0)
    g = _generator(seed, who)

    shape = g.integers(0, len(SHAPES), n)
    size = g.integers(0, len(_SIZES), n)
    place = g.integers(0, len(_PLACES), n)
    places = list(_PLACES)
    centres = np.array([_PLACES[p] for p in places]) * (image_size - 1)
    s = image_size / 16.0
    r = np.where(size == 0, g.uniform(1.8, 2.2, n), g.uniform(2.8, 3.3, n)) * s
    cy = centres[place, 0] + g.uniform(-1.0, 1.0, n) * s
    cx = centres[place, 1] + g.uniform(-1.0, 1.0, n) * s
    images = _draw_shapes(shape, cy, cx, r, image_size)
    images += noise * g.standard_normal(images.shape)

    captions = []
    for i in range(n):
        prefix = "a photo of a" if g.random() < 0.3 else "a"
        where = "in the centre" if places[place[i]] == "centre" else f"in the {places[place[i]]}"
        captions.append(f"{prefix} {_SIZES[size[i]]} {SHAPES[shape[i]]} {where}")
    vocab = Vocabulary(["a", "photo", "of", "in", "the", *_SIZES, *SHAPES, "top", "bottom",
                        "left", "right", "centre"], max_len=10)
    prompts = [f"a photo of a {sh}" for sh in SHAPES]
    return Dataset(
        x={"image": _image_out(images, flatten), "text": vocab.encode(captions)},
        y=_int(shape),
        class_names=list(SHAPES),
        vocab=vocab,
        image_shape=(image_size, image_size),
        description="image: a shape of some size in some place + noise; text: its caption "
                    "(row i matches row i); y = the shape, for zero-shot classification.",
        extras={"class_prompts": prompts, "class_texts": vocab.encode(prompts),
                "size": size, "place": place, "captions": captions},
    )


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


# =====================================================================================
# Splitting and batching (dict-aware)
# =====================================================================================
def _unpack(x: Any, y: Any, who: str) -> tuple[Any, Any]:
    """A Dataset given as ``x`` brings its own ``y``."""
    if isinstance(x, Dataset):
        if y is not None:
            raise TypeError(f"{who}: x is a Dataset, which carries its own y; pass y=None "
                            "(or pass dataset.x and dataset.y)")
        return x.x, x.y
    return x, y


def _n_samples(x: Any, y: Any, who: str) -> int:
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


def _take(x: Any, idx: np.ndarray) -> Any:
    """Rows ``idx`` of an array or of every array in a dict, on their own backend."""
    if isinstance(x, Mapping):
        return {k: _take(v, idx) for k, v in x.items()}
    xp = array_namespace(x)
    return xp.take(x, asarray(idx, dtype="int64", xp=xp), axis=0)


def train_test_split(x: Any, y: Any = None, test_size: float = 0.2,
                     seed: int | None = None) -> tuple:
    """Shuffle the samples once and cut off a test part.

    ``x`` is an array or a dict of arrays (one per modality), ``y`` an array or ``None``;
    every array shares the sample axis. Returns ``(x_train, x_test, y_train, y_test)``, or
    ``(x_train, x_test)`` when ``y`` is ``None``, in scikit-learn's order. The test part has
    ``ceil(test_size · n)`` samples; every sample lands in exactly one part. A
    :class:`Dataset` may be given as ``x``; its ``y`` comes along.
    """
    who = "train_test_split"
    x, y = _unpack(x, y, who)
    test_size = _fraction(test_size, "test_size", who, closed=False)
    n = _n_samples(x, y, who)
    n_test = math.ceil(test_size * n)
    if n_test >= n:
        raise ValueError(f"{who}: test_size={test_size} leaves no training sample out of {n}")
    perm = _generator(seed, who).permutation(n)
    test_idx, train_idx = perm[:n_test], perm[n_test:]
    out = (_take(x, train_idx), _take(x, test_idx))
    if y is None:
        return out
    return (*out, _take(y, train_idx), _take(y, test_idx))


def batches(x: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True,
            seed: int | None = None) -> Iterator[Any]:
    """Mini-batches of ``x`` (array or dict) and ``y``: yields ``(x_batch, y_batch)``, or just
    ``x_batch`` when ``y`` is ``None``.

    Every sample appears exactly once per pass; the last batch may be smaller. ``shuffle``
    draws the order from ``seed`` (``None``: from ``mmlearn.backend.rng()``); ``shuffle=False``
    keeps it. A :class:`Dataset` may be given as ``x``; its ``y`` comes along.
    """
    who = "batches"
    x, y = _unpack(x, y, who)
    batch_size = _positive_int(batch_size, "batch_size", who)
    n = _n_samples(x, y, who)
    order = _generator(seed, who).permutation(n) if shuffle else np.arange(n)

    def gen() -> Iterator[Any]:
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            xb = _take(x, idx)
            yield xb if y is None else (xb, _take(y, idx))

    return gen()


# =====================================================================================
# Scaling: fit on the training data, apply to any data
# =====================================================================================
class _Scaler:
    """Per-feature affine scaling ``(x − shift) / scale``, with statistics over the sample axis.

    Dicts are scaled per modality; integer arrays (token ids, user ids) pass through
    unchanged, since scaling an id makes no sense.
    """

    def __init__(self, eps: float = 1e-7) -> None:
        self.eps = _fraction(eps, "eps", type(self).__name__, high=1.0)
        self.stats_: Any = None

    def _stats(self, x: Any) -> tuple[Any, Any]:
        raise NotImplementedError

    @staticmethod
    def _is_float(a: Any) -> bool:
        return array_namespace(a).isdtype(a.dtype, "real floating")

    def fit(self, x: Any) -> _Scaler:
        """Learn the statistics of ``x`` (array or dict of arrays, samples first)."""
        who = f"{type(self).__name__}.fit"
        _n_samples(x, None, who)
        if isinstance(x, Mapping):
            stats = {k: self._checked_stats(v, f"{who}: x[{k!r}]") for k, v in x.items()
                     if self._is_float(v)}
        elif not self._is_float(x):
            raise TypeError(f"{who}: x must be a float array, got dtype {x.dtype}")
        else:
            stats = self._checked_stats(x, f"{who}: x")
        self.stats_ = stats                  # every array checked: now keep the statistics
        return self

    def _checked_stats(self, x: Any, arg: str) -> tuple[Any, Any]:
        xp = array_namespace(x)
        if x.shape[0] == 0:
            raise ValueError(f"{arg} has no samples: the statistics need at least one")
        if not bool(xp.all(xp.isfinite(x))):
            raise ValueError(f"{arg} holds NaN or inf values: the statistics would be NaN; "
                             "remove or impute them first")
        shift, scale = self._stats(x)
        # A feature that never varies (scale 0) keeps scale 1: shifted, never divided by ~0.
        return shift, xp.where(scale > 0, scale + self.eps, xp.ones_like(scale))

    def transform(self, x: Any) -> Any:
        """Scale ``x`` with the statistics learnt by :meth:`fit`."""
        who = f"{type(self).__name__}.transform"
        if self.stats_ is None:
            raise RuntimeError(f"{who}: call fit(x_train) first")
        _n_samples(x, None, who)
        if isinstance(self.stats_, dict) != isinstance(x, Mapping):
            fitted = "dict" if isinstance(self.stats_, dict) else "array"
            got = "dict" if isinstance(x, Mapping) else "array"
            raise TypeError(f"{who}: fitted on a {fitted}, got a {got}")
        if isinstance(x, Mapping):
            missing = sorted(set(self.stats_) - set(x))
            if missing:
                raise ValueError(f"{who}: x lacks the modalities {missing} seen by fit")
            return {k: self._apply(v, self.stats_[k], f"{who}: x[{k!r}]") if k in self.stats_
                    else v for k, v in x.items()}
        return self._apply(x, self.stats_, f"{who}: x")

    def _apply(self, x: Any, stats: tuple[Any, Any], arg: str) -> Any:
        shift, scale = stats
        if tuple(x.shape[1:]) != tuple(shift.shape):
            raise ValueError(f"{arg} must have shape (n, {', '.join(map(str, shift.shape))}) as "
                             f"at fit, got {tuple(x.shape)}")
        xp = array_namespace(x)
        if not self._is_float(x):      # integer pixels: compute in float, never wrap around
            x = xp.astype(x, shift.dtype)
        shift, scale = xp.astype(shift, x.dtype), xp.astype(scale, x.dtype)
        return (x - shift) / scale

    def fit_transform(self, x: Any) -> Any:
        return self.fit(x).transform(x)


class Standardizer(_Scaler):
    """z = (x − μ) / (σ + ε), μ and σ per feature over the training samples.

    A feature with σ = 0 is only shifted (divided by 1). NaN, inf or no samples at ``fit``
    raise ``ValueError``; integer data given to ``transform`` is computed in float.

    Fit on the training set only, then transform training and test sets alike: the test
    set must not leak into the statistics.
    """

    def _stats(self, x: Any) -> tuple[Any, Any]:
        xp = array_namespace(x)
        return xp.mean(x, axis=0), xp.std(x, axis=0)


class Normalizer(_Scaler):
    """Min–max scaling to [0, 1] on the training set: (x − min) / (max − min + ε), per feature.

    A feature with max = min is only shifted (divided by 1); bad data as for Standardizer.
    """

    def _stats(self, x: Any) -> tuple[Any, Any]:
        xp = array_namespace(x)
        low = xp.min(x, axis=0)
        return low, xp.max(x, axis=0) - low


def standardize(x_train: Any, *others: Any, eps: float = 1e-7) -> Any:
    """Standardise with the training statistics: ``x_tr, x_te = standardize(x_tr, x_te)``.

    Returns the scaled ``x_train`` alone when no other set is given, else a tuple.
    """
    scaler = Standardizer(eps).fit(x_train)
    out = tuple(scaler.transform(a) for a in (x_train, *others))
    return out[0] if not others else out


def normalize(x_train: Any, *others: Any, eps: float = 1e-7) -> Any:
    """Min–max scale to [0, 1] with the training range: ``x_tr, x_te = normalize(x_tr, x_te)``.

    Test values outside the training range land outside [0, 1].
    """
    scaler = Normalizer(eps).fit(x_train)
    out = tuple(scaler.transform(a) for a in (x_train, *others))
    return out[0] if not others else out
