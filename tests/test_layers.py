"""mmlearn.layers: shapes, initialisation, bad input, and float64 gradient checks on both
array backends (max relative error < 1e-6)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mmlearn as mm
from mmlearn import layers, losses
from mmlearn.backend import asarray, to_numpy
from mmlearn.gradcheck import check_layer, numerical_gradient, relative_error

TOL = 1e-6


def as64(a, xp=None):
    """A NumPy array as float64 on the active backend."""
    return asarray(np.asarray(a, dtype=np.float64), dtype="float64", xp=xp)


def to_float64(layer):
    """Cast a built layer's parameters to float64 (gradient checks need the precision)."""
    xp = mm.get_namespace()
    for key, value in layer.params.items():
        layer.params[key] = xp.astype(value, xp.float64)
    return layer


def randn(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


def assert_gradcheck(layer, x, **kwargs):
    errors = check_layer(layer, x, **kwargs)
    assert errors, "nothing was checked"
    worst = max(errors.values())
    assert worst < TOL, errors


# -- Dense -------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", [None, "linear", "relu", "sigmoid", "tanh", "gelu",
                                        "softmax"])
def test_dense_gradcheck_every_activation(backend, activation):
    layer = to_float64(layers.Dense(3, activation=activation, input_shape=(4,)))
    x = as64(randn(5, 4))
    # the bias moves z away from ReLU's kink at 0 as well as any random offset would
    layer.params["b"] = as64([0.1, -0.2, 0.3])
    assert_gradcheck(layer, x)


def test_dense_gradcheck_rank3_input_and_no_bias(backend):
    layer = to_float64(layers.Dense(3, activation="tanh", use_bias=False))
    layer.build((None, 2, 4))
    to_float64(layer)
    assert list(layer.params) == ["W"]
    x = as64(randn(2, 2, 4))
    out = layer(x)
    assert tuple(out.shape) == (2, 2, 3)
    assert_gradcheck(layer, x)


def test_dense_rank3_equals_rowwise_2d():
    layer = layers.Dense(3, activation="relu", input_shape=(4,))
    x = randn(2, 5, 4).astype(np.float32)
    out3 = to_numpy(layer(x))
    out2 = to_numpy(layer(x.reshape(10, 4))).reshape(2, 5, 3)
    np.testing.assert_allclose(out3, out2, rtol=1e-6, atol=1e-7)


def test_dense_shapes_and_defaults(backend):
    layer = layers.Dense(64, activation="relu", input_shape=(32,))
    assert layer.built
    assert tuple(layer.params["W"].shape) == (32, 64)
    assert tuple(layer.params["b"].shape) == (64,)
    assert layer.count_params() == 32 * 64 + 64
    assert layer.compute_output_shape((None, 32)) == (None, 64)
    assert layer.output_shape == (None, 64)
    assert layer.activation_name == "relu"
    assert layers.Dense(3).activation_name == "linear"
    assert np.all(to_numpy(layer.params["b"]) == 0)
    limit = math.sqrt(6 / (32 + 64))                      # Glorot uniform, as Keras
    W = to_numpy(layer.params["W"])
    assert W.dtype == np.float32
    assert np.abs(W).max() <= limit
    # a uniform on [-limit, limit] has standard deviation limit/√3; 2048 draws get close
    assert abs(W.std() - limit / math.sqrt(3)) < 0.05 * limit
    out = layer(asarray(randn(3, 32), dtype="float32"))
    assert tuple(out.shape) == (3, 64)
    assert to_numpy(out).dtype == np.float32              # float32 stays float32


def test_dense_lazy_build_on_first_call():
    layer = layers.Dense(2)
    assert not layer.built and layer.count_params() == 0
    layer(np.ones((4, 7), dtype=np.float32))
    assert layer.built and tuple(layer.params["W"].shape) == (7, 2)


def test_dense_same_seed_bit_identical_weights_on_every_backend():
    weights = []
    for name in ["numpy", "array_api_strict", "numpy"]:
        mm.set_backend(name)
        mm.set_seed(42)
        weights.append(to_numpy(layers.Dense(5, input_shape=(3,)).params["W"]))
    assert weights[0].tobytes() == weights[1].tobytes() == weights[2].tobytes()
    mm.set_seed(43)
    assert not np.array_equal(weights[0], to_numpy(layers.Dense(5, input_shape=(3,)).params["W"]))


