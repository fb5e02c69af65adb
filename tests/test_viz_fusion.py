"""mmlearn.viz figures of chapter 6: the fusion results over seeds next to the models' sizes,
and the matrix of picture-caption similarities."""

from __future__ import annotations

import numpy as np
import pytest
from _figures import plt
from matplotlib.axes import Axes
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle

from mmlearn import viz
from mmlearn.backend import asarray

ACCURACIES = {"image only": [0.30, 0.32, 0.29], "Concat": asarray(np.array([0.92, 0.91, 0.93])),
              "Late": (0.89, 0.88, 0.90)}
PARAMETERS = {"image only": 5993, "Concat": 7881, "Late": 6098}


def _bars(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_fusion_results_draw_mean_bars_seed_dots_and_the_ceiling(backend):
    left, right = viz.plot_fusion_results(ACCURACIES, PARAMETERS, ceiling=1 / 3)
    assert isinstance(left, Axes) and isinstance(right, Axes)
    means = [bar.get_width() for bar in _bars(left)]
    np.testing.assert_allclose(means, [np.mean(v) for v in
                                       ([0.30, 0.32, 0.29], [0.92, 0.91, 0.93],
                                        [0.89, 0.88, 0.90])])
    dots = [line for line in left.get_lines() if line.get_marker() == "o"]
    assert len(dots) == 3
    np.testing.assert_allclose(sorted(dots[1].get_xdata()), [0.91, 0.92, 0.93])
    ceiling = [line for line in left.get_lines() if line.get_linestyle() == "--"]
    assert len(ceiling) == 1 and ceiling[0].get_xdata()[0] == pytest.approx(1 / 3)
    assert [bar.get_width() for bar in _bars(right)] == [5993, 7881, 6098]
    assert [t.get_text() for t in left.get_yticklabels()] == list(ACCURACIES)
    assert left.yaxis_inverted()                # the first model on top, as in a table


def test_fusion_results_draw_on_given_axes_without_a_ceiling():
    fig, axes = plt.subplots(1, 2)
    drawn = viz.plot_fusion_results({"a": [0.5]}, {"a": 10}, axes=axes,
                                    accuracy_label="Genauigkeit")
    assert list(drawn) == list(axes)
    assert not [line for line in axes[0].get_lines() if line.get_linestyle() == "--"]
    assert axes[0].get_xlabel() == "Genauigkeit"


@pytest.mark.parametrize(("accuracies", "parameters", "kwargs", "error", "match"), [
    ({}, {}, {}, TypeError, "non-empty dict"),
    ({"a": [0.5]}, {"b": 3}, {}, ValueError, "same names"),
    ({"a": [1.5]}, {"a": 3}, {}, ValueError, r"in \[0, 1\]"),
    ({"a": []}, {"a": 3}, {}, ValueError, "one or more"),
    ({"a": [0.5]}, {"a": 3}, {"ceiling": 2.0}, ValueError, "ceiling"),
    ({"a": [0.5]}, {"a": 3}, {"axes": "no"}, ValueError, "two Axes"),
])
def test_fusion_results_refuse_bad_input(accuracies, parameters, kwargs, error, match):
    with pytest.raises(error, match=match):
        viz.plot_fusion_results(accuracies, parameters, **kwargs)


def test_similarity_matrix_shows_the_values_and_outlines_the_diagonal(backend):
    similarity = np.array([[0.9, 0.1, -0.2], [0.3, 0.8, 0.0], [0.2, 0.4, 0.7]])
    ax = viz.plot_similarity_matrix(asarray(similarity), ["p0", "p1", "p2"],
                                    ["c0", "c1", "c2"], ax=plt.subplots()[1])
    images = [im for im in ax.get_images() if isinstance(im, AxesImage)]
    assert len(images) == 1
    np.testing.assert_allclose(images[0].get_array(), similarity)
    outlines = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert [tuple(p.get_xy()) for p in outlines] == [(-0.5, -0.5), (0.5, 0.5), (1.5, 1.5)]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["c0", "c1", "c2"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["p0", "p1", "p2"]
    assert len(ax.figure.axes) == 2                     # the matrix and its colour bar


@pytest.mark.parametrize(("similarity", "rows", "columns", "match"), [
    (np.zeros(3), ["a"], ["b"], "shape"),
    (np.zeros((2, 2)), ["a"], ["b", "c"], "row_labels"),
    (np.zeros((2, 2)), ["a", "b"], ["c"], "column_labels"),
])
def test_similarity_matrix_refuses_bad_shapes(similarity, rows, columns, match):
    with pytest.raises(ValueError, match=match):
        viz.plot_similarity_matrix(similarity, rows, columns)
