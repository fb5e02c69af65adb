"""Arrays the caller owns stay the caller's (issue: "nothing lost, nothing silently wrong").

Whatever crosses the API boundary is copied, as Keras does: arrays passed in (weights, data,
gradients) are bit-for-bit unchanged after the library trained with them, and arrays handed
out (``get_weights``, data splits, scaler outputs) are the caller's to change without
touching the model. ``layer.params`` is the one documented exception: the live parameters,
exposed for teaching. Each test runs on NumPy and on array_api_strict.
"""

from __future__ import annotations

import numpy as np
import pytest

import mmlearn as mm
from mmlearn import layers as L

pytestmark = pytest.mark.usefixtures("backend")


def _host_copies(arrays):
    return [np.array(mm.to_numpy(a), copy=True) for a in arrays]


def _assert_unchanged(arrays, before, what):
    for i, (a, b) in enumerate(zip(arrays, before, strict=True)):
        assert np.array_equal(mm.to_numpy(a), b), f"{what}[{i}] was changed by the library"


def _seed_model():
    return mm.Sequential([L.Dense(8, activation="relu", input_shape=(4,)),
                          L.Dense(3, activation="softmax")])


def _data(n=32, d=4, k=3, seed=0):
    g = np.random.default_rng(seed)
    x = mm.backend.asarray(g.standard_normal((n, d)), dtype="float32")
    y = mm.backend.asarray(g.integers(0, k, n))
    return x, y


def test_set_weights_copies_the_callers_arrays():
    model = _seed_model()
    mine = [mm.backend.asarray(w) for w in model.get_weights()]
    before = _host_copies(mine)
    model.set_weights(mine)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(*_data(), epochs=2, batch_size=8, verbose=0)
    _assert_unchanged(mine, before, "the weights passed to set_weights")


def test_layer_set_weights_copies_the_callers_arrays():
    layer = L.Dense(3, input_shape=(4,))
    mine = [mm.backend.asarray(w) for w in layer.get_weights()]
    before = _host_copies(mine)
    layer.set_weights(mine)
    model = mm.Sequential([layer])
    model.compile(optimizer="sgd", loss="mse")
    x, _ = _data()
    model.fit(x, mm.backend.asarray(np.ones((32, 3)), dtype="float32"), epochs=1, verbose=0)
    _assert_unchanged(mine, before, "the weights passed to Dense.set_weights")


def test_get_weights_hands_out_copies():
    model = _seed_model()
    out = model.get_weights()
    reference = [w.copy() for w in out]
    for w in out:
        w += 1.0
    _assert_unchanged(model.get_weights(), reference, "the model's weights")
    layer_out = model.layers[0].get_weights()
    layer_out[0][...] = 0.0
    assert not np.array_equal(model.layers[0].get_weights()[0], layer_out[0])


def test_fit_and_evaluate_leave_the_data_alone():
    model = _seed_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x, y = _data()
    before = _host_copies([x, y])
    model.fit(x, y, epochs=2, batch_size=8, shuffle=True, validation_split=0.25, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x)
    _assert_unchanged([x, y], before, "fit's data")


