"""mmlearn.contrastive: symmetric InfoNCE, the CLIP-style DualEncoder, zero-shot, recall@k."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mmlearn as mm
from mmlearn import contrastive as C
from mmlearn import data as D
from mmlearn import gradcheck
from mmlearn import layers as L
from mmlearn.backend import array_namespace, asarray, to_numpy
from mmlearn.nn.layer import Layer

TOL = 1e-6


def _arr(a, dtype="float64"):
    return asarray(np.asarray(a), dtype=dtype)


def _logits(n, seed=0, scale=1.0):
    return _arr(scale * np.random.default_rng(seed).standard_normal((n, n)))


def _infonce_by_hand(S, match=None):
    """½ (mean_i −log softmax_row(S)[i, m_i] + mean_i −log softmax_col(S)[i, m_i]),
    written out with Python floats."""
    S = np.asarray(S, dtype=np.float64)
    n = S.shape[0]
    match = list(range(n)) if match is None else list(match)
    rows = cols = 0.0
    for i, j in enumerate(match):
        rows += -(S[i, j] - math.log(sum(math.exp(v) for v in S[i, :])))
        cols += -(S[i, j] - math.log(sum(math.exp(v) for v in S[:, j])))
    return 0.5 * (rows + cols) / n


# =====================================================================================
# InfoNCE
# =====================================================================================
def test_infonce_value_matches_the_formula():
    S = np.array([[2.0, 0.5, -1.0], [0.1, 1.5, 0.3], [-0.4, 0.9, 0.7]])
    assert float(to_numpy(C.InfoNCE()(None, _arr(S)))) == pytest.approx(_infonce_by_hand(S),
                                                                      rel=1e-12)
    perm = [2, 0, 1]
    assert float(to_numpy(C.InfoNCE()(np.array(perm), _arr(S)))) == pytest.approx(
        _infonce_by_hand(S, perm), rel=1e-12)
    # temperature divides the logits first
    assert float(to_numpy(C.InfoNCE(temperature=0.5)(None, _arr(S)))) == pytest.approx(
        _infonce_by_hand(S / 0.5), rel=1e-12)


def test_infonce_limits():
    n = 6
    uniform = C.InfoNCE()(None, _arr(np.zeros((n, n))))
    assert float(to_numpy(uniform)) == pytest.approx(math.log(n), rel=1e-12)   # chance
    perfect = C.InfoNCE()(None, _arr(50.0 * np.eye(n)))
    assert float(to_numpy(perfect)) < 1e-15
    wrong = C.InfoNCE()(None, _arr(50.0 * (1 - np.eye(n))))
    assert float(to_numpy(wrong)) > 45


def test_infonce_is_stable_for_huge_logits(backend):
    S = _arr(np.array([[1e4, -1e4, 0.0], [3e4, 1e4, 2e4], [0.0, 0.0, -5e3]]))
    loss = C.InfoNCE()
    value = float(to_numpy(loss(None, S)))
    grad = to_numpy(loss.backward())
    assert math.isfinite(value) and np.all(np.isfinite(grad))
    assert value == pytest.approx(_infonce_by_hand_stable(to_numpy(S)), rel=1e-9)


def _infonce_by_hand_stable(S):
    def lse(v):
        m = max(v)
        return m + math.log(sum(math.exp(x - m) for x in v))
    n = S.shape[0]
    return 0.5 * sum(-(S[i, i] - lse(S[i, :])) - (S[i, i] - lse(S[:, i]))
                     for i in range(n)) / n


@pytest.mark.parametrize("temperature", [None, 0.3])
@pytest.mark.parametrize("perm", [None, [3, 0, 4, 1, 2]])
def test_infonce_gradient_check(backend, temperature, perm):
    y_true = None if perm is None else asarray(np.array(perm), dtype="int64")
    err = gradcheck.check_loss(C.InfoNCE(temperature), y_true, _logits(5, seed=1, scale=2.0))
    assert err < TOL


def test_infonce_gradient_has_zero_row_and_column_sums():
    loss = C.InfoNCE()
    loss(None, _logits(7, seed=2))
    g = to_numpy(loss.backward())
    # each softmax row sums to 1 like its one-hot target, so the row-direction part sums to 0
    # along rows and the column part along columns; their total is 0
    assert abs(g.sum()) < 1e-12
    assert np.all(np.diag(g) < 0)              # pulling the matched pairs up


@settings(max_examples=30, deadline=None)
@given(st.permutations(list(range(5))), st.integers(0, 2**31 - 1))
def test_infonce_with_indices_equals_the_diagonal_of_reordered_columns(perm, seed):
    S = np.random.default_rng(seed).standard_normal((5, 5)) * 3
    a = float(to_numpy(C.InfoNCE()(np.array(perm), _arr(S))))
    b = float(to_numpy(C.InfoNCE()(None, _arr(S[:, perm]))))
    assert a == pytest.approx(b, rel=1e-12, abs=1e-12)


def test_infonce_is_reachable_from_losses():
    from mmlearn import losses

    assert losses.InfoNCE is C.InfoNCE
    assert isinstance(losses.get("infonce"), C.InfoNCE)
    assert isinstance(losses.get("InfoNCE"), C.InfoNCE)


def test_infonce_rejects_bad_input():
    loss = C.InfoNCE()
    with pytest.raises(ValueError, match=r"square \(N, N\).*got shape \(2, 3\)"):
        loss(None, _arr(np.zeros((2, 3))))
    with pytest.raises(ValueError, match="2-d array"):
        loss(None, _arr(np.zeros(3)))
    with pytest.raises(ValueError, match="permutation of 0..2"):
        loss(np.array([0, 0, 1]), _arr(np.zeros((3, 3))))
    with pytest.raises(ValueError, match=r"\(3,\) array of matched indices, got shape \(2,\)"):
        loss(np.array([0, 1]), _arr(np.zeros((3, 3))))
    with pytest.raises(TypeError, match="y_pred must be a 2-d array of numbers"):
        loss(None, "logits")
    with pytest.raises(ValueError, match="temperature must be a positive number"):
        C.InfoNCE(temperature=0)
    with pytest.raises(RuntimeError, match="backward called before"):
        C.InfoNCE().backward()


# =====================================================================================
# DualEncoder
# =====================================================================================
def _pairs(n=4, d_img=7, d_txt=5, seed=1):
    g = np.random.default_rng(seed)
    return {"image": _arr(g.standard_normal((n, d_img))),
            "text": _arr(g.standard_normal((n, d_txt)))}


def _to_float64(model):
    for key in list(model.params):
        p = model.params[key]
        model.params[key] = array_namespace(p).astype(p, array_namespace(p).float64)


def _dual(learn_temperature=True, embed_dim=3):
    image = mm.Sequential([L.Dense(6, activation="tanh"), L.Dense(5)])
    text = L.Dense(4, activation="tanh")
    return C.DualEncoder(image, text, embed_dim=embed_dim, learn_temperature=learn_temperature)


@pytest.mark.parametrize("learn_temperature", [True, False])
def test_dual_encoder_gradient_check(backend, learn_temperature):
    model = _dual(learn_temperature)
    x = _pairs()
    model(x)
    _to_float64(model)
    errors = gradcheck.check_layer(model, x)
    expected = {"x[image]", "x[text]", "W_img", "W_txt", "text_encoder/W", "text_encoder/b"}
    if learn_temperature:
        expected.add("logit_scale")
    assert expected <= set(errors)
    assert sum(k.startswith("image_encoder/") for k in errors) == 4     # 2 Dense x (W, b)
    assert max(errors.values()) < TOL, errors
    if learn_temperature:
        assert tuple(model.params["logit_scale"].shape) == (1,)


def test_dual_encoder_gradient_through_the_loss_and_an_embedding_tower(backend):
    """The whole chain InfoNCE ∘ DualEncoder, with a token-id text tower (Embedding →
    pooling → Dense): every parameter's gradient against central differences."""
    image = L.Dense(4, activation="tanh")
    text = mm.Sequential([L.Embedding(6, 3), L.GlobalAveragePooling1D(), L.Dense(4)])
    model = C.DualEncoder(image, text, embed_dim=3, temperature=0.5)
    ids = asarray(np.array([[1, 2, 0], [3, 3, 1], [5, 4, 2], [2, 0, 0]]), dtype="int64")
    x = {"image": _arr(np.random.default_rng(3).standard_normal((4, 5))), "text": ids}
    model(x)
    _to_float64(model)
    loss = C.InfoNCE()
    loss(None, model(x))
    model.backward(loss.backward())
    analytic = {k: to_numpy(v).copy() for k, v in model.grads.items()}
    assert set(analytic) == set(model.params)
    for key in list(model.params):
        original = model.params[key]

        def f(v, key=key):
            model.params[key] = asarray(v, dtype="float64")
            return float(to_numpy(loss(None, model(x))))

        numeric = gradcheck.numerical_gradient(f, to_numpy(original))
        model.params[key] = original
        assert gradcheck.relative_error(analytic[key], numeric) < TOL, key