def test_dense_backward_formulas_by_hand(backend):
    """dW = xᵀδ, db = Σδ, dx = δWᵀ on a linear layer with hand-picked numbers."""
    layer = layers.Dense(2, input_shape=(2,))
    layer.set_weights([np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -0.5])])
    x = asarray([[1.0, 0.0], [0.0, 2.0]], dtype="float32")
    y = to_numpy(layer(x))
    np.testing.assert_array_equal(y, [[1.5, 1.5], [6.5, 7.5]])
    dx = layer.backward(asarray([[1.0, 0.0], [0.0, 1.0]], dtype="float32"))
    np.testing.assert_array_equal(to_numpy(layer.grads["W"]), [[1.0, 0.0], [0.0, 2.0]])
    np.testing.assert_array_equal(to_numpy(layer.grads["b"]), [1.0, 1.0])
    np.testing.assert_array_equal(to_numpy(dx), [[1.0, 3.0], [2.0, 4.0]])


def test_dense_input_grad_false_skips_dx_but_fills_grads(backend):
    layer = layers.Dense(3, activation="tanh", input_shape=(4,))
    x = asarray(randn(2, 4), dtype="float32")
    g = asarray(randn(2, 3, seed=2), dtype="float32")
    layer(x)
    dx = layer.backward(g)
    full = {k: to_numpy(v) for k, v in layer.grads.items()}
    layer.input_grad = False
    layer(x)
    assert layer.backward(g) is None
    assert dx is not None
    for k, v in layer.grads.items():
        np.testing.assert_array_equal(to_numpy(v), full[k])


def test_dense_backward_linear_skips_the_activation(backend):
    layer = to_float64(layers.Dense(3, activation="sigmoid", input_shape=(2,)))
    x = as64(randn(4, 2))
    layer(x)
    delta = as64(randn(4, 3, seed=5))
    dx = layer.backward_linear(delta)
    W = to_numpy(layer.params["W"])
    np.testing.assert_allclose(to_numpy(dx), to_numpy(delta) @ W.T, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(layer.grads["W"]), to_numpy(x).T @ to_numpy(delta),
                               rtol=1e-12)


@pytest.mark.parametrize("loss_cls", [losses.SparseCategoricalCrossentropy,
                                      losses.CategoricalCrossentropy])
def test_fused_softmax_crossentropy_equals_the_chain_rule(backend, loss_cls):
    """backward_linear(loss.fused_backward()) == backward(loss.backward()), and both equal
    central differences of the loss with respect to W."""
    layer = to_float64(layers.Dense(4, activation="softmax", input_shape=(3,)))
    x = as64(randn(6, 3))
    labels = np.array([0, 1, 2, 3, 1, 0])
    y = labels if loss_cls is losses.SparseCategoricalCrossentropy else np.eye(4)[labels]
    loss = loss_cls()
    assert loss.fuses_with == layer.activation_name == "softmax"
    loss(y, layer(x))
    dx_chain = to_numpy(layer.backward(loss.backward()))
    dW_chain = to_numpy(layer.grads["W"])
    dx_fused = to_numpy(layer.backward_linear(loss.fused_backward()))
    dW_fused = to_numpy(layer.grads["W"])
    assert relative_error(dx_fused, dx_chain) < 1e-12
    assert relative_error(dW_fused, dW_chain) < 1e-12
    W0 = layer.params["W"]

    def f(w):
        layer.params["W"] = as64(w)
        return float(to_numpy(loss(y, layer.forward(x))))

    numeric = numerical_gradient(f, to_numpy(W0))
    layer.params["W"] = W0
    assert relative_error(dW_fused, numeric) < TOL


def test_dense_wrong_feature_count_message():
    layer = layers.Dense(64, input_shape=(32,))
    with pytest.raises(ValueError, match=r"^Dense\(64\) expected input of shape \(batch, 32\), "
                                         r"got \(batch, 31\)$"):
        layer(np.ones((5, 31), dtype=np.float32))


