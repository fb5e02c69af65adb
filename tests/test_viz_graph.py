"""Chapter 3's figures (mmlearn.viz._graph): the graph drawing has a box per node and an
arrow per edge laid out left to right, contours and gradient-check bars show the numbers
they were given, and bad input is refused clearly."""

from __future__ import annotations

import numpy as np
import pytest
from _figures import plt
from matplotlib.contour import ContourSet
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

import mmlearn as mm
from mmlearn import viz


def _ax():
    return plt.subplots()[1]


class _Node:
    """The smallest micrograd-like node: data, grad, _op, _children."""

    def __init__(self, data, children=(), op=""):
        self.data, self.grad, self._children, self._op = float(data), 0.0, children, op

    def __mul__(self, other):
        return _Node(self.data * other.data, (self, other), "*")

    def __add__(self, other):
        return _Node(self.data + other.data, (self, other), "+")


def _boxes(ax):
    return [p for p in ax.patches if isinstance(p, FancyBboxPatch)]


def _arrows(ax):
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch)]


def _centre(box):
    return box.get_x() + box.get_width() / 2, box.get_y() + box.get_height() / 2


# ----------------------------------------------------------------------------- plot_graph


def test_plot_graph_draws_a_box_per_node_and_an_arrow_per_edge():
    ax = viz.plot_graph(["a", "b", "a*b", "out"], [(0, 2), (1, 2), (2, 3), (0, 3)], _ax())
    assert len(_boxes(ax)) == 4 and len(_arrows(ax)) == 4
    assert [t.get_text() for t in ax.texts] == ["a", "b", "a*b", "out"]
    assert not ax.axison


def test_plot_graph_points_every_arrow_to_the_right():
    edges = [(0, 2), (1, 2), (2, 3), (0, 3)]
    ax = viz.plot_graph(["a", "b", "c", "d"], edges, _ax())
    x = [_centre(box)[0] for box in _boxes(ax)]
    assert all(x[src] < x[dst] for src, dst in edges)
    # an input sits just left of its first consumer, not far away in column 0
    assert x[2] - x[1] == pytest.approx(1.0)


def test_plot_graph_keeps_boxes_of_one_column_apart():
    ax = viz.plot_graph(["a", "b", "c", "d", "e"], [(0, 4), (1, 4), (2, 4), (3, 4)], _ax())
    centres = [_centre(box) for box in _boxes(ax)[:4]]
    ys = sorted(y for _, y in centres)
    assert all(b - a >= 1.0 - 1e-9 for a, b in zip(ys, ys[1:], strict=False))


def test_plot_graph_draws_a_repeated_edge_twice_and_bent():
    ax = viz.plot_graph(["d", "d*d"], [(0, 1), (0, 1)], _ax())
    arrows = _arrows(ax)
    assert len(arrows) == 2
    paths = [a.get_path().vertices for a in arrows]
    assert not np.allclose(paths[0], paths[1])


def test_plot_graph_colours_by_kind():
    ax = viz.plot_graph(["x", "f(x)"], [(0, 1)], _ax(), kinds=["op", "op"])
    colours = {tuple(box.get_facecolor()) for box in _boxes(ax)}
    assert len(colours) == 1


@pytest.mark.parametrize(
    ("labels", "edges", "error", "match"),
    [
        ([], [], TypeError, "non-empty"),
        ("abc", [], TypeError, "non-empty list"),
        (["a", 1], [], TypeError, "every label"),
        (["a", "b"], [(0, 2)], ValueError, "outside 0..1"),
        (["a", "b"], [(1, 1)], ValueError, "itself"),
        (["a", "b"], [(0, 1), (1, 0)], ValueError, "cycle"),
        (["a", "b"], [(0, "1")], TypeError, "pair of node indices"),
        (["a", "b"], "01", TypeError, "edges must be a list"),
    ],
)
def test_plot_graph_refuses_bad_input(labels, edges, error, match):
    with pytest.raises(error, match=match):
        viz.plot_graph(labels, edges, _ax())


def test_plot_graph_refuses_unknown_kinds():
    with pytest.raises(ValueError, match="kinds"):
        viz.plot_graph(["a", "b"], [(0, 1)], _ax(), kinds=["input", "leaf"])


# ----------------------------------------------------------------------------- computational graph


def test_plot_computational_graph_shows_names_ops_values_and_gradients():
    w, x, b = _Node(0.5), _Node(2.0), _Node(-1.0)
    wx = w * x
    out = wx + b
    out.grad, wx.grad, b.grad, w.grad, x.grad = 1.0, 1.0, 1.0, 2.0, 0.5
    ax = viz.plot_computational_graph(out, _ax(), names={w: "w", out: "L"}, precision=2)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 5 and len(_arrows(ax)) == 4
    assert "w\ndata 0.50\ngrad 2.00" in texts
    assert "const\ndata 2.00\ngrad 0.50" in texts        # an unnamed input
    assert "*\ndata 1.00\ngrad 1.00" in texts             # an unnamed operation
    assert "L: +\ndata 0.00\ngrad 1.00" in texts          # a named operation


def test_plot_computational_graph_draws_a_value_used_twice_with_two_arrows():
    d = _Node(-1.5)
    loss = d * d
    ax = viz.plot_computational_graph(loss, _ax())
    assert len(_boxes(ax)) == 2 and len(_arrows(ax)) == 2


