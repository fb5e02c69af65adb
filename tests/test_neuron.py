"""mmlearn.neuron: the seed's formula y = f(Σ wᵢxᵢ + b) on one sample and on a batch, and
the perceptron rule on AND, OR (converge) and XOR (never does)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mmlearn as mm
from mmlearn.backend import to_numpy
from mmlearn.neuron import Neuron, Perceptron

X_BOOL = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
GATES = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "xor": [0, 1, 1, 0]}


def test_one_sample_is_the_formula():
    n = Neuron(weights=[0.5, -1.0], bias=0.2)             # sigmoid by default
    z = 0.5 * 1 + (-1.0) * 2 + 0.2
    assert n([1, 2]) == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-6)
    relu = Neuron(weights=[2.0, 3.0], bias=-1.0, activation="relu")
    assert relu([1.0, 1.0]) == pytest.approx(4.0)
    assert relu([-1.0, 0.0]) == 0.0
    assert isinstance(relu([1.0, 1.0]), float)


def test_mmlearn_shortcut():
    assert mm.Neuron is Neuron


@settings(max_examples=30, deadline=None)
@given(w=hnp.arrays(np.float64, 3, elements=st.floats(-3, 3)),
       X=hnp.arrays(np.float64, (4, 3), elements=st.floats(-3, 3)),
       b=st.floats(-2, 2), act=st.sampled_from(["sigmoid", "tanh", "linear", "relu"]))
def test_batch_forward_equals_one_sample_calls(w, X, b, act):
    n = Neuron(weights=w, bias=b, activation=act)
    batch = to_numpy(n.forward(X))
    assert batch.shape == (4,)
    singles = [n(row) for row in X]
    np.testing.assert_allclose(batch, singles, rtol=1e-5, atol=1e-5)


def test_forward_on_both_backends(backend):
    n = Neuron(weights=[1.0, -2.0], bias=0.5, activation="linear")
    out = n.forward(X_BOOL)
    assert type(out).__module__.split(".")[0] == mm.get_namespace().__name__.split(".")[0]
    np.testing.assert_array_equal(to_numpy(out), [0.5, -1.5, 1.5, -0.5])


def test_random_init_follows_the_seed_and_is_bounded():
    mm.set_seed(5)
    a = to_numpy(Neuron(4).weights)
    mm.set_seed(5)
    b = to_numpy(Neuron(4).weights)
    assert a.tobytes() == b.tobytes()
    assert np.abs(a).max() <= math.sqrt(6 / 5) and a.dtype == np.float32


def test_hand_weights_make_an_and_gate():
    gate = Neuron(weights=[1.0, 1.0], bias=-1.5, activation="step")
    assert [gate(x) for x in X_BOOL] == [0.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize("gate", ["and", "or"])
def test_perceptron_converges_on_separable_gates(backend, gate):
    p = Perceptron()
    mistakes = p.fit(X_BOOL, GATES[gate], epochs=20)
    assert len(mistakes) == 20 and mistakes[0] > 0
    first_clean = mistakes.index(0)
    assert all(m == 0 for m in mistakes[first_clean:])   # once right, it stays right
    np.testing.assert_array_equal(to_numpy(p.predict(X_BOOL)), GATES[gate])


def test_perceptron_never_learns_xor():
    p = Perceptron(2)
    mistakes = p.fit(X_BOOL, GATES["xor"], epochs=50)
    assert min(mistakes) > 0
    assert (to_numpy(p.predict(X_BOOL)) != GATES["xor"]).any()


def test_perceptron_rule_by_hand():
    """One update on one sample: w ← w + η(y − ŷ)x, b ← b + η(y − ŷ)."""
    p = Perceptron(weights=[0.0, 0.0], bias=0.0)
    # ŷ = step(0) = 1, y = 0 → w = −0.5·[1, 2], b = −0.5
    assert p.fit(np.array([[1.0, 2.0]]), [0], epochs=1, learning_rate=0.5) == [1]
    np.testing.assert_allclose(to_numpy(p.weights), [-0.5, -1.0])
    assert p.bias == -0.5
    assert p.fit(np.array([[1.0, 2.0]]), [0], epochs=1) == [0]   # right now: no change
    np.testing.assert_allclose(to_numpy(p.weights), [-0.5, -1.0])


def test_perceptron_shuffle_follows_the_seed():
    mm.set_seed(1)
    a = Perceptron().fit(X_BOOL, GATES["or"], epochs=6, shuffle=True)
    mm.set_seed(1)
    b = Perceptron().fit(X_BOOL, GATES["or"], epochs=6, shuffle=True)
    assert a == b and a[-1] == 0


def test_neuron_bad_input_messages():
    n = Neuron(weights=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"Neuron expected x of length 3, got 2"):
        n([1.0, 2.0])
    with pytest.raises(TypeError, match=r"Neuron: x must hold real numbers, got 'a'"):
        n([1.0, "a", 2.0])
    with pytest.raises(TypeError, match=r"Neuron: x must be a sequence of 3 numbers"):
        n(5.0)
    with pytest.raises(ValueError, match=r"Neuron: x contains NaN or inf"):
        n([1.0, float("nan"), 2.0])
    with pytest.raises(ValueError, match=r"Neuron expected X of shape \(batch, 3\), "
                                         r"got \(batch, 2\)"):
        n.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"X must be a 2-d array, got shape \(3,\)"):
        n.forward(np.ones(3))
    with pytest.raises(TypeError, match=r"X must hold real numbers, got dtype complex128"):
        n.forward(np.ones((2, 3), dtype=complex))
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        n.forward(np.full((2, 3), np.inf))
    with pytest.raises(ValueError, match="X is empty"):
        n.forward(np.ones((0, 3)))


def test_neuron_bad_construction():
    with pytest.raises(ValueError, match="give n_inputs"):
        Neuron()
    with pytest.raises(ValueError, match=r"Neuron: n_inputs must be a positive int, got 0"):
        Neuron(0)
    with pytest.raises(ValueError, match=r"n_inputs=3 but weights has 2 entries"):
        Neuron(3, weights=[1.0, 2.0])
    with pytest.raises(TypeError, match=r"bias must be a finite real number, got 'x'"):
        Neuron(2, bias="x")
    with pytest.raises(ValueError, match=r"unknown activation 'sigmod'.*did you mean 'sigmoid'"):
        Neuron(2, activation="sigmod")


def test_perceptron_bad_input_messages():
    p = Perceptron()
    with pytest.raises(RuntimeError, match="call fit first"):
        p.predict(X_BOOL)
    with pytest.raises(ValueError, match=r"y must hold labels 0 or 1, got \[2.0\]"):
        p.fit(X_BOOL, [0, 1, 2, 1])
    with pytest.raises(ValueError, match=r"X and y must have the same batch size, got 4 and 3"):
        p.fit(X_BOOL, [0, 1, 1])
    with pytest.raises(ValueError, match=r"epochs must be a positive int, got 0"):
        p.fit(X_BOOL, [0, 1, 1, 1], epochs=0)
    with pytest.raises(ValueError, match=r"learning_rate must be a positive number, got -1"):
        p.fit(X_BOOL, [0, 1, 1, 1], learning_rate=-1)
    p.fit(X_BOOL, [0, 1, 1, 1], epochs=1)
    with pytest.raises(ValueError, match=r"Perceptron expected X of shape \(batch, 2\), "
                                         r"got \(batch, 3\)"):
        p.fit(np.ones((4, 3)), [0, 1, 1, 1])


def test_repr_shows_the_parameters():
    r = repr(Neuron(weights=[1.0, -0.5], bias=0.25, activation="tanh"))
    assert r == "Neuron(weights=[1, -0.5], bias=0.25, activation='tanh')"
