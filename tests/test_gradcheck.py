"""mmlearn.gradcheck itself: the error measure's properties, the central differences, and
that each check catches a planted wrong backward (a check that cannot fail checks nothing)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mmlearn import activations, layers, losses
from mmlearn.backend import array_namespace, asarray
from mmlearn.gradcheck import (
    check_function,
    check_layer,
    check_loss,
    numerical_gradient,
    relative_error,
)


def x64(*shape, seed=0):
    return asarray(np.random.default_rng(seed).standard_normal(shape), dtype="float64")


def dense64(units, fan_in, activation=None, cls=layers.Dense):
    layer = cls(units, activation=activation, input_shape=(fan_in,))
    for key, value in layer.params.items():
        xp = array_namespace(value)
        layer.params[key] = xp.astype(value, xp.float64)
    return layer


# -- relative_error --------------------------------------------------------------------------
def test_relative_error_by_hand():
    # max |a − n| = 0.5, max magnitude = 4
    assert relative_error(np.array([1.0, -4.0]), np.array([1.5, -4.0])) == 0.125
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([0.0]), np.array([2.0])) == 1.0


# Subnormals are left out: c * 5e-324 rounds to 0, and scale invariance cannot hold there.
finite = st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False)


@settings(max_examples=50, deadline=None)
@given(a=hnp.arrays(np.float64, 6, elements=finite), n=hnp.arrays(np.float64, 6, elements=finite),
       c=st.floats(1e-3, 1e3))
def test_relative_error_properties(a, n, c):
    e = relative_error(a, n)
    assert 0.0 <= e <= 2.0                                 # |a − n| ≤ |a| + |n| ≤ 2·scale
    assert e == relative_error(n, a)                       # symmetric
    assert relative_error(a, a) == 0.0
    assert relative_error(c * a, c * n) == pytest.approx(e, rel=1e-9, abs=1e-12)  # unitless


def test_relative_error_is_not_fooled_by_exact_zeros():
    """Element-wise |a−n|/|a| would be 0/0 on ReLU's dead units; the global scale is not."""
    a = np.array([0.0, 1.0, 2.0])
    assert relative_error(a, a + np.array([0.0, 1e-9, 0.0])) == pytest.approx(5e-10)


def test_relative_error_shape_mismatch():
    with pytest.raises(ValueError, match=r"shapes differ, analytic \(2,\) vs numeric \(3,\)"):
        relative_error(np.zeros(2), np.zeros(3))


# -- numerical_gradient ----------------------------------------------------------------------
def test_numerical_gradient_of_a_cubic():
    x = np.array([[0.5, -1.0], [2.0, 0.0]])
    grad = numerical_gradient(lambda v: float(np.sum(v ** 3)), x)
    np.testing.assert_allclose(grad, 3 * x ** 2, atol=1e-8)
    np.testing.assert_array_equal(x, [[0.5, -1.0], [2.0, 0.0]])   # input left untouched


# -- planted bugs are caught -----------------------------------------------------------------
class DenseForgetsActivation(layers.Dense):
    """Bug: backward skips the activation's derivative."""

    def backward(self, grad_out):
        return self.backward_linear(grad_out)


class DenseMeansInsteadOfSums(layers.Dense):
    """Bug: dW averaged over the batch instead of summed (xᵀδ / N)."""

    def backward_linear(self, delta):
        dx = super().backward_linear(delta)
        self.grads["W"] = self.grads["W"] / int(delta.shape[0])
        return dx


def test_check_layer_passes_a_correct_dense(backend):
    errors = check_layer(dense64(3, 4, "tanh"), x64(5, 4))
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < 1e-6


def test_check_layer_catches_a_missing_activation_derivative(backend):
    errors = check_layer(dense64(3, 4, "tanh", cls=DenseForgetsActivation), x64(5, 4))
    assert errors["x"] > 1e-2 and errors["W"] > 1e-2 and errors["b"] > 1e-2


def test_check_layer_catches_a_wrong_weight_gradient(backend):
    errors = check_layer(dense64(3, 4, "sigmoid", cls=DenseMeansInsteadOfSums), x64(5, 4))
    assert errors["W"] > 0.5
    assert errors["x"] < 1e-6                           # only W is wrong, and only W is flagged


def test_check_layer_freezes_dropout_masks_by_seed(backend):
    errors = check_layer(layers.Dropout(0.5), x64(4, 6), training=True)
    assert errors["x"] < 1e-6


def test_check_layer_catches_a_dropout_that_forgets_its_scale(backend):
    class BadDropout(layers.Dropout):
        def backward(self, grad_out):
            return super().backward(grad_out) * (1.0 - self.rate)

    assert check_layer(BadDropout(0.5), x64(4, 6), training=True)["x"] > 0.1


def test_check_loss_catches_a_missing_factor_two(backend):
    class BadMSE(losses.MeanSquaredError):
        def backward(self):
            return super().backward() / 2

    y, p = x64(3, 2, seed=1), x64(3, 2, seed=2)
    assert check_loss(losses.MeanSquaredError(), y, p) < 1e-6
    assert check_loss(BadMSE(), y, p) > 0.4


def test_check_function_catches_a_wrong_derivative(backend):
    z = x64(3, 3)
    assert check_function(activations.sigmoid, activations.sigmoid_derivative, z) < 1e-6
    assert check_function(activations.sigmoid, activations.sigmoid, z) > 0.5