def test_dual_encoder_forward_is_scaled_cosine_similarity():
    model = _dual()
    x = _pairs(n=5)
    logits = to_numpy(model(x))
    img = to_numpy(model.encode_image(x["image"]))
    txt = to_numpy(model.encode_text(x["text"]))
    np.testing.assert_allclose(np.linalg.norm(img, axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(txt, axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(logits, (1 / 0.07) * img @ txt.T, rtol=1e-5, atol=1e-5)
    assert model.logit_scale == pytest.approx(1 / 0.07, rel=1e-6)
    assert float(to_numpy(model.params["logit_scale"])[0]) == pytest.approx(
        math.log(1 / 0.07), rel=1e-6)
    assert np.all(np.abs(logits) <= 1 / 0.07 + 1e-4)
    # encoding in batches gives the same embeddings
    np.testing.assert_allclose(to_numpy(model.encode_image(x["image"], batch_size=2)), img,
                               rtol=1e-6)


def test_dual_encoder_params_reach_the_encoders_and_write_through():
    model = _dual()
    model(_pairs())
    keys = list(model.params)
    assert keys[:3] == ["W_img", "W_txt", "logit_scale"]
    assert "text_encoder/W" in keys and sum(k.startswith("image_encoder/") for k in keys) == 4
    assert model.params["text_encoder/W"] is model.text_encoder.params["W"]
    new = np.zeros((5, 4), dtype=np.float32)
    model.params["text_encoder/W"] = asarray(new)
    assert np.all(to_numpy(model.text_encoder.params["W"]) == 0)
    assert model.count_params() == 7 * 6 + 6 + 6 * 5 + 5 + 5 * 4 + 4 + 5 * 3 + 4 * 3 + 1
    weights = model.get_weights()
    other = _dual()
    other(_pairs())
    other.set_weights(weights)
    for a, b in zip(other.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(KeyError):
        model.params["text_encoder/nope"] = asarray(new)


def test_dual_encoder_weights_save_and_load_into_a_fresh_copy(tmp_path, backend):
    def build(seed):
        mm.set_seed(seed)
        model = C.DualEncoder(mm.Sequential([L.Dense(5, activation="relu"), L.Dense(4)]),
                              L.Dense(3), embed_dim=2)
        model({"image": asarray(np.ones((2, 6)), dtype="float32"),
               "text": asarray(np.ones((2, 4)), dtype="float32")})
        return model
    a, b = build(0), build(1)
    a.save_weights(tmp_path / "clip.npz")
    b.load_weights(tmp_path / "clip.npz")
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    other = C.DualEncoder(L.Dense(5), L.Dense(3), embed_dim=2)
    other({"image": asarray(np.ones((2, 6)), dtype="float32"),
           "text": asarray(np.ones((2, 4)), dtype="float32")})
    with pytest.raises(ValueError, match="Nothing was loaded"):
        other.load_weights(tmp_path / "clip.npz")


def test_dual_encoder_fit_aligns_pairs_and_learns_the_temperature():
    mm.set_seed(0)
    g = np.random.default_rng(0)
    n = 64
    latent = g.standard_normal((n, 4))
    x = {"image": asarray(latent @ g.standard_normal((4, 10)) + 0.05 * g.standard_normal((n, 10)),
                          dtype="float32"),
         "text": asarray(latent @ g.standard_normal((4, 8)) + 0.05 * g.standard_normal((n, 8)),
                         dtype="float32")}
    model = C.DualEncoder(L.Dense(16, activation="tanh"), L.Dense(16, activation="tanh"),
                          embed_dim=8)
    model(x)
    before = C.recall_at_k(model.encode_image(x["image"]), model.encode_text(x["text"]), 1)
    history = model.fit(x, epochs=60, batch_size=32, optimizer=mm.optimizers.Adam(0.01),
                        verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 60 and len(history.history["logit_scale"]) == 60
    assert losses[-1] < 0.5 * losses[0]
    after = C.recall_at_k(model.encode_image(x["image"]), model.encode_text(x["text"]), 1)
    assert after > 0.8 and after > before + 0.4, (before, after)
    assert history.history["logit_scale"][-1] != pytest.approx(math.log(1 / 0.07))
    assert model.logit_scale <= 100 + 1e-3


def test_dual_encoder_fit_is_deterministic_and_prints_when_asked(capsys):
    def run():
        mm.set_seed(4)
        model = C.DualEncoder(L.Dense(4), L.Dense(4), embed_dim=3)
        x = {k: asarray(v, dtype="float32") for k, v in
             {"image": np.arange(60.0).reshape(10, 6) % 7, "text": np.arange(50.0).reshape(10, 5)
              % 3}.items()}
        return model.fit(x, epochs=2, batch_size=4, verbose=1).history["loss"], model
    a, model = run()
    b, _ = run()
    assert a == b
    out = capsys.readouterr().out
    # the progress bar every model's fit prints, with the logged scale beside the loss
    assert "Epoch 1/2\n" in out and "Epoch 2/2\n" in out
    assert "- loss:" in out and "- logit_scale:" in out


def test_dual_encoder_fit_casts_float64_data_to_the_parameters_dtype():
    mm.set_seed(0)
    model = C.DualEncoder(L.Dense(4), L.Dense(4), embed_dim=2)
    x = _pairs(n=6)                                       # float64 data, float32 weights
    history = model.fit(x, epochs=2, batch_size=3, verbose=0)
    assert all(math.isfinite(v) for v in history.history["loss"])
    assert all(to_numpy(p).dtype == np.float32 for p in model.params.values())


def test_dual_encoder_fit_keeps_frozen_parts_fixed():
    mm.set_seed(0)
    image = mm.Sequential([L.Dense(5, activation="relu"), L.Dense(4)])
    text = L.Dense(4)
    model = C.DualEncoder(image, text, embed_dim=3, learn_temperature=False)
    x = _pairs(n=12, seed=5)
    x = {k: array_namespace(v).astype(v, array_namespace(v).float32) for k, v in x.items()}
    model(x)
    image.trainable = False
    frozen = [w.copy() for w in image.get_weights()]
    text_before = text.get_weights()[0].copy()
    proj_before = to_numpy(model.params["W_img"]).copy()
    model.fit(x, epochs=3, batch_size=6, verbose=0)
    for a, b in zip(image.get_weights(), frozen, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(text.get_weights()[0], text_before)
    assert not np.array_equal(to_numpy(model.params["W_img"]), proj_before)
    assert "logit_scale" not in model.params
    assert model.logit_scale == pytest.approx(1 / 0.07)


def test_dual_encoder_fit_caps_the_logit_scale_at_100():
    mm.set_seed(0)
    model = C.DualEncoder(L.Dense(3), L.Dense(3), embed_dim=2, temperature=0.0101)
    x = _pairs(n=8, d_img=3, d_txt=3, seed=2)
    x = {k: array_namespace(v).astype(v, array_namespace(v).float32) for k, v in x.items()}
    model(x)
    model.params["logit_scale"] = asarray(np.full(1, math.log(150.0)), dtype="float32")
    model.fit(x, epochs=1, batch_size=8, optimizer=mm.optimizers.SGD(1e-6), verbose=0)
    assert model.logit_scale == pytest.approx(100.0, rel=1e-5)
    capped = model.params["logit_scale"]           # still an array the optimizer can update
    assert isinstance(capped, np.ndarray) and capped.shape == (1,)
    model.fit(x, epochs=1, batch_size=8, optimizer=mm.optimizers.SGD(10.0), verbose=0)
    assert model.logit_scale != pytest.approx(100.0, rel=1e-5)


def test_dual_encoder_fits_on_the_strict_backend(backend):
    mm.set_seed(1)
    ds = D.image_caption_pairs(n=40, seed=0)
    text = mm.Sequential([L.Embedding(len(ds.vocab), 4), L.GlobalAveragePooling1D()])
    model = C.DualEncoder(L.Dense(8, activation="relu"), text, embed_dim=4)
    history = model.fit(ds.x, epochs=2, batch_size=16, verbose=0)
    assert all(math.isfinite(v) for v in history.history["loss"])
    emb = model.encode_image(ds.x["image"])
    assert array_namespace(emb) is backend and tuple(emb.shape) == (40, 4)


def test_dual_encoder_rejects_bad_input():
    with pytest.raises(TypeError, match="image_encoder must be a Layer"):
        C.DualEncoder("cnn", L.Dense(3), 4)
    with pytest.raises(ValueError, match="embed_dim must be a positive int"):
        C.DualEncoder(L.Dense(3), L.Dense(3), 0)
    with pytest.raises(ValueError, match="temperature must be a positive number"):
        C.DualEncoder(L.Dense(3), L.Dense(3), 4, temperature=-1)
    shared = L.Dense(3)
    with pytest.raises(ValueError, match="must be different layers"):
        C.DualEncoder(shared, shared, 4)
    model = C.DualEncoder(L.Dense(3), L.Dense(3), 2)
    with pytest.raises(RuntimeError, match="has not seen data"):
        model.encode_image(_arr(np.zeros((2, 3))))
    x = _pairs(n=3)
    with pytest.raises(ValueError, match="did you mean 'image'"):
        model({"imgae": x["image"], "text": x["text"]})
    with pytest.raises(ValueError, match="missing 'text'"):
        model({"image": x["image"]})
    with pytest.raises(ValueError, match="same batch size"):
        model({"image": x["image"], "text": x["text"][:2]})
    with pytest.raises(TypeError, match="expects a dict"):
        model(x["image"])
    with pytest.raises(ValueError, match="batch_size must be at least 2"):
        model.fit(x, batch_size=1)
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'.*did you mean 'adam'"):
        model.fit(x, optimizer="adamm")
    with pytest.raises(ValueError, match="at least 2 pairs"):
        model.fit({k: v[:1] for k, v in x.items()})
    model(x)
    with pytest.raises(ValueError, match=r"grad_out of shape \(3, 3\)"):
        model.backward(_arr(np.zeros((2, 2))))


def test_dual_encoder_asks_for_flat_features():
    class Grid(Layer):
        def forward(self, x, training=False):
            return array_namespace(x).reshape(x, (x.shape[0], 2, -1))

    model = C.DualEncoder(Grid(), L.Dense(3), 2)
    with pytest.raises(ValueError, match="image encoder must output \\(batch, features\\)"):
        model(_pairs(n=2, d_img=4))


# =====================================================================================
# zero-shot and recall@k
# =====================================================================================
def _identity_dual(num_classes, vocab):
    """Towers that map class c's image and class c's word to the same unit vector."""
    image = L.Dense(num_classes, use_bias=False)
    text = mm.Sequential([L.Embedding(len(vocab), num_classes), L.GlobalAveragePooling1D()])
    model = C.DualEncoder(image, text, embed_dim=num_classes)
    x = {"image": _arr(np.eye(num_classes), "float32"),
         "text": vocab.encode(vocab.tokens[2:2 + num_classes])}
    model(x)
    eye = np.eye(num_classes, dtype=np.float32)
    model.params["W_img"] = asarray(eye)
    model.params["W_txt"] = asarray(eye)
    model.params["image_encoder/W"] = asarray(eye)
    table = np.zeros((len(vocab), num_classes), np.float32)
    table[2:2 + num_classes] = eye
    key = next(k for k in model.params if k.endswith("/embeddings"))
    model.params[key] = asarray(table)
    return model


def test_zero_shot_picks_the_nearest_class_prompt(backend):
    vocab = D.Vocabulary(["cat", "dog", "bird"], max_len=1)
    model = _identity_dual(3, vocab)
    g = np.random.default_rng(0)
    y = g.integers(0, 3, 30)
    images = asarray(np.eye(3)[y] + 0.2 * g.standard_normal((30, 3)), dtype="float32")
    pred = C.zero_shot_classify(model, images, vocab.encode(["cat", "dog", "bird"]))
    assert array_namespace(pred) is backend
    np.testing.assert_array_equal(to_numpy(pred), y)
    # the same with the prompts as strings, and in another order of classes
    pred2 = C.zero_shot_classify(model, images, ["bird", "cat", "dog"], vocab=vocab)
    np.testing.assert_array_equal(to_numpy(pred2), (y + 1) % 3)


def test_zero_shot_rejects_bad_input():
    vocab = D.Vocabulary(["cat", "dog"], max_len=1)
    model = _identity_dual(2, vocab)
    images = _arr(np.eye(2), "float32")
    with pytest.raises(TypeError, match="pass vocab="):
        C.zero_shot_classify(model, images, ["cat", "dog"])
    with pytest.raises(TypeError, match="model must be a DualEncoder"):
        C.zero_shot_classify(L.Dense(2), images, ["cat"], vocab=vocab)
    with pytest.raises(TypeError, match="single str"):
        C.zero_shot_classify(model, images, "cat", vocab=vocab)


def test_recall_at_k_on_hand_made_embeddings(backend):
    q = _arr(np.eye(4))
    assert C.recall_at_k(q, q, 1) == 1.0
    # query i is closest to target (i + 1) % 4, then to its own target i
    t = np.zeros((4, 4))
    for i in range(4):
        t[i, i] = 0.8
        t[(i - 1) % 4, i] = 1.0
    t_arr = _arr(t.T)            # row j of targets: target j
    sims = np.eye(4) @ (t.T / np.linalg.norm(t.T, axis=1, keepdims=True)).T
    assert np.all(np.argmax(sims, axis=1) == (np.arange(4) + 1) % 4)
    assert C.recall_at_k(q, t_arr, 1) == 0.0
    assert C.recall_at_k(q, t_arr, 2) == 1.0
    assert C.recall_at_k(q, t_arr, 4) == 1.0
    # cosine, not dot product: scaling a target changes nothing
    scaled = t.T * np.array([[1.0], [10.0], [0.1], [3.0]])
    assert C.recall_at_k(q, _arr(scaled), 2) == 1.0


def test_recall_at_k_counts_ties_as_a_random_draw():
    q = _arr(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    t = _arr(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))   # two identical captions
    # queries 0 and 1 each tie with the other's caption: half a hit each at k = 1
    assert C.recall_at_k(q, t, 1) == pytest.approx((0.5 + 0.5 + 1.0) / 3)
    assert C.recall_at_k(q, t, 2) == pytest.approx(1.0)


def test_recall_at_k_of_random_embeddings_is_near_chance():
    g = np.random.default_rng(0)
    n = 400
    q, t = _arr(g.standard_normal((n, 16))), _arr(g.standard_normal((n, 16)))
    for k in (1, 10):
        assert abs(C.recall_at_k(q, t, k) - k / n) < 4 * math.sqrt(k / n / n) + 1e-9


def test_recall_at_k_rejects_bad_input():
    q = _arr(np.eye(3))
    with pytest.raises(ValueError, match="same shape"):
        C.recall_at_k(q, _arr(np.eye(4)), 1)
    with pytest.raises(ValueError, match="k must be a positive int"):
        C.recall_at_k(q, q, 0)
    with pytest.raises(ValueError, match="NaN or inf"):
        C.recall_at_k(q, _arr(np.full((3, 3), np.nan)), 1)
    with pytest.raises(ValueError, match="2-d array"):
        C.recall_at_k(_arr(np.ones(3)), _arr(np.ones(3)), 1)


def test_dual_encoder_fit_does_not_copy_arrays_back_to_the_host_per_batch(monkeypatch):
    """On a GPU every device-to-host copy stalls the step: fit may read the loss as a
    Python number per batch, but convert arrays to NumPy only per epoch (the logged scale)."""
    from array_api_strict._array_object import Array as StrictArray

    mm.set_backend("array_api_strict")
    mm.set_seed(0)
    ds = D.image_caption_pairs(n=64, seed=0)
    text = mm.Sequential([L.Embedding(len(ds.vocab), 4), L.GlobalAveragePooling1D()])
    model = C.DualEncoder(L.Dense(8, activation="relu"), text, embed_dim=4)
    model({k: v[:2, ...] for k, v in ds.x.items()})
    calls = []
    original = StrictArray.__array__

    def counting(self, *args, **kwargs):
        calls.append(tuple(self.shape))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StrictArray, "__array__", counting)
    model.fit(ds.x, epochs=3, batch_size=8, verbose=0)               # 8 batches per epoch
    assert len(calls) <= 3, calls