def test_multimodal_fit_leaves_every_modality_alone():
    model = mm.MultimodalModel(encoders={"a": L.Dense(4), "b": L.Dense(4)},
                               fusion=mm.fusion.Concat(), head=L.Dense(2, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    g = np.random.default_rng(1)
    x = {"a": mm.backend.asarray(g.standard_normal((16, 3)), dtype="float32"),
         "b": mm.backend.asarray(g.standard_normal((16, 5)), dtype="float32")}
    y = mm.backend.asarray(g.integers(0, 2, 16))
    before = _host_copies([x["a"], x["b"], y])
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    _assert_unchanged([x["a"], x["b"], y], before, "MultimodalModel.fit's data")
    assert set(x) == {"a", "b"}, "fit changed the caller's dict"


@pytest.mark.parametrize("make_layer, shape", [
    (lambda: L.Dense(3, activation="relu"), (5, 4)),
    (lambda: L.Dense(3, activation="sigmoid"), (5, 4)),
    (lambda: L.Dense(3, activation="tanh"), (5, 4)),
    (lambda: L.Activation("relu"), (5, 4)),
    (lambda: L.LayerNorm(), (5, 4)),
    (lambda: L.Dropout(0.5), (5, 4)),
    (lambda: L.GlobalAveragePooling1D(), (5, 3, 4)),
], ids=["dense-relu", "dense-sigmoid", "dense-tanh", "relu", "layernorm", "dropout", "pool"])
def test_forward_and_backward_leave_their_inputs_alone(make_layer, shape):
    layer = make_layer()
    g = np.random.default_rng(2)
    x = mm.backend.asarray(g.standard_normal(shape), dtype="float32")
    before_x = _host_copies([x])
    out = layer(x, training=True)
    grad = mm.backend.asarray(g.standard_normal(tuple(out.shape)), dtype="float32")
    before_g = _host_copies([grad])
    layer.backward(grad)
    _assert_unchanged([x], before_x, "forward's input")
    _assert_unchanged([grad], before_g, "backward's gradient")


def test_fusion_backward_leaves_its_gradient_alone():
    fusion = mm.fusion.Gated(4)
    g = np.random.default_rng(3)
    x = {"a": mm.backend.asarray(g.standard_normal((5, 3)), dtype="float32"),
         "b": mm.backend.asarray(g.standard_normal((5, 6)), dtype="float32")}
    before = _host_copies([x["a"], x["b"]])
    out = fusion(x)
    grad = mm.backend.asarray(g.standard_normal(tuple(out.shape)), dtype="float32")
    before_g = _host_copies([grad])
    fusion.backward(grad)
    _assert_unchanged([x["a"], x["b"]], before, "the fusion's inputs")
    _assert_unchanged([grad], before_g, "the fusion's gradient")


def test_optimizer_leaves_the_gradients_alone():
    w = mm.backend.asarray(np.ones(3), dtype="float32")
    grad = mm.backend.asarray(np.array([0.5, -1.0, 2.0]), dtype="float32")
    before = _host_copies([grad])
    for name in ("sgd", "adam", "rmsprop", "adamw"):
        opt = mm.optimizers.get(name)
        opt.apply_gradients([(grad, w)])
        opt.apply_gradients([(grad, w)])
    _assert_unchanged([grad], before, "the gradients")


def test_neuron_copies_its_weights():
    mine = mm.backend.asarray(np.array([0.5, -0.25]), dtype="float32")
    before = _host_copies([mine])
    p = mm.neuron.Perceptron(weights=mine, bias=0.0)
    X = mm.backend.asarray(np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), dtype="float32")
    y = mm.backend.asarray(np.array([0, 1, 1, 1]))
    p.fit(X, y, epochs=5)
    _assert_unchanged([mine], before, "the weights given to Perceptron")


def test_load_weights_then_training_leaves_the_saved_arrays_alone(tmp_path):
    model = _seed_model()
    path = tmp_path / "w.npz"
    model.save_weights(str(path))
    saved = _host_copies(model.get_weights())
    other = _seed_model()
    other.load_weights(str(path))
    other.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    other.fit(*_data(), epochs=1, verbose=0)
    _assert_unchanged(model.get_weights(), saved, "the first model's weights")
    assert not any(np.array_equal(a, b) for a, b in zip(other.get_weights()[:1], saved[:1],
                                                          strict=True)), "did not train"


def test_scalers_and_splits_leave_the_data_alone():
    x, y = _data(n=20)
    before = _host_copies([x, y])
    scaled = mm.data.Standardizer().fit_transform(x)
    mm.data.Normalizer().fit_transform(x)
    parts = mm.data.train_test_split(x, y, test_size=0.25, seed=0)
    _assert_unchanged([x, y], before, "the data given to scalers and splits")
    for out in (scaled, *parts):
        assert out is not x and out is not y
    parts[0][...] = 0.0
    scaled[...] = 0.0
    _assert_unchanged([x], before[:1], "the data after changing what came out")