def test_plot_computational_graph_accepts_micrograds_prev():
    class MicrogradValue:
        def __init__(self, data, prev=(), op=""):
            self.data, self.grad, self._prev, self._op = data, 0.0, set(prev), op

    a = MicrogradValue(1.0)
    ax = viz.plot_computational_graph(MicrogradValue(2.0, (a,), "exp"), _ax())
    assert len(_boxes(ax)) == 2 and len(_arrows(ax)) == 1


def test_plot_computational_graph_refuses_other_objects():
    with pytest.raises(TypeError, match="needs .data, .grad"):
        viz.plot_computational_graph(3.0, _ax())
    with pytest.raises(ValueError, match="precision"):
        viz.plot_computational_graph(_Node(1.0), _ax(), precision=-1)


# ----------------------------------------------------------------------------- loss contours


def _bowl():
    w1, w2 = np.meshgrid(np.linspace(-2, 2, 41), np.linspace(-1, 1, 21))
    return w1, w2, w1 ** 2 + 10 * w2 ** 2 + 0.1


def test_plot_loss_contours_draws_contours_paths_and_the_minimum(backend):
    w1, w2, loss = (mm.backend.asarray(a) for a in _bowl())     # on the active backend
    path = mm.backend.asarray(np.array([[-1.5, 0.8], [-1.0, -0.5], [0.0, 0.0]]))
    ax = viz.plot_loss_contours(w1, w2, loss, _ax(), paths={"eta 0.1": path},
                                minimum=(0.0, 0.0), levels=5)
    contours = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert len(contours) == 1 and len(contours[0].levels) == 5
    assert np.all(np.diff(contours[0].levels) > 0)
    np.testing.assert_allclose(ax.lines[0].get_xydata(), [[-1.5, 0.8], [-1.0, -0.5], [0, 0]])
    np.testing.assert_allclose(ax.lines[1].get_xydata(), [[0.0, 0.0]])
    assert ax.get_xlim() == (-2.0, 2.0) and ax.get_ylim() == (-1.0, 1.0)
    assert ax.get_legend() is not None


def test_plot_loss_contours_stops_a_diverging_path_off_the_picture():
    w1, w2, loss = _bowl()
    path = np.array([[0.5, 0.5], [1.0, -1.5], [30.0, 40.0], [-900.0, 800.0]])
    ax = viz.plot_loss_contours(w1, w2, loss, _ax(), paths=path,
                                levels=[0.5, 1.0, 2.0])
    assert len(ax.lines[0].get_xydata()) == 3       # up to the first point far outside
    assert ax.get_legend() is None                   # an unlabelled path


def test_plot_loss_contours_equal_aspect():
    ax = viz.plot_loss_contours(*_bowl(), _ax(), equal_aspect=True)
    assert ax.get_aspect() == 1.0


def test_plot_loss_contours_refuses_bad_input():
    w1, w2, loss = _bowl()
    with pytest.raises(ValueError, match="same shape"):
        viz.plot_loss_contours(w1, w2, loss[:, :-1], _ax())
    with pytest.raises(ValueError, match="shape \\(steps \\+ 1, 2\\)"):
        viz.plot_loss_contours(w1, w2, loss, _ax(), paths=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="minimum"):
        viz.plot_loss_contours(w1, w2, loss, _ax(), minimum=(0.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="NaN"):
        viz.plot_loss_contours(w1, w2, loss * np.nan, _ax())


# ----------------------------------------------------------------------------- gradient check


def test_plot_gradient_check_bars_threshold_and_log_scale():
    errors = {"exact": {"W": 0.0, "b": 1e-16},
              "central differences": {"W": 1e-9, "b": 2e-10},
              "bug": {"W (bug)": 0.9}}
    ax = viz.plot_gradient_check(errors, _ax(), threshold=1e-6)
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["W", "b", "W (bug)"]
    assert ax.lines[0].get_ydata()[0] == 1e-6
    heights = [[bar.get_height() for bar in c] for c in ax.containers]
    assert heights == [[1e-17, 1e-16], [1e-9, 2e-10], [0.9]]   # 0 drawn at the floor
    # the two comparisons of "W" stand side by side; the bug's bar has its slot alone
    first, second, bug = (c[0] for c in ax.containers)
    assert first.get_x() + first.get_width() <= second.get_x() + 1e-12
    assert bug.get_width() == pytest.approx(0.8)
    assert "10^{-6}" in ax.get_legend().get_texts()[0].get_text()


@pytest.mark.parametrize(
    ("errors", "kwargs", "error"),
    [
        ({}, {}, TypeError),
        ({"a": [1e-9]}, {}, TypeError),
        ({"a": {"W": float("nan")}}, {}, ValueError),
        ({"a": {"W": -1.0}}, {}, ValueError),
        ({"a": {"W": 1e-9}}, {"threshold": 0.0}, ValueError),
    ],
)
def test_plot_gradient_check_refuses_bad_input(errors, kwargs, error):
    with pytest.raises(error):
        viz.plot_gradient_check(errors, _ax(), **kwargs)


def test_the_figures_are_public_names_of_viz():
    for name in ("plot_graph", "plot_computational_graph", "plot_loss_contours",
                 "plot_gradient_check"):
        assert name in viz.__all__ and callable(getattr(viz, name))
