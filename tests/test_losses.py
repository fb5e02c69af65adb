"""mmlearn.losses: values by hand, Keras's clipping, float64 gradient checks on both
backends, the fused softmax/sigmoid path, stability with huge logits, and bad input."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mmlearn as mm
from mmlearn import activations, losses
from mmlearn.backend import asarray, to_numpy
from mmlearn.gradcheck import check_loss, numerical_gradient, relative_error

TOL = 1e-6
LABELS = np.array([0, 2, 1, 2, 0])


def f64(a):
    return asarray(np.asarray(a, dtype=np.float64), dtype="float64")


def probs(n=5, c=3, seed=0):
    """Softmax probabilities well inside (1e-7, 1 − 1e-7)."""
    z = np.random.default_rng(seed).standard_normal((n, c))
    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)


# -- values by hand ------------------------------------------------------------------------
def test_mse_value_and_gradient_by_hand(backend):
    loss = losses.MeanSquaredError()
    value = loss(f64([[1.0, 2.0], [3.0, 4.0]]), f64([[1.0, 0.0], [2.0, 4.0]]))
    assert float(value) == pytest.approx((0 + 4 + 1 + 0) / 4)
    np.testing.assert_allclose(to_numpy(loss.backward()), [[0, -1.0], [-0.5, 0]])


def test_returns_a_0d_array_on_the_backend_of_y_pred(backend):
    y_pred = asarray(probs(), dtype="float32")
    for loss, y in [(losses.MeanSquaredError(), probs(seed=1)),
                    (losses.CategoricalCrossentropy(), np.eye(3)[LABELS]),
                    (losses.SparseCategoricalCrossentropy(), LABELS),
                    (losses.BinaryCrossentropy(), (probs(seed=2) > 0.3).astype(float))]:
        value = loss(y, y_pred)
        assert mm.backend.is_array(value) and value.ndim == 0, loss
        assert type(value) is type(y_pred)
        assert to_numpy(value).dtype == np.float32      # float32 stays float32
        assert to_numpy(loss.backward()).dtype == np.float32


def test_sparse_ce_value_by_hand(backend):
    p = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]
    value = losses.SparseCategoricalCrossentropy()(np.array([0, 1]), f64(p))
    assert float(value) == pytest.approx(-(math.log(0.7) + math.log(0.1)) / 2, rel=1e-12)


def test_categorical_ce_normalises_like_keras():
    """Keras divides by Σŷ first: [2, 1, 1] is read as [0.5, 0.25, 0.25]."""
    value = losses.CategoricalCrossentropy()(np.array([[1.0, 0, 0]]), np.array([[2.0, 1, 1]]))
    assert float(value) == pytest.approx(-math.log(0.5), rel=1e-12)


def test_binary_ce_value_by_hand():
    value = losses.BinaryCrossentropy()(np.array([1.0, 0.0]), np.array([[0.9], [0.2]]))
    assert float(value) == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2, rel=1e-12)


def test_clipping_at_1e_minus_7():
    ce = losses.SparseCategoricalCrossentropy()
    value = ce(np.array([1]), np.array([[1.0, 0.0, 0.0]]))
    assert float(value) == pytest.approx(-math.log(1e-7), rel=1e-9)
    np.testing.assert_array_equal(ce.fused_backward(), [[0.0, 0.0, 0.0]])   # clipped row
    np.testing.assert_array_equal(ce.backward(), [[0.0, 0.0, 0.0]])
    bce = losses.BinaryCrossentropy()
    assert float(bce(np.array([1.0]), np.array([0.0]))) == pytest.approx(-math.log(1e-7))
    assert float(to_numpy(bce.backward())[0]) == 0.0


# -- gradient checks (float64, both backends) -----------------------------------------------
@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_ce_gradcheck(backend, from_logits):
    y_pred = np.log(probs()) * 1.3 if from_logits else probs()
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    assert check_loss(loss, LABELS, f64(y_pred)) < TOL


@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_ce_gradcheck_soft_targets(backend, from_logits):
    t = probs(seed=4)                                        # soft labels, rows sum to 1
    y_pred = np.log(probs()) if from_logits else probs() * 1.7   # unnormalised on purpose
    loss = losses.CategoricalCrossentropy(from_logits=from_logits)
    assert check_loss(loss, f64(t), f64(y_pred)) < TOL


@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_ce_gradcheck(backend, from_logits):
    rng = np.random.default_rng(3)
    y = (rng.random((4, 2)) > 0.5).astype(float)
    y_pred = rng.standard_normal((4, 2)) if from_logits else rng.uniform(0.05, 0.95, (4, 2))
    assert check_loss(losses.BinaryCrossentropy(from_logits=from_logits), f64(y), f64(y_pred)) \
        < TOL


def test_mse_gradcheck(backend):
    rng = np.random.default_rng(2)
    assert check_loss(losses.MeanSquaredError(), f64(rng.standard_normal((4, 3))),
                      f64(rng.standard_normal((4, 3)))) < TOL


def test_sequence_outputs_gradcheck(backend):
    """(batch, steps, classes) with labels (batch, steps): the mean is over every position."""
    p = probs(6, 3).reshape(2, 3, 3)
    labels = np.array([[0, 1, 2], [2, 2, 1]])
    loss = losses.SparseCategoricalCrossentropy()
    value = float(loss(labels, f64(p)))
    assert value == pytest.approx(-np.mean(np.log(np.take_along_axis(
        p, labels[..., None], axis=-1))), rel=1e-12)
    assert check_loss(loss, labels, f64(p)) < TOL


# -- the fused path --------------------------------------------------------------------------
@pytest.mark.parametrize("loss_cls", [losses.SparseCategoricalCrossentropy,
                                      losses.CategoricalCrossentropy])
def test_fused_gradient_is_p_minus_onehot_over_n_and_matches_differences(backend, loss_cls):
    z = np.random.default_rng(7).standard_normal((5, 3)) * 2
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    y = LABELS if loss_cls is losses.SparseCategoricalCrossentropy else np.eye(3)[LABELS]
    loss = loss_cls()
    assert loss.fuses_with == "softmax" and loss_cls.fuses_with == "softmax"
    loss(y, f64(p))
    fused = to_numpy(loss.fused_backward())
    np.testing.assert_allclose(fused, (p - np.eye(3)[LABELS]) / 5, rtol=1e-12, atol=1e-15)

    def f(logits):
        return float(to_numpy(loss(y, activations.softmax(f64(logits)))))

    assert relative_error(fused, numerical_gradient(f, z)) < TOL


def test_fused_gradient_zero_only_on_clipped_rows():
    z = np.array([[30.0, 0.0, -30.0],      # true class 2 gets e^-60 < 1e-7: clipped
                  [0.5, 0.1, -0.2]])
    p = activations.softmax(z)
    loss = losses.SparseCategoricalCrossentropy()
    loss(np.array([2, 0]), p)
    fused = loss.fused_backward()
    np.testing.assert_array_equal(fused[0], 0.0)
    np.testing.assert_allclose(fused[1], (p[1] - [1, 0, 0]) / 2, rtol=1e-12)


def test_binary_fused_with_sigmoid(backend):
    rng = np.random.default_rng(5)
    z = rng.standard_normal((4, 1))
    y = np.array([[1.0], [0.0], [0.0], [1.0]])
    loss = losses.BinaryCrossentropy()
    assert loss.fuses_with == "sigmoid"
    loss(f64(y), activations.sigmoid(f64(z)))
    fused = to_numpy(loss.fused_backward())

    def f(logits):
        return float(to_numpy(loss(f64(y), activations.sigmoid(f64(logits)))))

    assert relative_error(fused, numerical_gradient(f, z)) < TOL


def test_from_logits_has_no_fused_path():
    for cls in [losses.SparseCategoricalCrossentropy, losses.CategoricalCrossentropy,
                losses.BinaryCrossentropy]:
        loss = cls(from_logits=True)
        assert loss.fuses_with is None
        loss(np.array([[1.0, 0.0]]) if cls is not losses.SparseCategoricalCrossentropy
             else np.array([0]), np.array([[0.3, -0.2]]))
        with pytest.raises(RuntimeError, match="from_logits=True.*no fused path"):
            loss.fused_backward()


# -- stability -------------------------------------------------------------------------------
def test_huge_logits_stay_finite(backend):
    z = asarray(np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]]), dtype="float32")
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    value = float(loss(np.array([1, 1]), z))
    # row 0: log-softmax of class 1 is 0 − 1e4 − log(1 + e^-1e4 + e^-2e4) = −1e4; row 1: 0
    assert value == pytest.approx(1e4 / 2, rel=1e-6)
    grad = to_numpy(loss.backward())
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-7)
    cce = losses.CategoricalCrossentropy(from_logits=True)
    assert np.isfinite(float(cce(np.eye(3)[[2, 0]], z)))
    assert np.all(np.isfinite(to_numpy(cce.backward())))
    bce = losses.BinaryCrossentropy(from_logits=True)
    value = float(bce(np.array([[1.0, 0.0, 1.0]]), z[:1, :]))
    # −log σ(1e4) = 0,  −log(1 − σ(0)) = log 2,  −log σ(−1e4) = 1e4
    assert value == pytest.approx((0 + math.log(2) + 1e4) / 3, rel=1e-6)
    assert np.all(np.isfinite(to_numpy(bce.backward())))


def test_nan_predictions_give_a_nan_loss_not_an_error():
    """A diverging model must surface as a NaN loss (TerminateOnNaN), not an exception."""
    value = losses.MeanSquaredError()(np.zeros((2, 1)), np.array([[np.nan], [1.0]]))
    assert math.isnan(float(value))


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float64, (4, 3), elements=st.floats(-30, 30)))
def test_from_logits_equals_softmax_then_probabilities(z):
    """On logits whose softmax is not clipped, both routes give the same value."""
    p = activations.softmax(z)
    if np.any(p < 1e-7) or np.any(p > 1 - 1e-7):
        return
    a = float(losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([0, 1, 2, 0]), z))
    b = float(losses.SparseCategoricalCrossentropy()(np.array([0, 1, 2, 0]), p))
    assert a == pytest.approx(b, rel=1e-9, abs=1e-12)


# -- bad input -------------------------------------------------------------------------------
def test_labels_out_of_range():
    loss = losses.SparseCategoricalCrossentropy()
    with pytest.raises(ValueError, match=r"y_true must be in \[0, 2\] for 3 classes, got 3"):
        loss(np.array([0, 3]), probs(2))
    with pytest.raises(ValueError, match=r"y_true must be in \[0, 2\] for 3 classes, got -1"):
        loss(np.array([-1, 0]), probs(2))
    with pytest.raises(ValueError, match="whole-number class labels"):
        loss(np.array([0.5, 1.0]), probs(2))


def test_batch_mismatch():
    with pytest.raises(ValueError, match=r"y_true and y_pred must have the same batch size, "
                                         r"got \{'y_true': 4, 'y_pred': 5\}"):
        losses.SparseCategoricalCrossentropy()(np.array([0, 1, 2, 0]), probs(5))
    with pytest.raises(ValueError, match=r"y_true and y_pred must have the same batch size"):
        losses.CategoricalCrossentropy()(np.eye(3)[[0, 1]], probs(5))


def test_shape_mismatch_within_a_batch():
    with pytest.raises(ValueError, match=r"CategoricalCrossentropy: y_true must have the shape of "
                                         r"y_pred \(5, 3\), got \(5, 4\)"):
        losses.CategoricalCrossentropy()(np.eye(4)[[0, 1, 2, 3, 0]], probs(5))
    with pytest.raises(ValueError, match=r"y_true must have shape \(2, 3\) for y_pred "
                                         r"\(2, 3, 3\), got \(2,\)"):
        losses.SparseCategoricalCrossentropy()(np.array([0, 1]), probs(6).reshape(2, 3, 3))


def test_rank_one_with_trailing_one_is_accepted_as_in_keras():
    a = float(losses.MeanSquaredError()(np.array([1.0, 2.0]), np.array([[0.0], [0.0]])))
    b = float(losses.MeanSquaredError()(np.array([[1.0], [2.0]]), np.array([0.0, 0.0])))
    assert a == b == pytest.approx(2.5)


@pytest.mark.parametrize("loss_cls", [losses.MeanSquaredError, losses.BinaryCrossentropy,
                                      losses.CategoricalCrossentropy,
                                      losses.SparseCategoricalCrossentropy])
def test_bad_y_pred(loss_cls):
    name = loss_cls.__name__
    loss = loss_cls()
    y = np.array([0, 1])
    with pytest.raises(TypeError, match=rf"{name}: y_pred must hold real numbers, got dtype "
                                        r"complex128"):
        loss(y, np.ones((2, 2), dtype=complex))
    with pytest.raises(TypeError, match=rf"{name}: y_pred must hold real numbers, got dtype <U1"):
        loss(y, np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(TypeError, match=rf"{name}: y_pred must be an array of numbers, got str"):
        loss(y, "probabilities")
    with pytest.raises(ValueError, match=rf"{name}: y_pred is empty \(shape \(0, 2\)\)"):
        loss(np.zeros((0,)), np.ones((0, 2)))


@pytest.mark.parametrize("loss_cls", [losses.MeanSquaredError, losses.BinaryCrossentropy,
                                      losses.CategoricalCrossentropy])
def test_bad_y_true(loss_cls):
    name = loss_cls.__name__
    with pytest.raises(TypeError, match=rf"{name}: y_true must hold real numbers, got dtype "
                                        r"complex128"):
        loss_cls()(np.ones((2, 2), dtype=complex), probs(2, 2))
    with pytest.raises(TypeError, match=rf"{name}: y_true must be an array of numbers, got dict"):
        loss_cls()({"a": 1}, probs(2, 2))


def test_sparse_bad_labels_dtype():
    with pytest.raises(TypeError, match=r"y_true must hold integer class labels, got dtype "
                                        r"complex128"):
        losses.SparseCategoricalCrossentropy()(np.array([1j, 0j]), probs(2))
    with pytest.raises(ValueError, match=r"SparseCategoricalCrossentropy: y_pred must have shape "
                                         r"\(batch, classes\), got \(3,\)"):
        losses.SparseCategoricalCrossentropy()(np.array([0, 1, 2]), np.ones(3))


def test_backward_before_call():
    with pytest.raises(RuntimeError, match=r"MeanSquaredError: backward called before the loss "
                                           r"was computed"):
        losses.MeanSquaredError().backward()


def test_labels_from_another_backend_follow_y_pred():
    mm.set_backend("array_api_strict")
    p = asarray(probs(), dtype="float32")
    value = losses.SparseCategoricalCrossentropy()(LABELS, p)       # NumPy labels
    assert type(value) is type(p)
    value = losses.CategoricalCrossentropy()(np.eye(3)[LABELS], p)
    assert type(value) is type(p)


# -- lookup ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, cls", [
    ("mse", losses.MeanSquaredError), ("mean_squared_error", losses.MeanSquaredError),
    ("MeanSquaredError", losses.MeanSquaredError),
    ("binary_crossentropy", losses.BinaryCrossentropy),
    ("categorical_crossentropy", losses.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy),
    ("Sparse_Categorical_Crossentropy", losses.SparseCategoricalCrossentropy),
])
def test_get_by_keras_names(name, cls):
    loss = losses.get(name)
    assert type(loss) is cls and loss is not losses.get(name)


def test_get_objects_and_classes():
    loss = losses.CategoricalCrossentropy(from_logits=True)
    assert losses.get(loss) is loss
    assert type(losses.get(losses.MeanSquaredError)) is losses.MeanSquaredError
    with pytest.raises(TypeError, match=r"loss must be a name such as "
                                        r"'sparse_categorical_crossentropy'.*got 42"):
        losses.get(42)


def test_get_unknown_name_suggests():
    with pytest.raises(ValueError, match=r"unknown loss 'sparse_categorical_crosentropy'; "
                                         r"expected one of .* \(did you mean "
                                         r"'sparse_categorical_crossentropy'\?\)"):
        losses.get("sparse_categorical_crosentropy")
    with pytest.raises(ValueError, match=r"did you mean 'mse'"):
        losses.get("mes")


def test_losses_does_not_import_contrastive():
    """losses sits below contrastive and models (tests/test_imports.py): it imports neither,
    not even inside a function. (``import mmlearn`` itself now imports every submodule.)"""
    from test_imports import import_graph

    graph = import_graph()
    below = {m for m in graph if m == "mmlearn.losses" or m.startswith("mmlearn.losses.")}
    assert not {t for m in below for t in graph[m]
                if t.startswith(("mmlearn.contrastive", "mmlearn.models"))}


def test_infonce_is_reachable_lazily():
    contrastive = importlib.import_module("mmlearn.contrastive")
    assert losses.InfoNCE is contrastive.InfoNCE
    assert isinstance(losses.get("infonce"), contrastive.InfoNCE)
    assert isinstance(losses.get("InfoNCE"), contrastive.InfoNCE)
    with pytest.raises(AttributeError, match="has no attribute 'InfoNSE'"):
        losses.InfoNSE  # noqa: B018


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_ce_on_labels_a_model_checked_equals_the_checked_call(backend, from_logits):
    """fit passes labels it validated once to ``compute``, which skips the re-checks:
    the loss and the gradient must be those of the ordinary call, bit for bit."""
    r = np.random.default_rng(2)
    z = asarray(r.standard_normal((6, 4)), dtype="float32")
    y_pred = z if from_logits else activations.softmax(z)
    labels = asarray(np.array([0, 3, 1, 1, 2, 3]), dtype="int64")
    plain, checked = (losses.SparseCategoricalCrossentropy(from_logits=from_logits)
                      for _ in range(2))
    assert float(plain(labels, y_pred)) == float(checked.compute(labels, y_pred))
    assert np.array_equal(to_numpy(plain.backward()), to_numpy(checked.backward()))
    if not from_logits:
        assert np.array_equal(to_numpy(plain.fused_backward()),
                              to_numpy(checked.fused_backward()))
    # Unchecked labels belong to the ordinary call, with its clear errors.
    with pytest.raises(ValueError, match="y_true"):
        checked(asarray(np.zeros((6, 2)), dtype="int64"), y_pred)
