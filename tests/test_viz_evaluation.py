"""Chapter 7's figures (mmlearn/viz/_evaluation.py): each draws what it promises, shows the
numbers it was given, accepts any backend's arrays and refuses bad input clearly."""

from __future__ import annotations

import numpy as np
import pytest
from _figures import plt
from matplotlib.axes import Axes

import mmlearn as mm
from mmlearn import viz
from mmlearn.backend import asarray


def _ax():
    return plt.subplots()[1]


def _pairwise_auc(y, s):
    y, s = np.asarray(y), np.asarray(s, dtype=float)
    pos, neg = s[y == 1], s[y == 0]
    return np.mean(pos[:, None] > neg) + 0.5 * np.mean(pos[:, None] == neg)


# ----------------------------------------------------------------------------- ROC


def test_roc_curve_of_the_chapters_example():
    fpr, tpr = viz.roc_curve([1, 0, 1, 0], [0.9, 0.8, 0.4, 0.3])
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 0.5, 1, 1])
    assert np.trapezoid(tpr, fpr) == pytest.approx(0.75)


def test_the_area_under_roc_is_the_pairwise_auc_with_ties():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    s = np.round(rng.normal(size=200) + y, 1)          # rounding makes many ties
    fpr, tpr = viz.roc_curve(y, s)
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert np.trapezoid(tpr, fpr) == pytest.approx(_pairwise_auc(y, s))


def test_roc_curve_takes_backend_arrays_and_leaves_them_alone():
    s = asarray(np.array([0.2, 0.7, 0.5, 0.1], dtype=np.float32))
    before = mm.to_numpy(s).copy()
    fpr, tpr = viz.roc_curve(asarray(np.array([0, 1, 1, 0])), s)
    assert isinstance(fpr, np.ndarray) and np.trapezoid(tpr, fpr) == pytest.approx(1.0)
    np.testing.assert_array_equal(mm.to_numpy(s), before)


@pytest.mark.parametrize(("y", "s", "match"), [
    ([1, 1, 1], [0.1, 0.2, 0.3], "both"),
    ([0, 2, 1], [0.1, 0.2, 0.3], "0 and 1"),
    ([0, 1], [0.1, 0.2, 0.3], "labels"),
    ([0, 1], [0.1, float("nan")], "NaN"),
])
def test_roc_curve_refuses_bad_input(y, s, match):
    with pytest.raises(ValueError, match=match):
        viz.roc_curve(y, s)


def test_plot_roc_puts_the_auc_in_the_legend_and_draws_chance_once():
    ax = _ax()
    assert viz.plot_roc([1, 0, 1, 0], [0.9, 0.8, 0.4, 0.3], ax=ax, label="toy") is ax
    viz.plot_roc([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.3], ax=ax, label="perfect")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["toy (AUC 0.750)", "perfect (AUC 1.000)", "chance"]
    assert sum(line.get_gid() == "roc-chance" for line in ax.get_lines()) == 1


def test_plot_roc_refuses_what_is_not_an_axes():
    with pytest.raises(TypeError, match="Axes"):
        viz.plot_roc([0, 1], [0.1, 0.9], ax="left")


# ----------------------------------------------------------------------------- confusion


