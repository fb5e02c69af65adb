"""MultimodalModel: dict inputs, missing modalities (zero-filled at predict), modality
dropout, clear errors, freezing, summary counts and reuse of a pretrained encoder."""

from __future__ import annotations

import numpy as np
import pytest

import mmlearn as mm
from mmlearn import fusion, gradcheck, layers, optimizers
from mmlearn.backend import asarray, to_numpy
from mmlearn.models import MultimodalModel, Sequential


def two_modalities(n=200, seed=0):
    """The label needs both modalities: the sign of (a-part + b-part)."""
    r = np.random.default_rng(seed)
    a = r.standard_normal((n, 6)).astype(np.float32)
    b = r.standard_normal((n, 4)).astype(np.float32)
    y = ((a[:, 0] + a[:, 1] + 2 * b[:, 0]) > 0).astype(np.int64)
    return {"a": a, "b": b}, y


def make_model(fusion_layer=None, head=None, modality_dropout=0.0, compile=True):
    enc_a = Sequential([layers.Dense(8, activation="relu", input_shape=(6,))])
    enc_b = layers.Dense(8, activation="relu")
    model = MultimodalModel(encoders={"a": enc_a, "b": enc_b},
                            fusion=fusion_layer or fusion.Concat(),
                            head=head or layers.Dense(2, activation="softmax"),
                            modality_dropout=modality_dropout)
    if compile:
        model.compile(optimizer=optimizers.Adam(0.02), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def weights_equal(a, b):
    return len(a) == len(b) and all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))


