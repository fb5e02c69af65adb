"""mmlearn's layers, activations and losses against PyTorch 2.13 (and Keras 3 on its torch
backend for the losses): the same float32 weights and inputs, the forward values and every
gradient within a relative error of 1e-5 (``gradcheck.relative_error``: the largest
difference over the largest magnitude)."""

from __future__ import annotations

import numpy as np
import pytest

import mmlearn as mm
from mmlearn import layers, losses
from mmlearn.backend import asarray, to_numpy

from ._compare import close, data, leaf


def torch_activation(torch, name):
    F = torch.nn.functional
    return {
        "linear": lambda z: z,
        "relu": torch.relu,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "gelu": lambda z: F.gelu(z, approximate="tanh"),
        "softmax": lambda z: torch.softmax(z, dim=-1),
    }[name]


# -- layers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["linear", "relu", "sigmoid", "tanh", "gelu", "softmax"])
def test_dense_matches_torch(torch, backend, activation):
    layer = layers.Dense(5, activation=activation, input_shape=(4,))
    W, b = to_numpy(layer.params["W"]), data(5, seed=3, scale=0.1)
    layer.set_weights([W, b])
    x, g = data(6, 4), data(6, 5, seed=1)
    y = layer(asarray(x))
    dx = layer.backward(asarray(g))

    tx, tW, tb = leaf(torch, x), leaf(torch, W), leaf(torch, b)
    ty = torch_activation(torch, activation)(tx @ tW + tb)
    ty.backward(torch.tensor(g))
    close(y, ty, "y")
    close(dx, tx.grad, "dx")
    close(layer.grads["W"], tW.grad, "dW")
    close(layer.grads["b"], tb.grad, "db")


def test_activation_layer_matches_torch(torch, backend):
    for name in ["relu", "sigmoid", "tanh", "gelu", "softmax"]:
        layer = layers.Activation(name)
        x, g = data(3, 7, scale=3), data(3, 7, seed=1)
        y = layer(asarray(x))
        dx = layer.backward(asarray(g))
        tx = leaf(torch, x)
        ty = torch_activation(torch, name)(tx)
        ty.backward(torch.tensor(g))
        close(y, ty, f"{name} y")
        close(dx, tx.grad, f"{name} dx")


def test_layernorm_matches_torch_with_keras_epsilon(torch, backend):
    layer = layers.LayerNorm(input_shape=(2, 6))
    gamma, beta = data(6, seed=2), data(6, seed=3)
    layer.set_weights([gamma, beta])
    x, g = data(3, 2, 6, scale=2), data(3, 2, 6, seed=1)
    y = layer(asarray(x))
    dx = layer.backward(asarray(g))
    tx, tg, tb = leaf(torch, x), leaf(torch, gamma), leaf(torch, beta)
    ty = torch.nn.functional.layer_norm(tx, (6,), tg, tb, eps=1e-3)
    ty.backward(torch.tensor(g))
    close(y, ty, "y")
    close(dx, tx.grad, "dx")
    close(layer.grads["gamma"], tg.grad, "dgamma")
    close(layer.grads["beta"], tb.grad, "dbeta")


def test_embedding_matches_torch(torch, backend):
    layer = layers.Embedding(7, 3)
    ids = np.array([[1, 4, 4, 0], [6, 1, 1, 1]])
    layer(asarray(ids))
    g = data(2, 4, 3, seed=1)
    y = layer(asarray(ids))
    layer.backward(asarray(g))
    E = leaf(torch, to_numpy(layer.params["embeddings"]))
    ty = torch.nn.functional.embedding(torch.tensor(ids), E)
    ty.backward(torch.tensor(g))
    close(y, ty, "y")
    close(layer.grads["embeddings"], E.grad, "dE")


def test_dropout_matches_torch_with_the_same_mask(torch, backend):
    rate = 0.3
    x, g = data(5, 8), data(5, 8, seed=1)
    mm.set_seed(11)
    layer = layers.Dropout(rate)
    y = layer(asarray(x), training=True)
    dx = layer.backward(asarray(g))
    mm.set_seed(11)                                   # the same draw gives the same mask
    keep = mm.backend.rng().random(x.shape) >= rate
    tx = leaf(torch, x)
    ty = tx * torch.tensor(keep.astype(np.float32)) / (1 - rate)
    ty.backward(torch.tensor(g))
    close(y, ty, "y")
    close(dx, tx.grad, "dx")