def test_plot_confusion_matrix_writes_every_nonzero_count():
    counts = np.array([[5, 0, 1], [2, 7, 0], [0, 0, 9]])
    ax = viz.plot_confusion_matrix(counts, ["a", "b", "c"], ax=_ax())
    assert isinstance(ax, Axes)
    assert sorted(t.get_text() for t in ax.texts) == sorted(["5", "1", "2", "7", "9"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    np.testing.assert_array_equal(ax.images[0].get_array(), counts)


def test_plot_confusion_matrix_can_show_zeros_and_takes_backend_arrays():
    ax = viz.plot_confusion_matrix(asarray(np.eye(2, dtype=np.int64)), ax=_ax(),
                                   show_zeros=True)
    assert len(ax.texts) == 4


@pytest.mark.parametrize(("counts", "names", "error"), [
    (np.ones((2, 3)), None, ValueError),
    (-np.ones((2, 2)), None, ValueError),
    (np.ones((2, 2)), ["only one"], ValueError),
    (np.ones((2, 2)), "ab", TypeError),
])
def test_plot_confusion_matrix_refuses_bad_input(counts, names, error):
    with pytest.raises(error):
        viz.plot_confusion_matrix(counts, names, ax=_ax())


# ----------------------------------------------------------------------------- seeds


def test_plot_seed_spread_draws_every_seed_and_the_references():
    scores = {"a": [0.8, 0.82, 0.85], "b": [0.9, 0.95, 0.97]}
    ax = viz.plot_seed_spread(scores, ax=_ax(), references={"ceiling": 0.845},
                              reference_colors=["C0"])
    dots = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert sorted(np.concatenate([d.get_ydata() for d in dots]).tolist()) == \
        sorted(scores["a"] + scores["b"])
    means = [line for line in ax.get_lines() if line.get_marker() == "_"]
    assert [float(m.get_ydata()[0]) for m in means] == pytest.approx([0.8233333, 0.94])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ceiling"]


def test_plot_seed_spread_with_groups_puts_models_side_by_side():
    scores = {"x": np.full((4, 3), 0.5), "y": np.full((4, 3), 0.7)}
    ax = viz.plot_seed_spread(scores, ax=_ax(), groups=["g1", "g2", "g3"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["g1", "g2", "g3"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x", "y"]
    means = [line for line in ax.get_lines() if line.get_marker() == "_"]
    assert len(means) == 6
    x_of = {float(m.get_ydata()[0]): [] for m in means}
    for m in means:
        x_of[float(m.get_ydata()[0])].append(float(m.get_xdata()[0]))
    assert all(a < b for a, b in zip(x_of[0.5], x_of[0.7], strict=True))


@pytest.mark.parametrize(("scores", "kwargs", "error"), [
    ({}, {}, TypeError),
    ([0.1, 0.2], {}, TypeError),
    ({"a": np.ones((2, 2)), "b": np.ones((2, 3))}, {}, ValueError),
    ({"a": np.ones((2, 2))}, {"groups": ["only one"]}, ValueError),
])
def test_plot_seed_spread_refuses_bad_input(scores, kwargs, error):
    with pytest.raises(error):
        viz.plot_seed_spread(scores, ax=_ax(), **kwargs)


# ----------------------------------------------------------------------------- images


def test_plot_image_grid_fills_rows_and_leaves_the_rest_blank():
    images = np.arange(7 * 12, dtype=float).reshape(7, 12)
    grid = viz.plot_image_grid(images, (3, 4), [f"image {i}" for i in range(7)], ncols=3)
    assert grid.shape == (3, 3)
    drawn = [ax for ax in grid.ravel() if ax.images]
    assert len(drawn) == 7 and drawn[6].get_title() == "image 6"
    np.testing.assert_array_equal(drawn[1].images[0].get_array(), images[1].reshape(3, 4))


def test_plot_image_grid_refuses_a_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        viz.plot_image_grid(np.zeros((2, 10)), (3, 4))
    with pytest.raises(ValueError, match="titles"):
        viz.plot_image_grid(np.zeros((2, 12)), (3, 4), ["one"])


def test_plot_retrieval_ranks_by_similarity_and_frames_the_partner():
    similarity = np.array([[0.9, 0.1, 0.5],
                           [0.8, 0.3, 0.2],
                           [0.0, 0.4, 0.7]])
    images = np.eye(3).repeat(4, axis=1)                # 3 distinct 3 x 4 pictures
    grid = viz.plot_retrieval(similarity, images, (3, 4), [0, 1], ["q0", "q1", "q2"], k=2)
    assert grid.shape == (2, 2)
    assert [ax.get_title() for ax in grid[1]] == ["0.80", "0.30"]
    assert "rank 1" in grid[0, 0].get_ylabel() and "rank 2" in grid[1, 0].get_ylabel()
    assert grid[1, 1].spines["left"].get_linewidth() == 3       # image 1 is q1's partner
    assert grid[1, 0].spines["left"].get_linewidth() != 3


def test_plot_retrieval_refuses_bad_input():
    with pytest.raises(ValueError, match="square"):
        viz.plot_retrieval(np.zeros((2, 3)), np.zeros((2, 4)), (2, 2), [0], ["a", "b"])
    with pytest.raises(ValueError, match="queries"):
        viz.plot_retrieval(np.zeros((2, 2)), np.zeros((2, 4)), (2, 2), [5], ["a", "b"])
    with pytest.raises(ValueError, match="k must"):
        viz.plot_retrieval(np.zeros((2, 2)), np.zeros((2, 4)), (2, 2), [0], ["a", "b"], k=3)
