"""mmlearn.data: synthetic multimodal datasets and the helpers around them."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mmlearn as mm
from mmlearn import data as D
from mmlearn.backend import array_namespace, to_numpy
from mmlearn.data import _generate, captions, recommendation, sentiment

GENERATORS = {
    "shapes_with_captions": {},
    "tones_with_spectrograms": {},
    "reviews": {},
    "users_items": {},
    "image_caption_pairs": {},
}
SMALL = {  # sizes that keep the tests quick
    "shapes_with_captions": {"n": 300},
    "tones_with_spectrograms": {"n": 300},
    "reviews": {"n": 300},
    "users_items": {"n_users": 20, "n_items": 15, "n_interactions": 200},
    "image_caption_pairs": {"n": 300},
}


def _np(a):
    return to_numpy(a)


def _same(a, b) -> bool:
    return all(np.array_equal(_np(a.x[k]), _np(b.x[k])) for k in a.x) and \
        np.array_equal(_np(a.y), _np(b.y))


# -- determinism ------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(GENERATORS))
def test_same_seed_same_arrays_different_seed_different(name):
    a = D.make(name, seed=5, **SMALL[name])
    b = D.make(name, seed=5, **SMALL[name])
    c = D.make(name, seed=6, **SMALL[name])
    assert _same(a, b)
    for k in a.x:
        assert not np.array_equal(_np(a.x[k]), _np(c.x[k])), k


@pytest.mark.parametrize("name", list(GENERATORS))
def test_seed_none_follows_set_seed(name):
    mm.set_seed(3)
    a = D.make(name, **SMALL[name])
    a2 = D.make(name, **SMALL[name])           # the shared generator moved on
    mm.set_seed(3)
    b = D.make(name, **SMALL[name])
    assert _same(a, b)
    assert not _same(a, a2)


@pytest.mark.parametrize("name", ["shapes_with_captions", "users_items"])
def test_arrays_live_on_the_active_backend_with_the_same_values(name, backend):
    ds = D.make(name, seed=1, **SMALL[name])
    for k, v in ds.x.items():
        assert array_namespace(v) is backend, k
    assert array_namespace(ds.y) is backend
    mm.set_backend("numpy")
    ref = D.make(name, seed=1, **SMALL[name])
    assert _same(ds, ref)


# -- shapes, dtypes, ranges -------------------------------------------------------------
def _check_common(ds, n, keys):
    assert list(ds.x) == keys
    for k, v in ds.x.items():
        assert int(v.shape[0]) == n, k
        assert _np(v).dtype in (np.float32, np.int64), (k, _np(v).dtype)
        assert np.all(np.isfinite(_np(v)))
    assert tuple(ds.y.shape) == (n,)
    x, y = ds                                    # unpacks like a tuple
    assert x is ds.x and y is ds.y
    assert len(ds) == n
    assert f"n={n}" in repr(ds)


def _check_balanced(y, k):
    counts = np.bincount(_np(y), minlength=k)
    assert len(counts) == k
    expected = len(_np(y)) / k
    assert counts.min() > 0.6 * expected and counts.max() < 1.4 * expected, counts


def test_shapes_with_captions_layout_and_meaning():
    ds = D.shapes_with_captions(n=600, seed=0)
    _check_common(ds, 600, ["image", "text"])
    assert tuple(ds.x["image"].shape) == (600, 144) and _np(ds.x["image"]).dtype == np.float32
    assert tuple(ds.x["text"].shape) == (600, 8) and _np(ds.x["text"]).dtype == np.int64
    assert ds.image_shape == (12, 12) and ds.num_classes == 9
    _check_balanced(ds.y, 9)
    y = _np(ds.y)
    shape, colour = ds.extras["shape"], ds.extras["colour"]
    np.testing.assert_array_equal(y, shape * 3 + colour)
    texts = ds.vocab.decode(ds.x["text"])
    assert texts == ds.extras["captions"]
    for t, label in zip(texts, y, strict=True):
        col, shp = ds.class_names[label].split()
        words = t.split()
        assert col in words                       # the caption names the colour ...
        assert shp not in words                   # ... never the shape
        assert "<unk>" not in words
    assert not (set(w for t in texts for w in t.split()) & set(_generate.SHAPES))


def test_shapes_images_show_shape_and_size_but_not_colour():
    ds = D.shapes_with_captions(n=400, seed=2, noise=0.0, flatten=False)
    img = _np(ds.x["image"])
    assert img.shape == (400, 12, 12)
    assert set(np.unique(img)) <= {0.0, 1.0}
    area = img.sum(axis=(1, 2))
    size, shape = ds.extras["size"], ds.extras["shape"]
    for k in range(3):                                  # a big shape covers more pixels
        assert area[(shape == k) & (size == 1)].mean() > 1.3 * area[(shape == k) &
                                                                     (size == 0)].mean()
    # a ring ("circle") is hollow: its centre pixel is background, a square's is not
    centre = img[:, 5:7, 5:7].sum(axis=(1, 2))
    assert centre[(shape == 0)].min() == 4                                # square: filled
    assert centre[(shape == 1) & (size == 1)].max() == 0                   # big ring: hollow
    # the colour leaves no trace: same shape and size, different colour, same distribution
    for c in range(3):
        sel = (shape == 0) & (size == 1) & (ds.extras["colour"] == c)
        assert abs(area[sel].mean() - area[(shape == 0) & (size == 1)].mean()) < 4


def _ridge_accuracy(features, y, n_train, lam=10.0):
    f = np.hstack([features, np.ones((len(features), 1))])
    targets = np.eye(int(y.max()) + 1)[y]
    w = np.linalg.solve(f[:n_train].T @ f[:n_train] + lam * np.eye(f.shape[1]),
                        f[:n_train].T @ targets[:n_train])
    return float(np.mean(np.argmax(f[n_train:] @ w, axis=1) == y[n_train:]))


def test_shapes_with_captions_needs_both_modalities():
    """A linear classifier (ridge regression, one-vs-rest) on each modality alone stays
    near its ceiling of 1/3, on both together it does far better."""
    ds = D.shapes_with_captions(seed=0)
    img = _np(ds.x["image"]).astype(np.float64)
    bow = _np(ds.vocab.bag_of_words(ds.x["text"])).astype(np.float64)
    y = _np(ds.y)
    image_only = _ridge_accuracy(img, y, 1600)
    text_only = _ridge_accuracy(bow, y, 1600)
    both = _ridge_accuracy(np.hstack([img, bow]), y, 1600)
    assert image_only < 0.40 and text_only < 0.40, (image_only, text_only)
    assert both > 0.75, both
    assert both - max(image_only, text_only) > 0.35


def test_tones_with_spectrograms_layout_and_meaning():
    ds = D.tones_with_spectrograms(n=600, seed=0)
    _check_common(ds, 600, ["audio", "spectrogram"])
    assert tuple(ds.x["audio"].shape) == (600, 64)
    assert tuple(ds.x["spectrogram"].shape) == (600, 96) and ds.image_shape == (8, 12)
    assert ds.num_classes == 6
    _check_balanced(ds.y, 6)
    y, pitch, timbre = _np(ds.y), ds.extras["pitch"], ds.extras["timbre"]
    np.testing.assert_array_equal(y, pitch * 2 + timbre)
    audio = _np(ds.x["audio"]).astype(np.float64)
    np.testing.assert_allclose(np.sqrt(np.mean(audio**2, axis=1)), 1.0, rtol=1e-5)
    # the waveform's strongest frequency is the fundamental of its pitch register
    peak = np.argmax(np.abs(np.fft.rfft(audio, axis=1))[:, 1:], axis=1) + 1
    low, high = 3 + 4 * pitch, 5 + 4 * pitch
    assert np.mean((peak >= low) & (peak <= high + 1)) > 0.9
    # the spectrogram decays for plucked notes and stays up for bowed ones
    spec = _np(ds.x["spectrogram"]).reshape(600, 8, 12)
    fall = spec[:, :, :3].mean(axis=(1, 2)) - spec[:, :, -3:].mean(axis=(1, 2))
    assert fall[timbre == 1].min() > fall[timbre == 0].max() - 0.2
    assert fall[timbre == 1].mean() > fall[timbre == 0].mean() + 0.2


def test_reviews_layout_and_meaning():
    ds = D.reviews(n=1000, seed=0)
    _check_common(ds, 1000, ["text", "image"])
    assert tuple(ds.x["text"].shape) == (1000, 10)
    assert tuple(ds.x["image"].shape) == (1000, 256) and ds.image_shape == (16, 16)
    assert ds.class_names == ["negative", "positive"]
    _check_balanced(ds.y, 2)
    y, case, negated = _np(ds.y), ds.extras["case"], ds.extras["negated"]
    texts = ds.vocab.decode(ds.x["text"])
    assert texts == ds.extras["texts"]
    assert not any("<unk>" in t for t in texts)
    np.testing.assert_allclose(np.bincount(case) / 1000, [0.3, 0.35, 0.35], atol=0.05)
    pos, neg = set(sentiment._POSITIVE), set(sentiment._NEGATIVE)
    for t, s, c, ng in zip(texts, y, case, negated, strict=True):
        words = set(t.split())
        if c == 1:                                     # ambiguous text: no sentiment word
            continue
        assert ("not" in words) == bool(ng)
        polar_positive = bool(words & pos)
        assert polar_positive != bool(words & neg)      # exactly one polarity
        assert polar_positive == (bool(s) != bool(ng))   # "not" flips it
    # ambiguous texts are drawn the same way whatever the sentiment
    amb = [t for t, c in zip(texts, case, strict=True) if c == 1]
    amb_y = y[case == 1]
    starts = {s: [t.split()[0] for t, yy in zip(amb, amb_y, strict=True) if yy == s]
              for s in (0, 1)}
    for s in (0, 1):
        assert set(starts[s]) == set(starts[1 - s])


def test_reviews_emoji_mouth_follows_sentiment_unless_ambiguous():
    ds = D.reviews(n=300, seed=1, noise=0.0, flatten=False)
    img = _np(ds.x["image"])
    y, case = _np(ds.y), ds.extras["case"]
    # the middle of a smile hangs low (row ~11), of a frown high (row ~8), a flat mouth
    # sits between: the mean row of the ink in the mouth band (rows 7-12, columns 6-9)
    band = img[:, 7:13, 6:10]
    rows = np.arange(7, 13)[None, :, None]
    middle = (band * rows).sum(axis=(1, 2)) / band.sum(axis=(1, 2))
    clear, flat = case != 2, case == 2
    assert middle[clear & (y == 1)].mean() > middle[clear & (y == 0)].mean() + 2
    assert middle[clear & (y == 1)].min() > middle[clear & (y == 0)].max()
    assert abs(middle[flat & (y == 1)].mean() - middle[flat & (y == 0)].mean()) < 0.5


def test_users_items_layout_and_meaning():
    ds = D.users_items(n_users=30, n_items=20, n_interactions=400, seed=0)
    _check_common(ds, 400, ["user", "item", "image", "text"])
    user, item = _np(ds.x["user"]), _np(ds.x["item"])
    assert user.min() >= 0 and user.max() < 30 and item.min() >= 0 and item.max() < 20
    assert len(set(zip(user.tolist(), item.tolist(), strict=True))) == 400   # distinct pairs
    np.testing.assert_array_equal(_np(ds.x["image"]), _np(ds.extras["item_images"])[item])
    np.testing.assert_array_equal(_np(ds.x["text"]), _np(ds.extras["item_texts"])[item])
    style, topic = ds.extras["item_style"], ds.extras["item_topic"]
    score = ds.extras["user_style_pref"][user, style[item]] + \
        ds.extras["user_topic_pref"][user, topic[item]]
    assert np.corrcoef(score, ds.extras["score"])[0, 1] > 0.95
    np.testing.assert_array_equal(_np(ds.y), (ds.extras["score"] > 0).astype(np.int64))
    # the text tells the topic: its words come from that topic's list
    for row, t in enumerate(ds.vocab.decode(ds.extras["item_texts"])):
        words = set(t.split())
        topic_words = recommendation._TOPIC_WORDS[ds.extras["topic_names"][topic[row]]]
        assert len(words & set(topic_words)) == 3
    rating = D.users_items(n_users=30, n_items=20, n_interactions=400, seed=0,
                           target="rating")
    r = _np(rating.y)
    assert r.dtype == np.float32 and r.min() >= 1 and r.max() <= 5
    np.testing.assert_array_equal(r, np.round(r))
    assert rating.class_names is None and rating.num_classes is None


def test_users_items_picture_shows_the_style():
    ds = D.users_items(n_users=5, n_items=40, n_interactions=50, seed=3, noise=0.0,
                       flatten=False)
    img = _np(ds.extras["item_images"])
    style = ds.extras["item_style"]
    rows_vary = img.std(axis=2).mean(axis=1)        # horizontal stripes: constant along rows
    cols_vary = img.std(axis=1).mean(axis=1)
    assert np.all(rows_vary[style == 0] == 0) and np.all(cols_vary[style == 0] > 0)
    assert np.all(cols_vary[style == 1] == 0) and np.all(rows_vary[style == 1] > 0)


def test_image_caption_pairs_layout_and_meaning():
    ds = D.image_caption_pairs(n=500, seed=0)
    _check_common(ds, 500, ["image", "text"])
    assert tuple(ds.x["image"].shape) == (500, 256) and tuple(ds.x["text"].shape) == (500, 10)
    assert ds.class_names == list(_generate.SHAPES)
    _check_balanced(ds.y, 4)
    texts = ds.vocab.decode(ds.x["text"])
    assert texts == ds.extras["captions"]
    places = list(captions._PLACES)
    for t, label, place, size in zip(texts, _np(ds.y), ds.extras["place"], ds.extras["size"],
                                     strict=True):
        assert _generate.SHAPES[label] in t.split()
        assert t.endswith(places[place])
        assert _generate.SIZES[size] in t.split()
    assert ds.vocab.decode(ds.extras["class_texts"]) == ds.extras["class_prompts"]
    clean = D.image_caption_pairs(n=200, seed=1, noise=0.0, flatten=False)
    img = _np(clean.x["image"])
    ys, xs = np.mgrid[0:16, 0:16]
    cy = (img * ys).sum(axis=(1, 2)) / img.sum(axis=(1, 2))
    cx = (img * xs).sum(axis=(1, 2)) / img.sum(axis=(1, 2))
    for p, (fy, fx) in enumerate(captions._PLACES.values()):
        sel = clean.extras["place"] == p
        assert np.all(np.abs(cy[sel] - fy * 15) < 2.5) and np.all(np.abs(cx[sel] - fx * 15) < 2.5)


@pytest.mark.parametrize("name", ["shapes_with_captions", "reviews", "image_caption_pairs"])
def test_flatten_false_is_the_same_pixels(name):
    flat = D.make(name, seed=4, **SMALL[name])
    grid = D.make(name, seed=4, flatten=False, **SMALL[name])
    img = _np(grid.x["image"])
    assert img.shape[1:] == flat.image_shape
    np.testing.assert_array_equal(img.reshape(img.shape[0], -1), _np(flat.x["image"]))


# -- bad input -----------------------------------------------------------------------
@pytest.mark.parametrize("name, kwargs, exc, words", [
    ("shapes_with_captions", {"n": 0}, ValueError, "n must be"),
    ("shapes_with_captions", {"n": -5}, ValueError, "n must be"),
    ("shapes_with_captions", {"n": 2.5}, TypeError, "n must be"),
    ("shapes_with_captions", {"image_size": 4}, ValueError, "image_size"),
    ("shapes_with_captions", {"n_shapes": 7}, ValueError, "n_shapes"),
    ("shapes_with_captions", {"noise": -0.1}, ValueError, "noise"),
    ("shapes_with_captions", {"seed": -1}, ValueError, "seed"),
    ("shapes_with_captions", {"seed": "zero"}, TypeError, "seed"),
    ("tones_with_spectrograms", {"length": 8}, ValueError, "length"),
    ("tones_with_spectrograms", {"n_bands": 0}, ValueError, "n_bands"),
    ("reviews", {"ambiguous": 0.6}, ValueError, "ambiguous"),
    ("reviews", {"n": True}, TypeError, "n must be"),
    ("users_items", {"n_users": 0}, ValueError, "n_users"),
    ("users_items", {"n_users": 2, "n_items": 3, "n_interactions": 7}, ValueError,
     "n_interactions"),
    ("users_items", {"target": "stars"}, ValueError, "target"),
    ("image_caption_pairs", {"n": 0}, ValueError, "n must be"),
])
def test_generators_reject_bad_arguments(name, kwargs, exc, words):
    with pytest.raises(exc, match=re.escape(words)) as info:
        D.make(name, **kwargs)
    assert name in str(info.value)


def test_make_by_name_with_did_you_mean():
    assert _same(D.make("reviews", n=50, seed=1), D.reviews(n=50, seed=1))
    with pytest.raises(ValueError, match="did you mean 'reviews'"):
        D.make("reveiws")


# -- Vocabulary ------------------------------------------------------------------------
WORDS = ["red", "green", "a", "circle", "big", "not", "good", "!", ","]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), min_size=0, max_size=6), min_size=1,
                max_size=5))
def test_vocabulary_round_trips(sentences):
    vocab = D.Vocabulary(WORDS, max_len=6)
    texts = [" ".join(s) for s in sentences]
    ids = vocab.encode(texts)
    assert tuple(ids.shape) == (len(texts), 6)
    assert vocab.decode(ids) == [" ".join(vocab.tokenize(t)) for t in texts]
    arr = _np(ids)
    for row, s in zip(arr, sentences, strict=True):   # padded with 0 at the end
        assert np.all(row[len(s):] == 0) and np.all(row[:len(s)] >= 2)


def test_vocabulary_tokenises_pads_cuts_and_marks_unknown_words():
    vocab = D.Vocabulary.fit(["The food was NOT bad!", "great food"])
    assert vocab.tokens[:2] == ["<pad>", "<unk>"]
    assert vocab.tokens[2:] == ["the", "food", "was", "not", "bad", "!", "great"]
    assert vocab.max_len == 6 and len(vocab) == 9
    assert D.Vocabulary.tokenize("Not bad, really!") == ["not", "bad", ",", "really", "!"]
    ids = _np(vocab.encode(["great food", "the pizza"]))
    np.testing.assert_array_equal(ids, [[8, 3, 0, 0, 0, 0], [2, 1, 0, 0, 0, 0]])
    assert vocab.decode(ids) == ["great food", "the <unk>"]
    assert vocab.decode(ids, skip_pad=False)[0] == "great food <pad> <pad> <pad> <pad>"
    assert _np(vocab.encode("the food was not bad ! great", max_len=3)).tolist() == [[2, 3, 4]]
    assert vocab.index("FOOD") == 3 and vocab.index("pizza") == 1
    assert "food" in vocab and "pizza" not in vocab
    free = D.Vocabulary(["a", "b"])                            # no max_len: longest text
    assert tuple(free.encode(["a", "a b a"]).shape) == (2, 3)


def test_vocabulary_rejects_bad_input():
    vocab = D.Vocabulary(["a", "b"], max_len=3)
    with pytest.raises(TypeError, match="texts must be a list of str"):
        vocab.encode([1, 2])
    with pytest.raises(TypeError, match="single str"):
        D.Vocabulary("abc")
    with pytest.raises(ValueError, match=r"ids must be in \[0, 3\], got 7"):
        vocab.decode(np.array([[1, 7]]))
    with pytest.raises(ValueError, match="max_len"):
        vocab.encode(["a"], max_len=0)
    with pytest.raises(ValueError, match=r"shape \(n, steps\)"):
        vocab.decode(np.zeros((1, 2, 3), dtype=np.int64))


def test_bag_of_words_counts_words_and_ignores_padding(backend):
    ids = mm.backend.asarray(np.array([[2, 3, 2, 0], [1, 0, 0, 0]]), dtype="int64")
    counts = D.bag_of_words(ids, 5)
    assert array_namespace(counts) is backend
    np.testing.assert_array_equal(_np(counts), [[0, 0, 2, 1, 0], [0, 1, 0, 0, 0]])
    with pytest.raises(ValueError, match=r"ids must be in \[0, 2\], got 3"):
        D.bag_of_words(ids, 3)


def _bag_of_words_by_one_hot(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """The definition, through the (n, steps, V) one-hot bag_of_words used to build."""
    onehot = (ids[:, :, None] == np.arange(vocab_size)[None, None, :]).astype(np.float32)
    return onehot.sum(axis=1) * (np.arange(vocab_size) != 0).astype(np.float32)[None, :]


@pytest.mark.parametrize("n, steps, vocab_size", [(6, 4, 5), (300, 25, 200), (3, 0, 4),
                                                  (0, 3, 4), (5, 1, 1)])
def test_bag_of_words_equals_the_one_hot_sum_bit_for_bit(n, steps, vocab_size, backend):
    ids = np.random.default_rng(n + steps).integers(0, vocab_size, (n, steps))
    got = _np(D.bag_of_words(mm.backend.asarray(ids, dtype="int64"), vocab_size))
    want = _bag_of_words_by_one_hot(ids, vocab_size)
    assert got.dtype == want.dtype == np.float32 and got.shape == want.shape
    assert got.tobytes() == want.tobytes()


def test_bag_of_words_never_builds_the_one_hot():
    """Peak memory stays near the (n, V) result, not the (n, steps, V) one-hot (25x)."""
    import tracemalloc

    ids = np.random.default_rng(0).integers(0, 1000, (1000, 25))
    tracemalloc.start()
    try:
        D.bag_of_words(ids, 1000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    result = 1000 * 1000 * 4
    assert peak < 4 * result, f"peak {peak / 2**20:.1f} MiB for a {result / 2**20:.1f} MiB result"


# -- splitting and batching ---------------------------------------------------------------
def _indexed(n, xp=None):
    idx = np.arange(n)
    x = {"a": mm.backend.asarray(idx.astype(np.float32)[:, None] * np.ones((1, 3), np.float32)),
         "b": mm.backend.asarray(idx, dtype="int64")}
    y = mm.backend.asarray(idx, dtype="int64")
    return x, y


@pytest.mark.parametrize("n, test_size", [(10, 0.2), (101, 0.33), (7, 0.5), (2, 0.01)])
def test_train_test_split_puts_every_sample_in_exactly_one_part(n, test_size, backend):
    x, y = _indexed(n)
    x_tr, x_te, y_tr, y_te = D.train_test_split(x, y, test_size=test_size, seed=0)
    assert array_namespace(y_tr) is backend
    tr, te = _np(y_tr), _np(y_te)
    assert len(te) == math.ceil(test_size * n) and len(tr) == n - len(te)
    assert sorted(np.concatenate([tr, te]).tolist()) == list(range(n))
    for part, ids in ((x_tr, tr), (x_te, te)):          # rows stay aligned across modalities
        np.testing.assert_array_equal(_np(part["b"]), ids)
        np.testing.assert_array_equal(_np(part["a"])[:, 2], ids)
    again = D.train_test_split(x, y, test_size=test_size, seed=0)
    np.testing.assert_array_equal(_np(again[3]), te)


def test_train_test_split_shuffles_and_works_without_y():
    x, y = _indexed(200)
    _, _, _, y_te = D.train_test_split(x, y, seed=1)
    assert not np.array_equal(np.sort(_np(y_te)), np.arange(160, 200))
    x_tr, x_te = D.train_test_split(x["a"], test_size=0.25, seed=1)
    assert tuple(x_tr.shape) == (150, 3) and tuple(x_te.shape) == (50, 3)


@pytest.mark.parametrize("test_size", [0, 1, 1.5, -0.2, float("nan")])
def test_train_test_split_rejects_bad_test_size(test_size):
    x, y = _indexed(10)
    with pytest.raises(ValueError, match=r"test_size must be in \(0.0, 1.0\)"):
        D.train_test_split(x, y, test_size=test_size)


def test_split_and_batches_reject_mismatched_or_missing_data():
    x, y = _indexed(10)
    with pytest.raises(ValueError, match="same batch size"):
        D.train_test_split(x, y[:9])
    with pytest.raises(ValueError, match="same batch size"):
        D.train_test_split({"a": x["a"], "b": x["b"][:5]}, y)
    with pytest.raises(ValueError, match="leaves no training sample"):
        D.train_test_split(x["a"][:2], test_size=0.9)
    with pytest.raises(TypeError, match=r"x\['a'\] must be an array"):
        D.train_test_split({"a": [1, 2]})
    with pytest.raises(ValueError, match="batch_size must be"):
        next(D.batches(x, y, batch_size=0))
    with pytest.raises(ValueError, match="empty dict"):
        D.train_test_split({}, None)


@pytest.mark.parametrize("n, batch_size", [(10, 3), (8, 4), (5, 32)])
def test_batches_cover_every_sample_once(n, batch_size, backend):
    x, y = _indexed(n)
    seen, sizes = [], []
    for xb, yb in D.batches(x, y, batch_size=batch_size, seed=2):
        np.testing.assert_array_equal(_np(xb["b"]), _np(yb))
        seen += _np(yb).tolist()
        sizes.append(len(_np(yb)))
    assert sorted(seen) == list(range(n))
    assert sizes == [min(batch_size, n - i) for i in range(0, n, batch_size)]
    ordered = [_np(xb["b"]).tolist() for xb in D.batches(x, batch_size=batch_size,
                                                          shuffle=False)]
    assert sum(ordered, []) == list(range(n))


def test_batches_shuffle_follows_the_seed():
    x, y = _indexed(50)
    a = [_np(yb).tolist() for _, yb in D.batches(x, y, batch_size=10, seed=3)]
    b = [_np(yb).tolist() for _, yb in D.batches(x, y, batch_size=10, seed=3)]
    c = [_np(yb).tolist() for _, yb in D.batches(x, y, batch_size=10, seed=4)]
    assert a == b and a != c and sum(a, []) != list(range(50))


# -- scaling ---------------------------------------------------------------------------------
def test_standardize_uses_training_statistics(backend):
    g = np.random.default_rng(0)
    tr_np = g.normal(3.0, 2.0, size=(50, 4)).astype(np.float32)
    te_np = g.normal(0.0, 5.0, size=(20, 4)).astype(np.float32)
    tr, te = mm.backend.asarray(tr_np), mm.backend.asarray(te_np)
    z_tr, z_te = D.standardize(tr, te)
    assert array_namespace(z_te) is backend
    np.testing.assert_allclose(_np(z_tr).mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(_np(z_tr).std(axis=0), 1, atol=1e-4)
    expected = (te_np - tr_np.mean(axis=0)) / (tr_np.std(axis=0) + 1e-7)
    np.testing.assert_allclose(_np(z_te), expected, rtol=1e-5, atol=1e-5)
    assert _np(D.standardize(tr)).shape == (50, 4)            # one set in, one array out


def test_normalize_maps_the_training_range_to_unit_interval():
    g = np.random.default_rng(1)
    tr = g.uniform(-3, 7, size=(40, 3)).astype(np.float32)
    te = np.array([[-3.0, 7.0, 100.0]], dtype=np.float32)
    n_tr, n_te = D.normalize(tr, te)
    np.testing.assert_allclose(n_tr.min(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(n_tr.max(axis=0), 1, atol=1e-6)
    lo, hi = tr.min(axis=0), tr.max(axis=0)
    np.testing.assert_allclose(n_te, (te - lo) / (hi - lo + 1e-7), rtol=1e-5)
    assert n_te[0, 2] > 1                                     # outside the training range


def test_scalers_on_dicts_leave_ids_alone():
    ds = D.shapes_with_captions(n=100, seed=0)
    scaler = D.Standardizer().fit(ds.x)
    out = scaler.transform(ds.x)
    assert out["text"] is ds.x["text"]
    np.testing.assert_allclose(_np(out["image"]).mean(axis=0), 0, atol=1e-5)
    with pytest.raises(ValueError, match=r"lacks the modalities \['image'\]"):
        scaler.transform({"text": ds.x["text"]})


def test_scalers_reject_bad_use():
    with pytest.raises(RuntimeError, match="call fit"):
        D.Standardizer().transform(np.ones((3, 2), np.float32))
    s = D.Normalizer().fit(np.ones((3, 2), np.float32))
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        s.transform(np.ones((3, 5), np.float32))
    with pytest.raises(TypeError, match="must be a float array"):
        D.Standardizer().fit(np.ones((3, 2), np.int64))


def test_split_and_batches_take_a_dataset_whole():
    ds = D.reviews(n=50, seed=0)
    x_tr, x_te, y_tr, y_te = D.train_test_split(ds, test_size=0.2, seed=1)
    ref = D.train_test_split(ds.x, ds.y, test_size=0.2, seed=1)
    np.testing.assert_array_equal(_np(x_te["text"]), _np(ref[1]["text"]))
    np.testing.assert_array_equal(_np(y_tr), _np(ref[2]))
    assert sum(len(_np(yb)) for _, yb in D.batches(ds, batch_size=16)) == 50
    with pytest.raises(TypeError, match="carries its own y"):
        D.train_test_split(ds, ds.y)


def test_reviews_ceiling_counts_half_of_the_ambiguous_cases():
    case = np.array([0, 0, 1, 2, 2, 0, 1, 0])   # 2 text-ambiguous, 2 emoji-ambiguous
    assert mm.data.reviews_ceiling(case, "text") == (8 - 2 / 2) / 8
    assert mm.data.reviews_ceiling(case, "image") == (8 - 2 / 2) / 8
    assert mm.data.reviews_ceiling(np.array([1, 1, 0]), "image") == 1.0
    ds = mm.data.reviews(n=4000, seed=3)
    assert abs(mm.data.reviews_ceiling(ds.extras["case"], "text") - 0.825) < 0.02


@pytest.mark.parametrize("case, modality", [
    (np.array([0, 3]), "text"), (np.array([], dtype=int), "text"),
    (np.zeros((2, 2), dtype=int), "text"), (np.array([0, 1]), "audio")])
def test_reviews_ceiling_rejects_bad_input(case, modality):
    with pytest.raises(ValueError, match="reviews_ceiling"):
        mm.data.reviews_ceiling(case, modality)