def test_dense_wrong_rank_message():
    layer = layers.Dense(4, input_shape=(3,))
    with pytest.raises(ValueError, match=r"Dense\(4\) expected input of shape \(batch, 3\), "
                                         r"got \(batch,\)"):
        layer(np.ones(3, dtype=np.float32))
    with pytest.raises(ValueError, match=r"Dense\(4\) expected input of shape \(batch, 3\), "
                                         r"got a scalar"):
        layer(np.float32(1.0) * np.ones((), dtype=np.float32))   # calling checks the input
    unbuilt = layers.Dense(4)
    with pytest.raises(ValueError, match=r"Dense\(4\) expected input of shape \(batch, "
                                         r"features\), got \(3,\)"):
        unbuilt(np.ones(3, dtype=np.float32))
    assert not unbuilt.built


@pytest.mark.parametrize("bad, dtype_word", [
    (np.ones((2, 3), dtype=np.complex64), "complex64"),
    (np.array([["a", "b", "c"]]), "<U1"),
])
def test_dense_rejects_non_real_dtypes(bad, dtype_word):
    layer = layers.Dense(2, input_shape=(3,))
    with pytest.raises(TypeError, match=rf"Dense\(2\) expected real-valued \(float\) input, "
                                        rf"got dtype {dtype_word}"):
        layer(bad)


def test_dense_casts_integer_input_to_float32():
    layer = layers.Dense(2, input_shape=(3,))
    out = layer(np.ones((2, 3), dtype=np.int64))
    assert to_numpy(out).dtype == np.float32


def test_dense_rejects_list_input():
    with pytest.raises(TypeError, match="expected an array or a dict of arrays, got list"):
        layers.Dense(2)([[1.0, 2.0]])


@pytest.mark.parametrize("units", [0, -3, 2.5, "64", True, None])
def test_dense_bad_units(units):
    with pytest.raises(ValueError, match=rf"Dense: units must be a positive int, got "
                                         rf"{re_escape(repr(units))}"):
        layers.Dense(units)


def re_escape(s):
    import re
    return re.escape(s)


def test_dense_unknown_activation_and_initializer_suggest():
    with pytest.raises(ValueError, match=r"unknown activation 'rleu'.*did you mean 'relu'"):
        layers.Dense(2, activation="rleu")
    with pytest.raises(ValueError, match=r"unknown kernel_initializer 'glorot_unifrom'.*"
                                         r"did you mean 'glorot_uniform'"):
        layers.Dense(2, kernel_initializer="glorot_unifrom")
    with pytest.raises(TypeError, match="activation must be a name"):
        layers.Dense(2, activation=3)


def test_dense_custom_initializer_and_bad_shape():
    layer = layers.Dense(2, kernel_initializer=lambda shape: np.full(shape, 0.5),
                         input_shape=(3,))
    assert np.all(to_numpy(layer.params["W"]) == 0.5)
    with pytest.raises(ValueError, match=r"kernel_initializer returned shape \(2,\), "
                                         r"expected \(3, 2\)"):
        layers.Dense(2, kernel_initializer=lambda shape: np.zeros(2), input_shape=(3,))


def test_dense_backward_before_forward():
    with pytest.raises(RuntimeError, match=r"dense\w*\.backward called before forward"):
        layers.Dense(2, input_shape=(3,)).backward(np.ones((1, 2), dtype=np.float32))


