"""The Layer contract (DESIGN 3.1) as every layer and fusion layer must honour it."""

import numpy as np
import pytest

import mmlearn as mm

X = np.ones((2, 3), np.float32)
TOKENS = np.ones((2, 4, 3), np.float32)
IDS = np.ones((2, 4), np.int64)
PAIR = {"a": X, "b": X}

FRESH_LAYERS = [
    (lambda: mm.layers.Dense(4), X, (2, 4)),
    (lambda: mm.layers.LayerNorm(), X, (2, 3)),
    (lambda: mm.layers.Embedding(5, 3), IDS, (2, 4, 3)),
    (lambda: mm.layers.MultiHeadAttention(2, 3), TOKENS, (2, 4, 3)),
    (lambda: mm.fusion.Concat(), PAIR, (2, 6)),
    (lambda: mm.fusion.Gated(4), PAIR, (2, 4)),
    (lambda: mm.fusion.Tensor(4), PAIR, (2, 4)),
    (lambda: mm.fusion.LowRank(4, rank=2), PAIR, (2, 4)),
    (lambda: mm.fusion.FiLM(condition="a", target="b"), PAIR, (2, 3)),
    (lambda: mm.Sequential([mm.layers.Dense(3)]), X, (2, 3)),
]


@pytest.mark.parametrize("make, x, out_shape", FRESH_LAYERS)
def test_calling_a_fresh_layer_builds_it(make, x, out_shape):
    """Building happens in ``layer(x)``, as in Keras; ``forward`` is the formula alone."""
    layer = make()
    assert not layer.built
    out = layer(x)
    assert layer.built and tuple(out.shape) == out_shape


@pytest.mark.parametrize("make, x, out_shape", FRESH_LAYERS[:-1])  # a model builds itself
def test_forward_on_a_fresh_layer_says_it_is_not_built(make, x, out_shape):
    """``forward`` does not build; on a fresh layer it is a clear error naming the layer and
    the way out, not a bare KeyError or a complaint about the input."""
    layer = make()
    with pytest.raises(RuntimeError, match=rf"{layer.name} .*: it is not built\. Call it"):
        layer.forward(x)
    assert not layer.built


@pytest.mark.parametrize("make, x, out_shape", FRESH_LAYERS)
def test_backward_fills_grads_with_params_keys_and_shapes(make, x, out_shape):
    layer = make()
    layer(x, training=True)
    layer.backward(np.ones(out_shape, np.float32))
    assert set(layer.grads) == set(layer.params)
    for key, value in layer.params.items():
        assert tuple(layer.grads[key].shape) == tuple(value.shape), key
