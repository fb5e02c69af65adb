"""Chapter 4's figures (mmlearn/viz/_neuron_diagrams.py): the neuron diagram writes the
symbols or the numbers it was given, the before/after picture follows each point from
input space to hidden space, and both refuse bad input clearly."""

from __future__ import annotations

import numpy as np
import pytest
from _figures import plt
from matplotlib.axes import Axes
from matplotlib.contour import ContourSet

import mmlearn as mm
from mmlearn import viz
from mmlearn.backend import asarray

X_LOGIC = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
Y_XOR = np.array([0, 1, 1, 0])



def _texts(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.texts]


def _hand_made_xor():
    """The chapter's OR and NAND hidden neurons, their outputs, and the AND output."""
    h_or = mm.Neuron(weights=[1.0, 1.0], bias=-0.5, activation="step")
    h_nand = mm.Neuron(weights=[-1.0, -1.0], bias=1.5, activation="step")
    out_and = mm.Neuron(weights=[1.0, 1.0], bias=-1.5, activation="step")
    H = np.stack([mm.to_numpy(h_or.forward(X_LOGIC)),
                  mm.to_numpy(h_nand.forward(X_LOGIC))], axis=1)
    return [h_or, h_nand], H, out_and


# ----------------------------------------------------------------------------- diagram


def test_symbolic_diagram_names_every_part_of_the_formula():
    ax = viz.plot_neuron_diagram(ax=plt.subplots()[1])
    assert isinstance(ax, Axes) and not ax.axison
    texts = _texts(ax)
    for symbol in ("$x_1$", "$x_2$", "$x_n$", "$w_1$", "$w_2$", "$w_n$", "$b$",
                   r"$\Sigma$", "$f$", "$z$", "$y$", r"$\vdots$"):
        assert symbol in texts, symbol
    assert {"inputs", "weights", "sum and bias", "activation", "output"} <= set(texts)


def test_numeric_diagram_shows_the_neurons_numbers_and_its_output():
    neuron = mm.Neuron(weights=[0.5, -0.25, 1.0], bias=0.5, activation="sigmoid")
    x = [1.0, 2.0, -1.0]
    texts = _texts(viz.plot_neuron_diagram(neuron, x, ax=plt.subplots()[1]))
    for value in ("0.5", "-0.25", "1", "2", "-1", "b = 0.5", "sigmoid", "z = -0.5"):
        assert value in texts, value
    assert f"y = {neuron(x):.4g}" in texts
    assert {"$x_1$", "$x_2$", "$x_3$"} <= set(texts)      # each value named beside it


def test_numeric_diagram_without_a_sample_writes_the_symbols_of_the_inputs():
    neuron = mm.Neuron(weights=[2.0, -1.0], bias=0.0, activation="relu")
    texts = _texts(viz.plot_neuron_diagram(neuron, ax=plt.subplots()[1],
                                           captions=("a", "b", "c", "d", "e")))
    assert {"$x_1$", "$x_2$", "2", "-1", "b = 0", "relu", "$z$", "$y$"} <= set(texts)
    assert {"a", "b", "c", "d", "e"} <= set(texts)


def test_diagram_takes_a_backend_array_and_leaves_it_alone():
    neuron = mm.Neuron(weights=[0.5, 1.5], bias=0.25, activation="tanh")
    x = asarray([2.0, -1.0], dtype="float32")
    before = mm.to_numpy(x).copy()
    texts = _texts(viz.plot_neuron_diagram(neuron, x, ax=plt.subplots()[1]))
    assert "z = -0.25" in texts
    np.testing.assert_array_equal(mm.to_numpy(x), before)


