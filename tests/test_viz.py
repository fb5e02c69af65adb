"""mmlearn.viz: every plot draws on both array backends, returns its Axes with the
artists it promises, shows the numbers it was given, and refuses bad input clearly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _figures import plt
from matplotlib.axes import Axes
from matplotlib.contour import ContourSet
from matplotlib.image import AxesImage

import mmlearn as mm
from mmlearn import viz
from mmlearn.backend import asarray


def _ax():
    return plt.subplots()[1]


def _scatters(ax):
    return [c for c in ax.collections if not isinstance(c, ContourSet)]


def _contours(ax):
    return [c for c in ax.collections if isinstance(c, ContourSet)]


# ----------------------------------------------------------------------------- plot_activation


def test_activation_draws_function_and_derivative_values(backend):
    ax = viz.plot_activation("relu", ax=_ax(), num=101)
    assert isinstance(ax, Axes)
    f, df = ax.get_lines()
    z = f.get_xdata()
    assert z[0] == pytest.approx(-4.0) and z[-1] == pytest.approx(4.0) and z.size == 101
    np.testing.assert_allclose(f.get_ydata(), np.maximum(z, 0.0))
    inside = np.abs(z) > 1e-6  # relu' at exactly 0 is a convention
    np.testing.assert_allclose(df.get_ydata()[inside], (z[inside] > 0).astype(float))
    assert df.get_linestyle() == "--"
    assert f.get_color() == df.get_color()


@pytest.mark.parametrize("derivative, per_name", [(True, 2), (False, 1)])
def test_activation_one_line_per_function_and_derivative(backend, derivative, per_name):
    names = ["relu", "sigmoid", "tanh", "gelu", "step"]
    ax = viz.plot_activation(names, ax=_ax(), derivative=derivative)
    assert len(ax.get_lines()) == per_name * len(names)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[0] == "relu(z)"
    if derivative:
        assert labels[1] == "relu'(z)"


def test_activation_curves_match_their_formulas(backend):
    ax = viz.plot_activation(["sigmoid", "tanh"], ax=_ax(), x_range=(-3, 3), num=61)
    sig, dsig, th, dth = ax.get_lines()
    z = sig.get_xdata().astype(np.float64)
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(sig.get_ydata(), s, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dsig.get_ydata(), s * (1 - s), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(th.get_ydata(), np.tanh(z), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dth.get_ydata(), 1 - np.tanh(z) ** 2, rtol=1e-4, atol=1e-6)


def test_activation_derivatives_agree_with_finite_differences():
    ax = viz.plot_activation(["gelu", "sigmoid"], ax=_ax(), num=801)
    lines = ax.get_lines()
    for f, df in (lines[0:2], lines[2:4]):
        z, y = f.get_xdata().astype(np.float64), f.get_ydata().astype(np.float64)
        slope = np.gradient(y, z)
        np.testing.assert_allclose(df.get_ydata()[1:-1], slope[1:-1], atol=2e-3)


def test_activation_uses_current_axes_when_none_given():
    fig, ax = plt.subplots()
    assert viz.plot_activation("tanh") is ax


def test_activation_unknown_name_suggests_the_close_one():
    with pytest.raises(ValueError, match="did you mean 'relu'"):
        viz.plot_activation("rellu")


def test_activation_softmax_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="vector"):
        viz.plot_activation(["relu", "softmax"])


@pytest.mark.parametrize("bad", [3, None, [], [1.5]])
def test_activation_bad_name_type(bad):
    with pytest.raises(TypeError, match="plot_activation"):
        viz.plot_activation(bad)


@pytest.mark.parametrize("kwargs, exc", [
    ({"x_range": (2, -2)}, ValueError),
    ({"x_range": 5}, TypeError),
    ({"num": 1}, ValueError),
    ({"ax": "left"}, TypeError),
])
def test_activation_bad_options(kwargs, exc):
    with pytest.raises(exc, match="plot_activation"):
        viz.plot_activation("relu", **kwargs)


# ----------------------------------------------------------------------------- decision boundary


def _two_blobs():
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(-1.0, 0.3, (20, 2)), rng.normal(1.0, 0.3, (20, 2))])
    y = np.array([0] * 20 + [1] * 20)
    return X.astype(np.float32), y


def test_boundary_line_is_where_the_score_is_zero(backend):
    X, y = _two_blobs()
    w = asarray(np.array([[1.0], [2.0]]), dtype="float32")

    def score(G):  # runs on the active backend: w·x - 0.5
        return G @ w - 0.5

    ax = viz.plot_decision_boundary(score, asarray(X), asarray(y), ax=_ax(), resolution=60)
    assert isinstance(ax, Axes)
    regions, boundary = _contours(ax)
    assert list(boundary.levels) == [0.0]  # scores are not in [0, 1]: threshold 0
    v = boundary.get_paths()[0].vertices
    assert len(v) > 10
    np.testing.assert_allclose(v[:, 0] + 2 * v[:, 1] - 0.5, 0.0, atol=1e-6)
    assert len(_scatters(ax)) == 2  # one per class


def test_boundary_of_probabilities_uses_one_half():
    X, y = _two_blobs()

    def prob(G):
        G = mm.to_numpy(G).astype(np.float64)
        return 1 / (1 + np.exp(-(G[:, 0] - G[:, 1])))

    ax = viz.plot_decision_boundary(prob, X, y, ax=_ax(), resolution=50)
    boundary = _contours(ax)[1]
    assert list(boundary.levels) == [0.5]
    v = boundary.get_paths()[0].vertices
    # sigmoid(x1 - x2) = 1/2 on the line x1 = x2
    np.testing.assert_allclose(v[:, 0], v[:, 1], atol=1e-4)  # interpolated between grid points


def test_boundary_explicit_threshold():
    X, y = _two_blobs()
    ax = viz.plot_decision_boundary(lambda G: G[:, 0], X, y, ax=_ax(), threshold=0.25,
                                    resolution=40)
    v = _contours(ax)[1].get_paths()[0].vertices
    np.testing.assert_allclose(v[:, 0], 0.25, atol=1e-6)


def test_boundary_grid_covers_the_data_with_padding():
    X = np.array([[0.0, 0.0], [1.0, 2.0]], dtype=np.float32)
    seen = {}

    def record(G):
        seen["G"] = mm.to_numpy(G)
        return G[:, 0] - 0.5

    ax = viz.plot_decision_boundary(record, X, [0, 1], ax=_ax(), resolution=7, padding=0.5)
    G = seen["G"]
    assert G.shape == (49, 2) and G.dtype == np.float32
    assert G[:, 0].min() == pytest.approx(-0.5) and G[:, 0].max() == pytest.approx(1.5)
    assert G[:, 1].min() == pytest.approx(-1.0) and G[:, 1].max() == pytest.approx(3.0)
    assert ax.get_xlim() == pytest.approx((-0.5, 1.5))


def test_boundary_multiclass_takes_the_argmax(backend):
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (30, 2)).astype(np.float32)
    y = rng.integers(0, 3, 30)
    W = asarray(np.array([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]]), dtype="float32")
    ax = viz.plot_decision_boundary(lambda G: G @ W, asarray(X), y, ax=_ax(), resolution=30)
    regions, boundary = _contours(ax)
    assert list(regions.levels) == [-0.5, 0.5, 1.5, 2.5]
    assert list(boundary.levels) == [0.5, 1.5]
    assert len(_scatters(ax)) == 3


def test_boundary_constant_model_draws_no_line_and_no_warning(recwarn):
    X, y = _two_blobs()
    ax = viz.plot_decision_boundary(lambda G: G[:, 0] * 0 + 1.0, X, y, ax=_ax(), resolution=20)
    assert len(_contours(ax)) == 1  # regions only
    assert not [w for w in recwarn if "contour" in str(w.message).lower()]


class _WithPredict:
    def __init__(self):
        self.verbose = "unset"

    def predict(self, X, batch_size=None, verbose="auto"):
        self.verbose, self.batch_size = verbose, batch_size
        return X[:, :1] - X[:, 1:]


class _WithForward:
    def forward(self, X):
        return X[:, 0] + X[:, 1]


def test_boundary_accepts_objects_with_predict_or_forward():
    X, y = _two_blobs()
    model = _WithPredict()
    viz.plot_decision_boundary(model, X, y, ax=_ax(), resolution=10)
    assert model.verbose == 0  # Keras-style predict is asked to stay quiet
    assert model.batch_size >= 100  # and to take the 10 x 10 grid at once
    ax = viz.plot_decision_boundary(_WithForward(), X, y, ax=_ax(), resolution=10)
    v = _contours(ax)[1].get_paths()[0].vertices
    np.testing.assert_allclose(v[:, 0] + v[:, 1], 0.0, atol=1e-6)


def test_boundary_with_a_real_neuron(backend):
    neuron = mm.Neuron(weights=[1.0, 1.0], bias=-1.5, activation="sigmoid")
    X = asarray(np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), dtype="float32")
    ax = viz.plot_decision_boundary(neuron, X, [0, 0, 0, 1], ax=_ax(), resolution=40)
    boundary = _contours(ax)[1]
    assert list(boundary.levels) == [0.0]  # the pre-activation z = w·x + b, not sigmoid(z)
    v = boundary.get_paths()[0].vertices
    np.testing.assert_allclose(v[:, 0] + v[:, 1], 1.5, atol=1e-5)


def test_boundary_of_a_perceptron_is_its_line_not_a_staircase(backend):
    X = asarray(np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), dtype="float32")
    unit = mm.neuron.Perceptron(weights=[2.0, 1.0], bias=-3.0)  # predict gives 0/1 labels
    ax = viz.plot_decision_boundary(unit, X, [0, 0, 0, 1], ax=_ax(), resolution=37)
    boundary = _contours(ax)[1]
    assert list(boundary.levels) == [0.0]
    v = boundary.get_paths()[0].vertices
    np.testing.assert_allclose(2 * v[:, 0] + v[:, 1] - 3, 0.0, atol=1e-5)


def test_boundary_labels_without_y_and_string_labels():
    X, _ = _two_blobs()
    ax = viz.plot_decision_boundary(lambda G: G[:, 0], X, ax=_ax(), resolution=10)
    assert len(_scatters(ax)) == 1
    ax = viz.plot_decision_boundary(lambda G: G[:, 0], X, ["a"] * 20 + ["b"] * 20, ax=_ax(),
                                    resolution=10)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class a", "class b"]


@pytest.mark.parametrize("X, y, match", [
    (np.zeros((4, 3)), [0, 1, 0, 1], r"X must have shape \(n, 2\)"),
    (np.zeros(4), [0, 1, 0, 1], r"X must have shape \(n, 2\)"),
    (np.zeros((0, 2)), [], "X is empty"),
    (np.zeros((4, 2)), [0, 1, 0], "y has 3 labels but X has 4 rows"),
    (np.zeros((4, 2)), [0, 1, 0.5, 1], "non-integer"),
    (np.array([[0, 0], [np.nan, 1]]), [0, 1], "NaN"),
])
def test_boundary_bad_data(X, y, match):
    with pytest.raises(ValueError, match=match):
        viz.plot_decision_boundary(lambda G: G[:, 0], X, y, resolution=5)


def test_boundary_bad_model_and_options():
    X, y = _two_blobs()
    with pytest.raises(TypeError, match="model must be a function"):
        viz.plot_decision_boundary(42, X, y)
    with pytest.raises(ValueError, match="one output row per input row"):
        viz.plot_decision_boundary(lambda G: G[:3, 0], X, y, resolution=5)
    with pytest.raises(ValueError, match="resolution"):
        viz.plot_decision_boundary(lambda G: G[:, 0], X, y, resolution=1)
    with pytest.raises(TypeError, match="X must be an array"):
        viz.plot_decision_boundary(lambda G: G[:, 0], "points", y)


# ----------------------------------------------------------------------------- plot_history


class _History:
    def __init__(self, history):
        self.history = history


def test_history_draws_loss_and_val_loss_per_epoch():
    record = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.1, 0.5, 0.9]}
    ax = viz.plot_history(_History(record), ax=_ax())
    assert isinstance(ax, Axes)
    loss, val = ax.get_lines()
    np.testing.assert_array_equal(loss.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(loss.get_ydata(), record["loss"])
    np.testing.assert_array_equal(val.get_ydata(), record["val_loss"])
    assert ax.get_legend() is not None


def test_history_default_skips_missing_val_loss_but_named_keys_must_exist():
    ax = viz.plot_history({"loss": [3.0, 2.0]}, ax=_ax())
    assert len(ax.get_lines()) == 1 and ax.get_ylabel() == "loss"
    with pytest.raises(ValueError, match="did you mean 'accuracy'"):
        viz.plot_history({"loss": [3.0], "accuracy": [0.5]}, keys=("acuracy",))


def test_history_all_keys_and_a_single_key_string(backend):
    record = {"mistakes": [3, 2, 0], "loss": asarray(np.array([0.3, 0.2, 0.1]))}
    assert len(viz.plot_history(record, keys=None, ax=_ax()).get_lines()) == 2
    ax = viz.plot_history(record, keys="mistakes", ax=_ax(), title="perceptron")
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [3, 2, 0])
    assert ax.get_title() == "perceptron"


@pytest.mark.parametrize("history, exc, match", [
    ([1.0, 2.0], TypeError, "History"),
    ({}, ValueError, "empty"),
    ({"loss": []}, ValueError, "non-empty"),
    ({"loss": [1.0, float("nan")]}, ValueError, "NaN"),
    ({"loss": ["a", "b"]}, TypeError, "real numbers"),
])
def test_history_bad_input(history, exc, match):
    with pytest.raises(exc, match=match):
        viz.plot_history(history)


# ----------------------------------------------------------------------------- plot_attention


def test_attention_shows_the_matrix_with_labels(backend):
    A = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype=np.float32)
    ax = viz.plot_attention(asarray(A), ax=_ax(), x_labels=["a", "cat", "sat"],
                            y_labels=["q1", "q2"], annotate=True)
    assert isinstance(ax, Axes)
    (image,) = ax.get_images()
    assert isinstance(image, AxesImage)
    np.testing.assert_allclose(image.get_array(), A)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "cat", "sat"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["q1", "q2"]
    assert [t.get_text() for t in ax.texts] == ["0.70", "0.20", "0.10", "0.10", "0.10", "0.80"]
    assert len(ax.figure.axes) == 2  # the map and its colour bar


def test_attention_heads_pick_or_average():
    A = np.stack([np.eye(3), np.ones((3, 3)) / 3])
    ax = viz.plot_attention(A, ax=_ax(), head=1, colorbar=False)
    np.testing.assert_allclose(ax.get_images()[0].get_array(), np.ones((3, 3)) / 3)
    assert len(ax.figure.axes) == 1
    ax = viz.plot_attention(A, ax=_ax(), colorbar=False)
    np.testing.assert_allclose(ax.get_images()[0].get_array(), (np.eye(3) + 1 / 3) / 2)


@pytest.mark.parametrize("weights, kwargs, exc, match", [
    (np.ones(3), {}, ValueError, r"\(queries, keys\)"),
    (np.ones((1, 2, 3, 3)), {}, ValueError, r"weights\[0\]"),
    (np.ones((2, 3)), {"x_labels": ["a", "b"]}, ValueError, "x_labels has 2 names"),
    (np.ones((2, 3)), {"y_labels": ["a"]}, ValueError, "y_labels has 1 names"),
    (np.ones((2, 3, 3)), {"head": 2}, ValueError, r"head must be in \[0, 1\]"),
    (np.ones((2, 3, 3)), {"head": 0.5}, TypeError, "head must be an int"),
    (np.ones((3, 3)), {"head": 0}, ValueError, "no heads axis"),
    (np.full((2, 2), np.inf), {}, ValueError, "NaN or inf"),
])
def test_attention_bad_input(weights, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        viz.plot_attention(weights, **kwargs)


# ----------------------------------------------------------------------------- embeddings


def test_pca_keeps_distances_of_points_on_a_plane():
    rng = np.random.default_rng(3)
    coords = rng.normal(size=(40, 2)) * [3.0, 1.0]
    basis, _ = np.linalg.qr(rng.normal(size=(6, 2)))  # an orthonormal plane in 6-D
    Z = coords @ basis.T + 5.0
    P = viz.pca_2d(Z)
    assert P.shape == (40, 2)
    dist = lambda A: np.linalg.norm(A[:, None] - A[None], axis=-1)  # noqa: E731
    np.testing.assert_allclose(dist(P), dist(Z), atol=1e-9)
    np.testing.assert_allclose(P.mean(axis=0), 0.0, atol=1e-9)
    assert P[:, 0].var() > P[:, 1].var()  # first component has the larger spread


def test_pca_sign_is_fixed():
    rng = np.random.default_rng(4)
    Z = rng.normal(size=(20, 4))
    np.testing.assert_allclose(viz.pca_2d(Z), viz.pca_2d(Z[::-1])[::-1], atol=1e-12)
    P = viz.pca_2d(Z)
    for k in range(2):
        assert P[np.argmax(np.abs(P[:, k])), k] > 0 or math.isclose(np.abs(P[:, k]).max(), 0)


def test_embeddings_one_scatter_per_label(backend):
    rng = np.random.default_rng(5)
    Z = asarray(rng.normal(size=(12, 8)), dtype="float32")
    labels = ["image"] * 6 + ["text"] * 6
    ax = viz.plot_embeddings(Z, labels, ax=_ax(), title="CLIP space")
    assert isinstance(ax, Axes)
    assert len(ax.collections) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["image", "text"]
    assert ax.get_xlabel() == "PC1" and ax.get_title() == "CLIP space"


def test_embeddings_two_dims_are_drawn_as_given():
    Z = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, -1.0]])
    ax = viz.plot_embeddings(Z, ax=_ax())
    (points,) = ax.collections
    np.testing.assert_allclose(points.get_offsets(), Z)


@pytest.mark.parametrize("Z, labels, match", [
    (np.ones((5, 1)), None, r"d >= 2"),
    (np.ones(5), None, r"d >= 2"),
    (np.ones((0, 3)), None, "empty"),
    (np.ones((5, 3)), [0, 1], "labels has 2 labels but Z has 5 rows"),
    (np.array([[1.0, np.nan, 0.0]]), None, "NaN"),
])
def test_embeddings_bad_input(Z, labels, match):
    with pytest.raises(ValueError, match=match):
        viz.plot_embeddings(Z, labels)