def test_flatten_and_pooling_match_torch(torch, backend):
    x, g = data(2, 3, 4), data(2, 4, seed=1)
    pool = layers.GlobalAveragePooling1D()
    y = pool(asarray(x))
    dx = pool.backward(asarray(g))
    tx = leaf(torch, x)
    ty = tx.mean(dim=1)
    ty.backward(torch.tensor(g))
    close(y, ty, "pool y")
    close(dx, tx.grad, "pool dx")
    flat = layers.Flatten()
    g2 = data(2, 12, seed=2)
    y = flat(asarray(x))
    dx = flat.backward(asarray(g2))
    tx = leaf(torch, x)
    ty = torch.flatten(tx, start_dim=1)
    ty.backward(torch.tensor(g2))
    close(y, ty, "flatten y")
    close(dx, tx.grad, "flatten dx")


# -- losses ---------------------------------------------------------------------------------
def keras_style_probs(torch, p):
    """Keras 3 (torch backend) on probabilities: p/Σp, clipped to [1e-7, 1 − 1e-7]."""
    p = p / torch.sum(p, dim=-1, keepdim=True)
    return torch.clip(p, 1e-7, 1 - 1e-7)


def softmax_np(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def run_loss(loss, y_true, y_pred):
    value = loss(asarray(y_true), asarray(y_pred))
    return value, loss.backward()


def compare_loss(torch, loss, y_true, y_pred, torch_fn):
    value, grad = run_loss(loss, y_true, y_pred)
    tp = leaf(torch, y_pred)
    tv = torch_fn(tp)
    tv.backward()
    close(value, tv, "loss")
    close(grad, tp.grad, "dL/dy_pred")


LABELS = np.array([0, 2, 1, 2, 0, 1])


def test_mse_matches_torch(torch, backend):
    y, p = data(6, 3), data(6, 3, seed=1)
    compare_loss(torch, losses.MeanSquaredError(), y, p,
                 lambda tp: torch.nn.functional.mse_loss(tp, torch.tensor(y)))


def test_binary_ce_matches_torch(torch, backend):
    F = torch.nn.functional
    y = (data(6, 2, seed=4) > 0).astype(np.float32)
    p = 1 / (1 + np.exp(-data(6, 2, scale=3)))
    p[0, 0], p[1, 1] = 1.0, 0.0                          # two clipped entries
    compare_loss(torch, losses.BinaryCrossentropy(), y, p,
                 lambda tp: F.binary_cross_entropy(torch.clip(tp, 1e-7, 1 - 1e-7),
                                                   torch.tensor(y)))
    z = data(6, 2, scale=3)
    compare_loss(torch, losses.BinaryCrossentropy(from_logits=True), y, z,
                 lambda tz: F.binary_cross_entropy_with_logits(tz, torch.tensor(y)))


def test_categorical_ce_matches_torch(torch, backend):
    F = torch.nn.functional
    t = softmax_np(data(6, 3, seed=5))                      # soft targets
    p = softmax_np(data(6, 3, scale=2)) * 1.5               # not normalised on purpose
    compare_loss(torch, losses.CategoricalCrossentropy(), t, p,
                 lambda tp: -(torch.tensor(t) * torch.log(keras_style_probs(torch, tp)))
                 .sum(-1).mean())
    z = data(6, 3, scale=2)
    compare_loss(torch, losses.CategoricalCrossentropy(from_logits=True), t, z,
                 lambda tz: F.cross_entropy(tz, torch.tensor(t)))


def test_sparse_ce_matches_torch(torch, backend):
    F = torch.nn.functional
    p = softmax_np(data(6, 3, scale=2))
    compare_loss(torch, losses.SparseCategoricalCrossentropy(), LABELS, p,
                 lambda tp: F.nll_loss(torch.log(keras_style_probs(torch, tp)),
                                       torch.tensor(LABELS)))
    z = data(6, 3, scale=2)
    compare_loss(torch, losses.SparseCategoricalCrossentropy(from_logits=True), LABELS, z,
                 lambda tz: F.cross_entropy(tz, torch.tensor(LABELS)))


def test_huge_logits_match_torch(torch, backend):
    z = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]], dtype=np.float32)
    labels = np.array([1, 1])
    compare_loss(torch, losses.SparseCategoricalCrossentropy(from_logits=True), labels, z,
                 lambda tz: torch.nn.functional.cross_entropy(tz, torch.tensor(labels)))


