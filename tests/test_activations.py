"""mmlearn.activations: formulas, derivatives (central differences, float64, both backends),
numerical stability, and the ``get`` lookup."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mmlearn as mm
from mmlearn import activations as A
from mmlearn.backend import asarray, to_numpy
from mmlearn.gradcheck import check_function, numerical_gradient, relative_error

TOL = 1e-6
ELEMENTWISE = [
    (A.relu, A.relu_derivative),
    (A.sigmoid, A.sigmoid_derivative),
    (A.tanh, A.tanh_derivative),
    (A.gelu, A.gelu_derivative),
    (A.linear, A.linear_derivative),
]


def x64(*shape, seed=0, shift=0.05):
    """Random float64 inputs on the active backend, nudged off ReLU's kink at 0."""
    v = np.random.default_rng(seed).standard_normal(shape) * 2
    v[np.abs(v) < shift] += 2 * shift
    return asarray(v, dtype="float64")


@pytest.mark.parametrize("f, df", ELEMENTWISE, ids=lambda f: f.__name__)
def test_derivative_matches_central_differences(backend, f, df):
    assert check_function(f, df, x64(4, 5)) < TOL


def test_softmax_jvp_matches_central_differences(backend):
    z = x64(3, 4)
    v = np.random.default_rng(9).standard_normal((3, 4))

    def f(zz):
        return float(np.sum(to_numpy(A.softmax(asarray(zz, dtype="float64"))) * v))

    numeric = numerical_gradient(f, to_numpy(z))
    analytic = A.softmax_derivative(z, asarray(v, dtype="float64"))
    assert relative_error(analytic, numeric) < TOL


def test_softmax_jvp_equals_full_jacobian():
    z = np.array([0.3, -1.2, 2.0])
    s = np.exp(z) / np.exp(z).sum()
    jacobian = np.diag(s) - np.outer(s, s)              # ∂s_i/∂z_j = s_i(δ_ij − s_j)
    v = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(A.softmax_derivative(z, v), jacobian.T @ v, rtol=1e-12)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "gelu", "softmax", "linear"])
def test_objects_backward_matches_central_differences(backend, name):
    act = A.get(name)
    z = x64(3, 4)
    out = act.forward(z)
    R = np.random.default_rng(5).standard_normal(tuple(out.shape))
    analytic = act.backward(asarray(R, dtype="float64"))

    def f(zz):
        return float(np.sum(to_numpy(A.get(name).forward(asarray(zz, dtype="float64"))) * R))

    assert relative_error(analytic, numerical_gradient(f, to_numpy(z))) < TOL


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "gelu", "softmax", "linear", "step"])
def test_float32_stays_float32(backend, name):
    z = asarray(np.linspace(-3, 3, 12).reshape(3, 4), dtype="float32")
    out = A.get(name).forward(z)
    assert to_numpy(out).dtype == np.float32


def test_values_by_formula():
    z = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(A.relu(z), [0, 0, 0, 0.5, 3.0])
    np.testing.assert_allclose(A.sigmoid(z), [1 / (1 + math.exp(-v)) for v in z], rtol=1e-15)
    np.testing.assert_allclose(A.tanh(z), [math.tanh(v) for v in z], rtol=1e-15)
    np.testing.assert_array_equal(A.linear(z), z)
    np.testing.assert_array_equal(A.step(z), [0, 0, 1, 1, 1])
    gelu = [0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3))) for v in z]
    np.testing.assert_allclose(A.gelu(z), gelu, rtol=1e-14)


def test_gelu_is_close_to_the_exact_erf_gelu():
    z = np.linspace(-6, 6, 241)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in z])
    assert np.abs(A.gelu(z) - exact).max() < 1e-3
    assert "erf" in A.gelu.__doc__


def test_relu_derivative_is_zero_at_the_kink():
    np.testing.assert_array_equal(A.relu_derivative(np.array([-1.0, 0.0, 1.0])), [0, 0, 1])


def test_sigmoid_and_softmax_do_not_overflow():
    z = np.array([-1e4, -100.0, 0.0, 100.0, 1e4], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # no "overflow in exp" either
        s = A.sigmoid(z)
        p = A.softmax(z)
    np.testing.assert_array_equal(s[[0, 2, 4]], [0.0, 0.5, 1.0])
    assert np.all(np.isfinite(p)) and p[-1] == 1.0


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, (3, 5), elements=st.floats(-50, 50)),
       st.floats(-1e3, 1e3))
def test_softmax_properties(z, shift):
    p = A.softmax(z)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)
    assert np.all(p >= 0)
    np.testing.assert_allclose(A.softmax(z + shift), p, atol=1e-12)   # shift-invariant
    np.testing.assert_allclose(A.softmax(z.T, axis=0), p.T, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, (6,), elements=st.floats(-700, 700)))
def test_sigmoid_tanh_properties(z):
    s = A.sigmoid(z)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(A.sigmoid(-z), 1 - s, atol=1e-15)
    np.testing.assert_allclose(A.tanh(z), 2 * A.sigmoid(2 * z) - 1, atol=1e-12)
    assert np.all(A.relu(z) >= 0)


def test_get_lookup():
    assert isinstance(A.get(None), A.Linear) and A.get(None).name == "linear"
    assert A.get("ReLU").name == "relu"                  # case-insensitive
    assert isinstance(A.get(A.sigmoid), A.Sigmoid)
    assert isinstance(A.get(A.Tanh), A.Tanh)
    a, b = A.get("relu"), A.get("relu")
    assert a is not b                                     # each layer its own cache
    mine = A.GELU()
    assert A.get(mine) is not mine and A.get(mine).name == "gelu"


def test_get_unknown_names_suggest():
    with pytest.raises(ValueError, match=r"unknown activation 'sigmiod'; expected one of "
                                         r"\[.*'sigmoid'.*\] \(did you mean 'sigmoid'\?\)"):
        A.get("sigmiod")
    with pytest.raises(TypeError, match=r"activation must be a name such as 'relu'.*got 42"):
        A.get(42)
    with pytest.raises(TypeError, match="activation must be a name"):
        A.get(math.sin)                                  # no derivative known


def test_get_accepts_custom_objects_with_forward_backward():
    class Square:
        name = "square"

        def forward(self, z):
            self.z = z
            return z * z

        def backward(self, g):
            return 2 * self.z * g

    act = A.get(Square())
    assert act.forward(np.array([3.0]))[0] == 9.0
    assert act.backward(np.array([1.0]))[0] == 6.0


def test_step_cannot_be_trained_through():
    act = A.get("step")
    act.forward(np.array([0.5]))
    with pytest.raises(ValueError, match=r"activation 'step' has no useful derivative.*"
                                         r"Perceptron"):
        act.backward(np.array([1.0]))
    with pytest.raises(ValueError, match="no useful derivative"):
        A.step_derivative(np.array([1.0]))


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="activation 'tanh': backward called before forward"):
        A.get("tanh").backward(np.ones(3))


def test_functions_follow_the_input_backend():
    mm.set_backend("array_api_strict")
    z = asarray([[-1.0, 2.0]], dtype="float32")
    for f in [A.relu, A.sigmoid, A.tanh, A.gelu, A.softmax, A.linear, A.step]:
        out = f(z)
        assert type(out) is type(z), f.__name__