@settings(max_examples=30, deadline=None)
@given(fan_in=st.integers(1, 40), got=st.integers(1, 40), rank=st.integers(2, 4))
def test_dense_any_wrong_width_names_both_sizes(fan_in, got, rank):
    layer = layers.Dense(3, input_shape=(fan_in,))
    x = np.ones((2,) * (rank - 1) + (got,), dtype=np.float32)
    if got == fan_in:
        assert tuple(layer(x).shape) == x.shape[:-1] + (3,)
        return
    middle = ", ..." if rank > 2 else ""
    expected = rf"\(batch{middle}, {fan_in}\)"
    got_str = rf"\(batch, {', '.join(['2'] * (rank - 2) + [str(got)])}\)"
    with pytest.raises(ValueError, match=rf"^Dense\(3\) expected input of shape {expected}, "
                                         rf"got {got_str}$"):
        layer(x)


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 4), fan_in=st.integers(1, 5), units=st.integers(1, 5))
def test_dense_shapes_property(batch, fan_in, units):
    layer = layers.Dense(units, input_shape=(fan_in,))
    x = np.ones((batch, fan_in), dtype=np.float32)
    y = layer(x)
    assert tuple(y.shape) == (batch, units) == (batch, *layer.output_shape[1:])
    dx = layer.backward(np.ones((batch, units), dtype=np.float32))
    assert tuple(dx.shape) == x.shape
    assert {k: tuple(v.shape) for k, v in layer.grads.items()} == \
        {k: tuple(v.shape) for k, v in layer.params.items()}


# -- Activation --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "gelu", "softmax", "linear"])
def test_activation_layer_gradcheck(backend, name):
    layer = layers.Activation(name)
    x = as64(randn(3, 4) + 0.05)                           # no entry sits on ReLU's kink
    assert_gradcheck(layer, x)
    assert layer.count_params() == 0
    assert layer.activation_name == name
    assert layer.compute_output_shape((None, 4)) == (None, 4)


def test_activation_layer_backward_linear_is_identity(backend):
    layer = layers.Activation("softmax")
    d = as64(randn(2, 3))
    assert layer.backward_linear(d) is d


def test_activation_layer_unknown_name():
    with pytest.raises(ValueError, match=r"unknown activation 'softmx'.*did you mean 'softmax'"):
        layers.Activation("softmx")


# -- Dropout -----------------------------------------------------------------------------
def test_dropout_gradcheck_training(backend):
    assert_gradcheck(layers.Dropout(0.4), as64(randn(4, 5)), training=True)


def test_dropout_identity_at_inference(backend):
    x = asarray(randn(3, 4), dtype="float32")
    layer = layers.Dropout(0.5)
    assert layer(x) is x
    g = asarray(randn(3, 4, seed=3), dtype="float32")
    assert layer.backward(g) is g


def test_dropout_inverted_scaling_and_rate(backend):
    rate = 0.25
    layer = layers.Dropout(rate)
    x = asarray(np.ones((200, 50)), dtype="float32")
    y = to_numpy(layer(x, training=True))
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / (1 - rate), rtol=1e-6)     # survivors scaled
    assert abs(kept.mean() - (1 - rate)) < 0.02                           # 10,000 draws
    assert abs(y.mean() - 1.0) < 0.03                                     # E[y] = x
    assert y.dtype == np.float32
    g = to_numpy(layer.backward(asarray(np.ones((200, 50)), dtype="float32")))
    np.testing.assert_array_equal(g, y)                # the same mask scales the gradient


def test_dropout_mask_follows_the_seed():
    x = np.ones((4, 6), dtype=np.float32)
    mm.set_seed(7)
    a = to_numpy(layers.Dropout(0.5)(x, training=True))
    mm.set_seed(7)
    b = to_numpy(layers.Dropout(0.5)(x, training=True))
    np.testing.assert_array_equal(a, b)
    mm.set_seed(7)
    mm.set_backend("array_api_strict")
    c = to_numpy(layers.Dropout(0.5)(asarray(x), training=True))
    np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.5", None, True])
def test_dropout_bad_rate(rate):
    with pytest.raises(ValueError, match=rf"Dropout: rate must be a float in \[0, 1\), "
                                         rf"got {re_escape(repr(rate))}"):
        layers.Dropout(rate)


# -- Flatten -----------------------------------------------------------------------------
def test_flatten_shapes_and_gradcheck(backend):
    layer = layers.Flatten()
    x = as64(randn(2, 3, 4))
    assert tuple(layer(x).shape) == (2, 12)
    assert layer.compute_output_shape((None, 3, 4)) == (None, 12)
    assert_gradcheck(layer, x)
    np.testing.assert_array_equal(to_numpy(layer(x)), to_numpy(x).reshape(2, 12))