def test_fused_softmax_path_matches_torch_cross_entropy_on_logits(torch, backend):
    """Dense(softmax) + sparse CE through fused_backward/backward_linear gives torch's
    cross_entropy gradients on the logits, for W, b and x."""
    layer = layers.Dense(3, activation="softmax", input_shape=(4,))
    W, b = to_numpy(layer.params["W"]), data(3, seed=2, scale=0.1)
    layer.set_weights([W, b])
    x = data(6, 4)
    loss = losses.SparseCategoricalCrossentropy()
    value = loss(asarray(LABELS), layer(asarray(x)))
    dx = layer.backward_linear(loss.fused_backward())
    tx, tW, tb = leaf(torch, x), leaf(torch, W), leaf(torch, b)
    tv = torch.nn.functional.cross_entropy(tx @ tW + tb, torch.tensor(LABELS))
    tv.backward()
    close(value, tv, "loss")
    close(dx, tx.grad, "dx")
    close(layer.grads["W"], tW.grad, "dW")
    close(layer.grads["b"], tb.grad, "db")


# -- Keras 3 itself (torch backend) -----------------------------------------------------------
def keras_grad(torch, keras_loss, y_true, y_pred):
    tp = leaf(torch, y_pred)
    value = keras_loss(torch.tensor(y_true), tp)
    value.backward()
    return value, tp.grad


@pytest.mark.parametrize("from_logits", [False, True])
def test_losses_match_keras(torch, keras, backend, from_logits):
    z = data(6, 3, scale=2)
    z[0] = [40.0, 0.0, -40.0]                    # row 0's true class (0) is fine ...
    z[1] = [40.0, 0.0, -40.0]                    # ... row 1's (2) is clipped to 1e-7
    p = softmax_np(z)
    y_pred = z if from_logits else p
    onehot = np.eye(3, dtype=np.float32)[LABELS]
    bin_y = (data(6, 3, seed=7) > 0).astype(np.float32)
    bin_pred = z if from_logits else 1 / (1 + np.exp(-z))
    cases = [
        (losses.SparseCategoricalCrossentropy(from_logits=from_logits),
         keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits), LABELS, y_pred),
        (losses.CategoricalCrossentropy(from_logits=from_logits),
         keras.losses.CategoricalCrossentropy(from_logits=from_logits), onehot, y_pred),
        (losses.BinaryCrossentropy(from_logits=from_logits),
         keras.losses.BinaryCrossentropy(from_logits=from_logits), bin_y,
         bin_pred.astype(np.float32)),
        (losses.MeanSquaredError(), keras.losses.MeanSquaredError(), onehot, p),
    ]
    for ours, theirs, y_true, pred in cases:
        value, grad = run_loss(ours, y_true, pred)
        kv, kg = keras_grad(torch, theirs, y_true, pred)
        close(value, kv, f"{ours.name} value")
        close(grad, kg, f"{ours.name} gradient")


def test_fused_gradient_matches_keras_through_softmax(torch, keras, backend):
    """fused_backward() is what autograd gets through Keras's loss on softmax(z), clipped
    rows (zero gradient) included."""
    z = data(6, 3, scale=2)
    z[1] = [40.0, 0.0, -40.0]                    # true class 2: p ≈ 4e-36, clipped
    for ours, theirs, y_true in [
        (losses.SparseCategoricalCrossentropy(), keras.losses.SparseCategoricalCrossentropy(),
         LABELS),
        (losses.CategoricalCrossentropy(), keras.losses.CategoricalCrossentropy(),
         np.eye(3, dtype=np.float32)[LABELS]),
    ]:
        ours(asarray(y_true), asarray(softmax_np(z)))
        fused = ours.fused_backward()
        tz = leaf(torch, z)
        theirs(torch.tensor(y_true), torch.softmax(tz, dim=-1)).backward()
        close(fused, tz.grad, f"{ours.name} fused dL/dz")
        assert np.all(to_numpy(fused)[1] == 0.0)
    for ours, theirs in [(losses.BinaryCrossentropy(), keras.losses.BinaryCrossentropy())]:
        y = (data(6, 3, seed=7) > 0).astype(np.float32)
        ours(asarray(y), asarray(1 / (1 + np.exp(-z))))
        fused = ours.fused_backward()
        tz = leaf(torch, z)
        theirs(torch.tensor(y), torch.sigmoid(tz)).backward()
        close(fused, tz.grad, "binary fused dL/dz")