def test_diagram_refuses_bad_input():
    neuron = mm.Neuron(weights=[1.0, 1.0], bias=0.0)
    with pytest.raises(ValueError, match="without a neuron"):
        viz.plot_neuron_diagram(x=[1.0, 2.0])
    with pytest.raises(ValueError, match="shape"):
        viz.plot_neuron_diagram(neuron, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="captions"):
        viz.plot_neuron_diagram(captions=("inputs",))
    with pytest.raises(TypeError, match="weights"):
        viz.plot_neuron_diagram(object())
    with pytest.raises(TypeError, match="Axes"):
        viz.plot_neuron_diagram(ax="not an axes")


# ----------------------------------------------------------------------------- remap


def test_remap_follows_each_point_and_shows_merges():
    hidden, H, out_and = _hand_made_xor()
    before, after = viz.plot_hidden_remap(X_LOGIC, H, Y_XOR, hidden=hidden, output=out_and)
    assert {"A (0, 0)", "B (0, 1)", "C (1, 0)", "D (1, 1)"} <= set(_texts(before))
    # OR and NAND send (0, 1) and (1, 0) to the same spot (1, 1): one label for both
    assert "B, C" in _texts(after) and {"A", "D"} <= set(_texts(after))
    assert before.get_xlabel() == "$x_1$" and after.get_xlabel() == "$h_1$"
    dashed = [line for line in before.lines if line.get_linestyle() == "--"]
    assert len(dashed) == 2                               # one line per hidden neuron
    assert any(isinstance(c, ContourSet) for c in after.collections)   # output's sides
    assert len(after.lines) == 1                          # the output's line


def test_remap_points_are_where_the_data_says():
    hidden, H, _ = _hand_made_xor()
    before, after = viz.plot_hidden_remap(X_LOGIC, H, Y_XOR)
    for ax, P in ((before, X_LOGIC), (after, H)):
        drawn = np.concatenate([c.get_offsets() for c in ax.collections
                                if not isinstance(c, ContourSet)])
        assert sorted(map(tuple, drawn.tolist())) == sorted(map(tuple, P.tolist()))
        assert not ax.lines                               # no neurons given, no lines


def test_remap_draws_on_given_axes_with_backend_arrays():
    hidden, H, out_and = _hand_made_xor()
    _, axes = plt.subplots(1, 2)
    X = asarray(X_LOGIC)
    out = viz.plot_hidden_remap(X, asarray(H), Y_XOR, axes, output=out_and,
                                titles=("vorher", "nachher"),
                                point_names=["p", "q", "r", "s"])
    assert list(out) == list(axes)
    assert [ax.get_title() for ax in axes] == ["vorher", "nachher"]
    assert "q, r" in _texts(axes[1])
    np.testing.assert_array_equal(mm.to_numpy(X), X_LOGIC)


def test_remap_refuses_bad_input():
    hidden, H, _ = _hand_made_xor()
    with pytest.raises(ValueError, match="row i of H"):
        viz.plot_hidden_remap(X_LOGIC, H[:3], Y_XOR)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        viz.plot_hidden_remap(X_LOGIC[:, :1], H, Y_XOR)
    with pytest.raises(ValueError, match="2 hidden neurons"):
        viz.plot_hidden_remap(X_LOGIC, H, Y_XOR, hidden=hidden[:1])
    with pytest.raises(ValueError, match="point_names"):
        viz.plot_hidden_remap(X_LOGIC, H, Y_XOR, point_names=["a"])
    with pytest.raises(ValueError, match="2 Axes"):
        viz.plot_hidden_remap(X_LOGIC, H, Y_XOR, axes=[plt.subplots()[1]])
    with pytest.raises(ValueError, match="padding"):
        viz.plot_hidden_remap(X_LOGIC, H, Y_XOR, padding=-1)
    wide = mm.Neuron(weights=[1.0, 1.0, 1.0], bias=0.0)
    with pytest.raises(ValueError, match="2 weights"):
        viz.plot_hidden_remap(X_LOGIC, H, Y_XOR, output=wide)


def test_chapter_4_figures_are_reexported_by_viz():
    for name in mm.viz._neuron_diagrams.__all__:
        assert name in viz.__all__ and callable(getattr(viz, name)), name