def test_fit_evaluate_predict_with_dicts():
    x, y = two_modalities()
    model = make_model()
    h = model.fit(x, y, epochs=15, batch_size=32, verbose=0, validation_split=0.2)
    assert list(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert h.history["loss"][-1] < h.history["loss"][0]
    assert h.history["accuracy"][-1] > 0.85, h.history["accuracy"]
    loss, acc = model.evaluate(x, y, verbose=0)
    p = to_numpy(model.predict(x))
    assert p.shape == (200, 2)
    assert acc == pytest.approx(np.mean(np.argmax(p, 1) == y))
    # Data flow: head(fusion({m: encoder_m(x_m)})).
    enc = {m: model.encoders[m](x[m]) for m in ("a", "b")}
    manual = model.head(model.fusion(enc))
    np.testing.assert_allclose(p, to_numpy(manual), rtol=1e-6, atol=1e-7)
    assert mm.MultimodalModel is MultimodalModel


def test_fit_with_gated_fusion_on_both_backends(backend):
    x, y = two_modalities(n=64)
    mm.set_seed(0)
    model = make_model(fusion_layer=fusion.Gated(4))
    h = model.fit({k: asarray(v) for k, v in x.items()}, asarray(y), epochs=3, verbose=0)
    assert all(np.isfinite(h.history["loss"]))
    assert model.predict({k: asarray(v) for k, v in x.items()}).dtype == backend.float32
    assert any(k.startswith("fusion/") and k.endswith("/W_z") for k in model.params)


def test_missing_modality_at_predict_is_zero_filled():
    x, y = two_modalities(n=40)
    model = make_model()
    model.fit(x, y, epochs=2, verbose=0)
    only_a = to_numpy(model.predict({"a": x["a"]}))
    h_a = model.encoders["a"](x["a"])
    zeros = np.zeros((40, 8), np.float32)
    manual = model.head(model.fusion({"a": h_a, "b": zeros}))
    np.testing.assert_allclose(only_a, to_numpy(manual), rtol=1e-6, atol=1e-7)
    only_b = to_numpy(model.predict({"b": x["b"]}))
    assert only_b.shape == (40, 2)
    assert not np.allclose(only_a, to_numpy(model.predict(x)))


def test_missing_modality_before_any_data_is_a_clear_error():
    model = MultimodalModel(encoders={"a": layers.Dense(3), "b": layers.Dense(3)},
                            fusion=fusion.Concat(), head=layers.Dense(2))
    with pytest.raises(ValueError, match="modality 'b' is missing.*never seen data"):
        model.predict({"a": np.ones((2, 5), np.float32)})


@pytest.mark.parametrize(("x", "error", "match"), [
    ({"a": np.ones((10, 6))}, ValueError, r"missing modality 'b'.*predict zero-fills"),
    ({"a": np.ones((10, 6)), "b": np.ones((10, 4)), "bb": np.ones((10, 2))}, ValueError,
     r"unknown modality 'bb'.*did you mean 'b'"),
    ({"a": np.ones((10, 6)), "b": np.ones((9, 4))}, ValueError,
     r"same number of samples, got \{'a': 10, 'b': 9\}"),
    (np.ones((10, 10)), TypeError, r"dict \{modality: array\} with keys \['a', 'b'\]"),
    ({"a": np.ones((10, 6)), "b": np.full((10, 4), np.inf)}, ValueError,
     r"x\['b'\] contains NaN or inf"),
    ({"a": np.ones((10, 5)), "b": np.ones((10, 4))}, ValueError,
     r"Dense\(8\) expected input of shape \(batch, 6\), got \(batch, 5\)"),
])
def test_bad_inputs_name_the_modality(x, error, match):
    model = make_model()
    with pytest.raises(error, match=match):
        model.fit(x, np.zeros(10, np.int64), verbose=0)


def test_x_y_mismatch_and_constructor_checks():
    x, y = two_modalities(n=10)
    model = make_model()
    with pytest.raises(ValueError, match="x and y must have the same number of samples"):
        model.fit(x, y[:7], verbose=0)
    with pytest.raises(TypeError, match="non-empty dict"):
        MultimodalModel(encoders={}, fusion=fusion.Concat())
    shared = layers.Dense(3)
    with pytest.raises(ValueError, match="two modalities"):
        MultimodalModel(encoders={"a": shared, "b": shared}, fusion=fusion.Concat())
    with pytest.raises(TypeError, match="fusion"):
        MultimodalModel(encoders={"a": layers.Dense(3)}, fusion="concat")
    with pytest.raises(ValueError, match="modality_dropout"):
        MultimodalModel(encoders={"a": layers.Dense(3)}, fusion=fusion.Concat(),
                        modality_dropout=1.0)


class Recording(fusion.Concat):
    """Concat that keeps what it was given."""

    def forward(self, x, training=False):
        self.seen = {k: to_numpy(v).copy() for k, v in x.items()}
        return super().forward(x, training=training)


def test_modality_dropout_zeroes_whole_modalities_never_all():
    n, p = 2000, 0.5
    r = np.random.default_rng(1)
    x = {"a": r.uniform(1, 2, (n, 3)).astype(np.float32),
         "b": r.uniform(1, 2, (n, 2)).astype(np.float32)}
    rec = Recording()
    model = MultimodalModel(encoders={"a": layers.Dense(4, kernel_initializer="ones"),
                                      "b": layers.Dense(4, kernel_initializer="ones")},
                            fusion=rec, head=layers.Dense(2, activation="softmax"),
                            modality_dropout=p)
    model.forward(x, training=True)
    dropped = {m: np.all(rec.seen[m] == 0, axis=1) for m in ("a", "b")}
    partly = {m: np.any(rec.seen[m] == 0, axis=1) & ~dropped[m] for m in ("a", "b")}
    assert not any(partly[m].any() for m in partly)          # a whole modality or nothing
    assert not np.any(dropped["a"] & dropped["b"])           # never every modality
    # P(dropped) = p − p²/2: both drawn (p²) hands one back at random.
    for m in ("a", "b"):
        assert abs(dropped[m].mean() - (p - p * p / 2)) < 0.05, dropped[m].mean()
    model.forward(x, training=False)
    assert not any(np.any(np.all(rec.seen[m] == 0, axis=1)) for m in ("a", "b"))


def test_modality_dropout_backward_passes_gradcheck(backend):
    r = np.random.default_rng(2)
    x = {"a": asarray(r.standard_normal((6, 3)), dtype="float64"),
         "b": asarray(r.standard_normal((6, 2)), dtype="float64")}
    model = MultimodalModel(encoders={"a": Sequential([layers.Dense(4, activation="tanh")]),
                                      "b": layers.Dense(3)},
                            fusion=fusion.Concat(), head=layers.Dense(2, activation="softmax"),
                            modality_dropout=0.5)
    model(x)
    for key, value in list(model.params.items()):
        model.params[key] = asarray(to_numpy(value).astype(np.float64), dtype="float64")
    for training in (False, True):
        errors = gradcheck.check_layer(model, x, training=training, seed=3)
        assert set(errors) == {"x[a]", "x[b]", *model.params}
        assert max(errors.values()) < 1e-6, (training, errors)


def test_frozen_encoder_is_bit_identical_and_summary_counts():
    x, y = two_modalities(n=64)
    model = make_model()
    model(x)                                                  # build
    model.encoders["a"].trainable = False
    frozen = model.encoders["a"].get_weights()
    head_before = model.head.get_weights()
    model.fit(x, y, epochs=2, verbose=0)
    assert weights_equal(model.encoders["a"].get_weights(), frozen)
    assert not weights_equal(model.head.get_weights(), head_before)
    n_a, n_b, n_head = 6 * 8 + 8, 4 * 8 + 8, 16 * 2 + 2
    text = model.summary_text()
    assert f" Total params: {n_a + n_b + n_head:,} " in text
    assert f" Trainable params: {n_b + n_head:,} " in text
    assert f" Non-trainable params: {n_a:,} " in text
    assert "a: " in text and "b: " in text and "(Concat)" in text and "(None, 16)" in text
    assert model.count_params() == n_a + n_b + n_head


def test_everything_but_the_head_frozen_skips_the_fusion_backward():
    x, y = two_modalities(n=64)
    model = make_model(fusion_layer=fusion.Gated(4))
    model(x)
    for part in (*model.encoders.values(), model.fusion):
        part.trainable = False
    before = [part.get_weights() for part in (*model.encoders.values(), model.fusion)]
    model.fit(x, y, epochs=1, verbose=0)
    after = [part.get_weights() for part in (*model.encoders.values(), model.fusion)]
    assert all(weights_equal(a, b) for a, b in zip(before, after, strict=True))
    assert model.fusion.grads == {}                         # never asked for


def test_model_trainable_false_freezes_all():
    x, y = two_modalities(n=32)
    model = make_model()
    model(x)
    model.trainable = False
    before = model.get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    assert weights_equal(model.get_weights(), before)
    assert " Trainable params: 0 " in model.summary_text()


@pytest.mark.parametrize("fine_tune", [False, True])
def test_reuse_a_pretrained_encoder(fine_tune):
    x, y = two_modalities(n=128)
    encoder = Sequential([layers.Dense(8, activation="relu", input_shape=(6,))])
    pre = Sequential([encoder, layers.Dense(2, activation="softmax")])
    pre.compile(optimizer=optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    y_a = (x["a"][:, 0] + x["a"][:, 1] > 0).astype(np.int64)  # a task on modality a alone
    pre.fit(x["a"], y_a, epochs=5, verbose=0)
    pretrained = encoder.get_weights()

    encoder.trainable = fine_tune
    model = MultimodalModel(encoders={"a": encoder, "b": layers.Dense(4, activation="relu")},
                            fusion=fusion.Concat(), head=layers.Dense(2, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    np.testing.assert_array_equal(to_numpy(model.encoders["a"](x["a"])),
                                  to_numpy(pre.layers[0](x["a"])))  # the same weights in use
    model.fit(x, y, epochs=2, verbose=0)
    assert weights_equal(encoder.get_weights(), pretrained) is not fine_tune


def test_head_none_and_sequential_head():
    x, y = two_modalities(n=32)
    no_head = MultimodalModel(encoders={"a": layers.Dense(2), "b": layers.Dense(2)},
                              fusion=fusion.Late())
    no_head.compile(optimizer="sgd", loss="mse")
    target = np.stack([y, 1 - y], axis=1).astype(np.float32)
    h = no_head.fit(x, target, epochs=2, verbose=0)
    assert np.isfinite(h.history["loss"]).all()
    head = Sequential([layers.Dense(4, activation="relu"), layers.Dense(2, activation="softmax")])
    model = make_model(head=head)
    model.fit(x, y, epochs=2, verbose=0)
    assert model.activation_name == "softmax" and head.built