def test_flatten_rank1_becomes_column():
    assert tuple(layers.Flatten()(np.ones(5, dtype=np.float32)).shape) == (5, 1)


def test_flatten_scalar_is_an_error():
    with pytest.raises(ValueError, match="Flatten expected an array with a batch axis"):
        layers.Flatten()(np.ones((), dtype=np.float32))


# -- Embedding ---------------------------------------------------------------------------
def test_embedding_lookup_and_init(backend):
    layer = layers.Embedding(10, 4)
    ids = asarray(np.array([[1, 2, 2], [9, 0, 1]]))
    out = layer(ids)
    assert tuple(out.shape) == (2, 3, 4)
    E = to_numpy(layer.params["embeddings"])
    assert E.shape == (10, 4) and E.dtype == np.float32
    assert np.abs(E).max() <= 0.05
    np.testing.assert_array_equal(to_numpy(out), E[np.array([[1, 2, 2], [9, 0, 1]])])
    assert layer.compute_output_shape((None, 3)) == (None, 3, 4)
    assert layer.count_params() == 40


def test_embedding_gradient_scatter_adds_repeated_ids(backend):
    layer = layers.Embedding(6, 3)
    ids_np = np.array([[1, 2, 2, 5], [1, 1, 0, 2]])
    ids = asarray(ids_np)
    layer(ids)
    to_float64(layer)
    R = randn(2, 4, 3)
    out = layer.forward(ids)
    assert layer.backward(as64(R)) is None                 # ids get no gradient
    analytic = to_numpy(layer.grads["embeddings"])
    E0 = layer.params["embeddings"]

    def f(e):
        layer.params["embeddings"] = as64(e)
        return float(np.sum(to_numpy(layer.forward(ids)) * R))

    numeric = numerical_gradient(f, to_numpy(E0))
    layer.params["embeddings"] = E0
    assert relative_error(analytic, numeric) < TOL
    # by hand: row 2 collects the three positions holding id 2; rows 3, 4 none
    np.testing.assert_allclose(analytic[2], R[0, 1] + R[0, 2] + R[1, 3], rtol=1e-12)
    np.testing.assert_array_equal(analytic[3], 0)
    assert tuple(out.shape) == (2, 4, 3)


@pytest.mark.parametrize("ids, got", [([[0, 6]], "6"), ([[-1, 2]], "-1")])
def test_embedding_ids_out_of_range(ids, got):
    layer = layers.Embedding(6, 3)
    with pytest.raises(ValueError, match=rf"Embedding\(6, 3\): ids must be in \[0, 5\] "
                                         rf"\(input_dim=6\), got {got}"):
        layer(np.array(ids))


def test_embedding_rejects_non_integer_ids():
    layer = layers.Embedding(6, 3)
    with pytest.raises(TypeError, match=r"Embedding\(6, 3\) expected integer ids, got "
                                        r"non-integer values"):
        layer(np.array([[0.5, 1.0]]))
    with pytest.raises(TypeError, match=r"expected integer ids, got dtype <U1"):
        layer(np.array([["a"]]))
    out = layer(np.array([[1.0, 2.0]]))                    # whole-number floats are fine
    assert tuple(out.shape) == (1, 2, 3)


@pytest.mark.parametrize("args, word", [((0, 3), "input_dim"), ((5, -1), "output_dim"),
                                        ((2.0, 3), "input_dim")])
def test_embedding_bad_sizes(args, word):
    with pytest.raises(ValueError, match=rf"Embedding: {word} must be a positive int"):
        layers.Embedding(*args)


# -- LayerNorm ---------------------------------------------------------------------------
def test_layernorm_normalises_last_axis(backend):
    layer = layers.LayerNorm()
    x = asarray(randn(4, 6) * 3 + 5, dtype="float32")
    y = to_numpy(layer(x))
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-5)
    # with ε = 1e-3 the variance is σ²/(σ² + ε), not quite 1
    var = to_numpy(x).var(axis=-1)
    np.testing.assert_allclose(y.var(axis=-1), var / (var + 1e-3), rtol=1e-4)
    assert layer.epsilon == 1e-3
    assert list(layer.params) == ["gamma", "beta"]
    assert layer.count_params() == 12


