"""mm.viz.plot_learning_curve and plot_time_vs_flops (chapter 10): they draw the numbers
they are given (means, seed bands, ceilings, a slope-1 reference on fixed axes), on both
array backends, and refuse bad input clearly."""

from __future__ import annotations

import numpy as np
import pytest
from _figures import plt
from matplotlib.axes import Axes

from mmlearn import viz
from mmlearn.backend import asarray

SIZES = [50, 100, 200, 400]
TEST = np.array([[0.60, 0.70, 0.80, 0.82],
                 [0.64, 0.72, 0.78, 0.84],
                 [0.62, 0.74, 0.79, 0.83]])
TRAIN = np.array([[1.0, 0.98, 0.95, 0.90],
                  [1.0, 0.97, 0.93, 0.91],
                  [1.0, 0.99, 0.94, 0.89]])



def _ax():
    return plt.subplots()[1]


def _line(ax, label_start):
    return next(line for line in ax.get_lines() if line.get_label().startswith(label_start))


# ----------------------------------------------------------------------------- learning curve


def test_learning_curve_draws_means_bands_and_ceilings(backend):
    ax = viz.plot_learning_curve(SIZES, asarray(TEST), asarray(TRAIN), _ax(),
                                 ceilings={"text: expected ceiling": 0.825},
                                 title="text only")
    assert isinstance(ax, Axes)
    test_line, train_line = _line(ax, "test"), _line(ax, "training")
    np.testing.assert_allclose(test_line.get_xdata(), SIZES)
    np.testing.assert_allclose(test_line.get_ydata(), TEST.mean(axis=0))
    np.testing.assert_allclose(train_line.get_ydata(), TRAIN.mean(axis=0))
    assert test_line.get_linestyle() == "-" and train_line.get_linestyle() == ":"
    assert "mean of 3" in test_line.get_label()
    # one band per curve, spanning the lowest to the highest seed
    assert len(ax.collections) == 2
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(TEST.min())
    assert band[:, 1].max() == pytest.approx(TEST.max())
    ceiling = _line(ax, "text: expected ceiling")
    assert ceiling.get_linestyle() == "--"
    np.testing.assert_allclose(ceiling.get_ydata(), [0.825, 0.825])
    assert ax.get_xscale() == "log"
    assert ax.get_title() == "text only"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["50", "100", "200", "400"]


def test_learning_curve_single_run_has_no_band_and_no_training_line():
    ax = viz.plot_learning_curve(SIZES, TEST[0], ax=_ax(), test_label="validation")
    assert [line.get_label() for line in ax.get_lines()] == ["validation"]
    assert len(ax.collections) == 0


def test_learning_curve_uses_current_axes_when_none_given():
    _, ax = plt.subplots()
    assert viz.plot_learning_curve(SIZES, TEST) is ax


def test_learning_curve_does_not_change_its_inputs():
    test, train = TEST.copy(), TRAIN.copy()
    viz.plot_learning_curve(SIZES, test, train, _ax(), ceilings={"c": 0.8})
    np.testing.assert_array_equal(test, TEST)
    np.testing.assert_array_equal(train, TRAIN)


@pytest.mark.parametrize("args, kwargs, exc, match", [
    (([50], TEST[:, :1]), {}, ValueError, "sizes"),
    (([100, 50, 200, 400], TEST), {}, ValueError, "increasing"),
    (([0, 50, 200, 400], TEST), {}, ValueError, "positive"),
    ((SIZES, TEST[:, :3]), {}, ValueError, r"\(seeds, 4\)"),
    ((SIZES, TEST, TRAIN[:, :2]), {}, ValueError, "train"),
    ((SIZES, TEST), {"ceilings": 0.8}, TypeError, "ceilings"),
    ((SIZES, TEST), {"ceilings": {"c": float("nan")}}, TypeError, "ceiling 'c'"),
    ((SIZES, "abc"), {}, TypeError, "test"),
    ((SIZES, TEST), {"ax": "left"}, TypeError, "ax"),
])
def test_learning_curve_refuses_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        viz.plot_learning_curve(*args, **kwargs)


# ----------------------------------------------------------------------------- time vs FLOPs

FLOPS = [1.7e5, 7.4e5, 4.1e6, 3.5e7, 4.4e8]
SECONDS = [2.4e-4, 2.5e-4, 3.3e-4, 1.1e-3, 1.5e-2]


def test_time_vs_flops_draws_points_and_slope_one_reference(backend):
    ax = viz.plot_time_vs_flops(asarray(FLOPS), asarray(SECONDS),
                                [f"width {w}" for w in (4, 16, 64, 256, 1024)], _ax(),
                                title="t")
    assert isinstance(ax, Axes)
    measured = _line(ax, "measured")
    np.testing.assert_allclose(measured.get_xdata(), FLOPS)
    np.testing.assert_allclose(measured.get_ydata(), 1000 * np.array(SECONDS))
    reference = _line(ax, "time proportional")
    x, y = reference.get_xdata(), reference.get_ydata()
    slope = np.diff(np.log10(y)) / np.diff(np.log10(x))
    np.testing.assert_allclose(slope, 1.0)
    # the reference passes through the point with the most FLOPs
    assert 1000 * SECONDS[-1] == pytest.approx(y[0] * FLOPS[-1] / x[0])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlim() == pytest.approx((1e5, 1e9))
    assert ax.get_ylim() == pytest.approx((1e-2, 1e2))
    assert [t.get_text() for t in ax.texts] == ["width 4", "width 16", "width 64",
                                                "width 256", "width 1024"]


def test_time_vs_flops_axes_stay_fixed_between_runs():
    ax1 = viz.plot_time_vs_flops(FLOPS, SECONDS, ax=_ax())
    ax2 = viz.plot_time_vs_flops(FLOPS, np.array(SECONDS) * 1.7, ax=_ax())
    assert ax1.get_xlim() == ax2.get_xlim() and ax1.get_ylim() == ax2.get_ylim()


def test_time_vs_flops_widens_by_whole_decades_for_outliers():
    ax = viz.plot_time_vs_flops([3e3, 1e6], [1e-3, 0.5], ax=_ax())
    assert ax.get_xlim() == pytest.approx((1e3, 1e9))
    assert ax.get_ylim() == pytest.approx((1e-2, 1e3))


@pytest.mark.parametrize("args, kwargs, match", [
    (([1e6, 1e7], [1e-3]), {}, "same shape"),
    (([1e6, -1.0], [1e-3, 1e-3]), {}, "positive"),
    (([1e6, 1e7], [1e-3, 0.0]), {}, "positive"),
    (([1e6, 1e7], [1e-3, 2e-3], ["one"]), {}, "labels"),
    (([1e6, 1e7], [1e-3, 2e-3]), {"xlim": (1e9, 1e5)}, "xlim"),
    (([1e6, 1e7], [1e-3, 2e-3]), {"ylim_ms": (0, 1)}, "ylim_ms"),
])
def test_time_vs_flops_refuses_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        viz.plot_time_vs_flops(*args, **kwargs)
