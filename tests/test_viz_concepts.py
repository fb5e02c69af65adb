"""The figures of chapters 1 and 2 (mmlearn.viz._concepts): each draws what it is given on
the Axes it is given, and refuses mismatched input with a message that names it."""

from __future__ import annotations

import numpy as np
import pytest
from _figures import plt

import mmlearn as mm


def test_the_functions_are_reexported_by_viz():
    for name in mm.viz._concepts.__all__:
        assert getattr(mm.viz, name) is getattr(mm.viz._concepts, name)
        assert name in mm.viz.__all__


def test_image_row_draws_one_picture_per_axes_with_its_texts():
    _, axes = plt.subplots(1, 3)
    images = np.arange(3 * 16, dtype=float).reshape(3, 16)
    out = mm.viz.plot_image_row(images, image_shape=(4, 4), titles=["a", "b", "c"],
                                xlabels=["x", "y", "z"], axes=axes)
    assert len(out) == 3
    assert [ax.get_title() for ax in out] == ["a", "b", "c"]
    assert [ax.get_xlabel() for ax in out] == ["x", "y", "z"]
    assert out[1].images[0].get_array().shape == (4, 4)
    with pytest.raises(ValueError, match="titles has 2 strings for 3 images"):
        mm.viz.plot_image_row(images, image_shape=(4, 4), titles=["a", "b"])
    with pytest.raises(ValueError, match="need 3 Axes, got 2"):
        mm.viz.plot_image_row(images, image_shape=(4, 4), axes=plt.subplots(1, 2)[1])
    with pytest.raises(ValueError, match="shape"):
        mm.viz.plot_image_row(images)           # flat pictures need image_shape


def test_modalities_draws_image_waveform_and_spectrogram():
    axes = mm.viz.plot_modalities(np.zeros((4, 4)), np.sin(np.arange(10)),
                                  np.ones((2, 3)), titles=["i", "a", "s"])
    assert [ax.get_title() for ax in axes] == ["i", "a", "s"]
    assert len(axes[1].lines) == 1 and len(axes[1].lines[0].get_xdata()) == 10
    with pytest.raises(ValueError, match="audio"):
        mm.viz.plot_modalities(np.zeros((4, 4)), np.zeros((2, 2)), np.ones((2, 3)))


def test_accuracy_bars_write_each_value_and_draw_the_ceilings():
    ax = mm.viz.plot_accuracy_bars({"a": 0.8, "b": 0.95}, ceilings={"a": 0.825})
    assert [round(p.get_height(), 3) for p in ax.patches] == [0.8, 0.95]
    assert {t.get_text() for t in ax.texts} == {"80.0%", "95.0%"}
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["expected ceiling", "chance"]
    with pytest.raises(ValueError, match="ceiling for 'c'"):
        mm.viz.plot_accuracy_bars({"a": 0.8}, ceilings={"c": 0.8})


def test_theory_vs_measured_pairs_a_line_and_dots_per_name():
    x = np.linspace(0, 1, 5)
    ax = mm.viz.plot_theory_vs_measured(x, {"u": x, "v": 1 - x}, {"u": x, "v": 1 - x},
                                        chance=None)
    assert len(ax.lines) == 4
    assert ax.get_legend_handles_labels()[1] == ["u (theory)", "u (measured)",
                                                 "v (theory)", "v (measured)"]
    with pytest.raises(ValueError, match="same names"):
        mm.viz.plot_theory_vs_measured(x, {"u": x}, {"v": x})


@pytest.mark.parametrize("spread", ["range", "std"])
def test_learning_curves_show_the_mean_and_the_spread(spread):
    runs = np.array([[0.5, 0.7], [0.8, 0.8]])
    ax = mm.viz.plot_accuracy_curves([10, 100], {"m": runs},
                                     references={"ceiling": 0.9}, spread=spread,
                                     ticklabels=["ten", "hundred"])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.6, 0.8])
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ten", "hundred"]
    assert "ceiling" in ax.get_legend_handles_labels()[1]
    with pytest.raises(ValueError, match="3 rows for 2 sizes"):
        mm.viz.plot_accuracy_curves([10, 100], {"m": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="spread"):
        mm.viz.plot_accuracy_curves([10, 100], {"m": runs}, spread="iqr")


def test_concept_map_draws_a_box_per_concept_and_an_arrow_per_relation():
    boxes = {"a": (0, 0, "A", "first"), "b": (6, 0, "B", "second")}
    arrows = [("leads to", (2.5, 0), (3.5, 0), (3, 0.1), "center")]
    ax = mm.viz.plot_concept_map(boxes, arrows, highlight=["a"])
    assert len(ax.patches) == 3
    assert {"A", "B", "first", "second", "leads to"} <= {t.get_text() for t in ax.texts}
    with pytest.raises(ValueError, match="alignment"):
        mm.viz.plot_concept_map(boxes, [("x", (0, 0), (1, 1), (0, 0), "middle")])


def test_curve_fits_and_loss_vs_size():
    x = np.linspace(-1, 1, 8)[:, None]
    ax = mm.viz.plot_curve_fits(x, x**2, x, {"fit": x**2 + 0.1})
    assert len(ax.lines) == 2
    ax = plt.subplots()[1]
    mm.viz.plot_loss_vs_size({"d1": [4, 10]}, {"d1": [[1.0, 2.0, 3.0], [0.1, 0.2, 0.4]]},
                             ax=ax)
    median = ax.lines[1]
    np.testing.assert_allclose(median.get_ydata(), [2.0, 0.2])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="same names"):
        mm.viz.plot_loss_vs_size({"d1": [4]}, {"d2": [[1.0]]})


def test_arrays_of_the_active_backend_are_accepted():
    from mmlearn.backend import asarray

    ax = mm.viz.plot_accuracy_curves([10, 100], {"m": asarray(np.array([[0.5], [0.6]]))})
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.5, 0.6])