def test_layernorm_gradcheck(backend):
    layer = layers.LayerNorm(input_shape=(5,))
    to_float64(layer)
    layer.params["gamma"] = as64(randn(5, seed=3))
    layer.params["beta"] = as64(randn(5, seed=4))
    assert_gradcheck(layer, as64(randn(3, 5)))


def test_layernorm_gradcheck_rank3(backend):
    layer = layers.LayerNorm()
    layer.build((None, 2, 4))
    to_float64(layer)
    layer.params["gamma"] = as64(randn(4, seed=3))
    assert_gradcheck(layer, as64(randn(2, 2, 4)))


def test_layernorm_wrong_width():
    layer = layers.LayerNorm(input_shape=(5,))
    with pytest.raises(ValueError, match=r"LayerNorm expected input of shape \(batch, \.\.\., 5\), "
                                         r"got \(batch, 4\)"):
        layer(np.ones((2, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="epsilon must be a positive float"):
        layers.LayerNorm(epsilon=0)


# -- GlobalAveragePooling1D --------------------------------------------------------------
def test_global_average_pooling_1d(backend):
    layer = layers.GlobalAveragePooling1D()
    x = as64(randn(2, 5, 3))
    y = layer(x)
    np.testing.assert_allclose(to_numpy(y), to_numpy(x).mean(axis=1), rtol=1e-12)
    assert layer.compute_output_shape((None, 5, 3)) == (None, 3)
    assert_gradcheck(layer, x)


def test_global_average_pooling_1d_wrong_rank():
    with pytest.raises(ValueError, match=r"GlobalAveragePooling1D expected input of shape "
                                         r"\(batch, steps, features\).*got \(batch, 3\)"):
        layers.GlobalAveragePooling1D()(np.ones((2, 3), dtype=np.float32))


# -- a small network end to end ----------------------------------------------------------
def test_text_encoder_stack_gradcheck(backend):
    """Embedding -> LayerNorm -> Dense(gelu) -> pooling -> Dense(softmax), chained by hand,
    has the gradient central differences give for the first Dense's W."""
    mm.set_seed(3)
    emb = layers.Embedding(7, 4)
    ids = asarray(np.array([[1, 3, 3], [6, 0, 2]]))
    emb(ids)
    stack = [layers.LayerNorm(input_shape=(3, 4)), layers.Dense(5, activation="gelu",
                                                                input_shape=(3, 4)),
             layers.GlobalAveragePooling1D(), layers.Dense(3, activation="softmax",
                                                            input_shape=(5,))]
    for layer in [emb, *stack]:
        to_float64(layer)
    y = np.array([0, 2])
    loss = losses.SparseCategoricalCrossentropy()

    def run():
        h = emb.forward(ids)
        for layer in stack:
            h = layer.forward(h)
        return loss(y, h)

    run()
    g = stack[-1].backward_linear(loss.fused_backward())
    for layer in reversed(stack[:-1]):
        g = layer.backward(g)
    emb.backward(g)
    for layer, key in [(stack[1], "W"), (emb, "embeddings")]:
        original = layer.params[key]

        def f(v, layer=layer, key=key):
            layer.params[key] = as64(v)
            return float(to_numpy(run()))

        numeric = numerical_gradient(f, to_numpy(original))
        layer.params[key] = original
        assert relative_error(layer.grads[key], numeric) < TOL, key


def test_layers_module_exports():
    assert layers.Layer is mm.layers.Layer
    from mmlearn.nn.layer import Layer
    assert layers.Layer is Layer
    for name in ["Dense", "Activation", "Dropout", "Flatten", "Embedding", "LayerNorm",
                 "GlobalAveragePooling1D"]:
        assert issubclass(getattr(layers, name), Layer)


def test_names_and_trainable_flags():
    frozen = layers.Dense(2, name="head", trainable=False)
    assert frozen.name == "head" and frozen.trainable is False
    assert layers.Embedding(3, 2, trainable=False).trainable is False
    assert layers.LayerNorm(trainable=False).trainable is False
    assert layers.Dense(2).trainable is True
