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

One file per dataset (``shapes``, ``tones``, ``sentiment`` for the reviews,
``recommendation`` for users and items, ``captions`` for image–caption pairs), one per
helper family (``text``, ``split``, ``scaling``), ``registry`` for :func:`make`; every name
is importable from ``mmlearn.data`` as well.
"""

from __future__ import annotations

from mmlearn.data._dataset import Dataset
from mmlearn.data.captions import image_caption_pairs
from mmlearn.data.recommendation import users_items
from mmlearn.data.registry import make
from mmlearn.data.scaling import Normalizer, Standardizer, normalize, standardize
from mmlearn.data.sentiment import reviews, reviews_ceiling
from mmlearn.data.shapes import shapes_with_captions
from mmlearn.data.split import batches, train_test_split
from mmlearn.data.text import Vocabulary, bag_of_words
from mmlearn.data.tones import tones_with_spectrograms

__all__ = [
    "Dataset", "Normalizer", "Standardizer", "Vocabulary", "bag_of_words", "batches",
    "image_caption_pairs", "make", "normalize", "reviews", "reviews_ceiling",
    "shapes_with_captions",
    "standardize", "tones_with_spectrograms", "train_test_split", "users_items",
]
