"""mmlearn.viz figures of chapter 9: grouped bars and curves with their spread over seeds,
the emoji, a saliency map and the reliability diagram with its bin counts."""

from __future__ import annotations

import numpy as np
import pytest
from _figures import plt
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection

from mmlearn import viz
from mmlearn.backend import asarray


def _ax():
    return plt.subplots()[1]


def _bars(ax):
    return [p for p in ax.patches if p.get_height() > 0]


def test_grouped_bars_draw_the_mean_the_seed_range_and_the_ceilings(backend):
    runs = asarray(np.array([[0.9, 0.7, 0.6], [1.0, 0.9, 0.8]]))   # (seeds, groups)
    ax = viz.plot_grouped_bars({"a": runs, "b": [0.5, 0.5, 0.5]}, ["x", "y", "z"],
                               ax=_ax(), ceilings={"y": 0.83, "z": 0.81}, title="t")
    assert isinstance(ax, Axes) and ax.get_title() == "t"
    heights = [p.get_height() for p in _bars(ax)]
    np.testing.assert_allclose(heights, [0.95, 0.8, 0.7, 0.5, 0.5, 0.5])
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    ranges, ceilings = lines[0], lines[1:]
    spans = sorted((s[0][1], s[1][1]) for s in ranges.get_segments())
    np.testing.assert_allclose(spans, [(0.6, 0.8), (0.7, 0.9), (0.9, 1.0)])
    levels = sorted(seg[0][1] for c in ceilings for seg in c.get_segments())
    assert levels == [0.81, 0.83]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend.count("one modality, expected") == 1      # one entry for both lines
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]


def test_grouped_bars_draw_no_range_for_a_single_run():
    ax = viz.plot_grouped_bars({"only": [0.2, 0.4]}, ["p", "q"], ax=_ax())
    assert not [c for c in ax.collections if isinstance(c, LineCollection)]


@pytest.mark.parametrize("values, groups, ceilings, error, match", [
    ({"a": [0.5, 0.5]}, ["x", "y", "z"], None, ValueError, r"shape \(3,\)"),
    ({}, ["x"], None, TypeError, "non-empty dict"),
    ({"a": [0.5]}, [], None, ValueError, "at least one group"),
    ({"a": [0.5]}, ["x"], {"w": 0.8}, ValueError, "not in"),
    ({"a": "abc"}, ["x"], None, TypeError, "array of numbers"),
])
def test_grouped_bars_refuse_bad_input(values, groups, ceilings, error, match):
    with pytest.raises(error, match=match):
        viz.plot_grouped_bars(values, groups, ax=_ax(), ceilings=ceilings)


def test_curves_over_seeds_draw_mean_band_dotted_and_ceiling(backend):
    x = [0.0, 1.0, 2.0]
    runs = asarray(np.array([[1.0, 0.8, 0.6], [0.8, 0.6, 0.4]]))
    ax = viz.plot_curves_over_seeds(x, {"acc": runs, "conf": [0.9, 0.9, 0.9]}, ax=_ax(),
                                    dotted=["conf"], ceiling=0.83, xlabel="sigma")
    acc, conf, ceiling = ax.get_lines()
    np.testing.assert_allclose(acc.get_ydata(), [0.9, 0.7, 0.5])
    assert conf.get_linestyle() == ":" and ceiling.get_linestyle() == "--"
    assert list(ceiling.get_ydata()) == [0.83, 0.83]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1                                  # only the curve with seeds
    assert ax.get_xlabel() == "sigma"


def test_curves_over_seeds_log_axis_and_refusals():
    ax = viz.plot_curves_over_seeds([1, 2], {"g": [1e-3, 1e-4]}, ax=_ax(), log=True)
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="positive"):
        viz.plot_curves_over_seeds([1, 2], {"g": [0.0, 1.0]}, ax=_ax(), log=True)
    with pytest.raises(ValueError, match="dotted"):
        viz.plot_curves_over_seeds([1, 2], {"g": [1, 2]}, ax=_ax(), dotted=["h"])
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        viz.plot_curves_over_seeds([1, 2], {"g": [1, 2, 3]}, ax=_ax())


def test_emoji_is_drawn_as_ink_with_its_own_range(backend):
    image = np.linspace(-1.5, 2.5, 256).astype("float32")
    ax = viz.plot_emoji(asarray(image), ax=_ax(), title="face")
    (drawn,) = ax.get_images()
    assert drawn.get_cmap().name == "gray_r"
    assert drawn.get_clim() == pytest.approx((-1.5, 2.5))   # nothing clipped
    assert drawn.get_array().shape == (16, 16)
    assert ax.get_title() == "face" and ax.get_ylabel() == "row"
    assert viz.plot_emoji(image.reshape(16, 16), ax=_ax(), ylabel=None).get_ylabel() == ""
    with pytest.raises(ValueError, match="square"):
        viz.plot_emoji(np.zeros(10), ax=_ax())


def test_saliency_uses_a_symmetric_range_so_white_is_zero(backend):
    values = asarray(np.array([[-0.5, 2.0], [0.0, 1.0]]))
    ax = viz.plot_saliency(values, ax=_ax())
    (drawn,) = ax.get_images()
    assert drawn.get_clim() == pytest.approx((-2.0, 2.0))
    assert drawn.get_cmap().name == "coolwarm"
    assert len(ax.figure.axes) == 2                         # the colour bar
    blank = viz.plot_saliency(np.zeros((2, 2)), ax=_ax(), colorbar=False)
    assert blank.get_images()[0].get_clim() == pytest.approx((-1.0, 1.0))


def test_reliability_diagram_bins_accuracy_confidence_and_counts(backend):
    confidence = asarray(np.array([0.55, 0.58, 0.95, 0.97, 0.99, 1.0]))
    correct = asarray(np.array([1.0, 0.0, 1.0, 1.0, 1.0, 0.0]))
    top, bottom = viz.plot_reliability_diagram(confidence, correct, title="t")
    assert isinstance(top, Axes) and top.get_title() == "t"
    bars = _bars(top)
    np.testing.assert_allclose([b.get_x() for b in bars], [0.5, 0.9])
    np.testing.assert_allclose([b.get_height() for b in bars], [0.5, 0.75])
    ticks = [c for c in top.collections if isinstance(c, LineCollection)][0]
    levels = [seg[0][1] for seg in ticks.get_segments()]
    np.testing.assert_allclose(levels, [0.565, 0.9775])     # mean confidence per bin
    diagonal = top.get_lines()[0]
    assert list(diagonal.get_xdata()) == [0, 1] and list(diagonal.get_ydata()) == [0, 1]
    assert [b.get_height() for b in _bars(bottom)] == [2, 4]
    assert [t.get_text() for t in bottom.texts] == ["2", "4"]
    assert bottom.get_yscale() == "log" and bottom.get_xlabel() == "confidence"


def test_reliability_diagram_draws_on_given_axes_with_other_bins():
    _, axes = plt.subplots(2, 1)
    out = viz.plot_reliability_diagram([0.1, 0.3, 0.9], [0, 1, 1], axes=axes, n_bins=5)
    assert out[0] is axes[0] and out[1] is axes[1]
    bars = out[0].patches                     # the first bin's accuracy is 0: a flat bar
    np.testing.assert_allclose([b.get_width() for b in bars], [0.2] * 3)
    assert [b.get_height() for b in bars] == [0.0, 1.0, 1.0]


@pytest.mark.parametrize("confidence, correct, kwargs, match", [
    ([0.5, 1.2], [1, 0], {}, r"\[0, 1\]"),
    ([0.5, 0.7], [1, 2], {}, "0 and 1"),
    ([0.5, 0.7], [1], {}, "has shape"),
    ([], [], {}, "N >= 1"),
    ([0.5], [1], {"n_bins": 0}, "n_bins"),
    ([0.5], [1], {"axes": "ab"}, "two Axes"),
])
def test_reliability_diagram_refuses_bad_input(confidence, correct, kwargs, match):
    with pytest.raises(ValueError, match=match):
        viz.plot_reliability_diagram(confidence, correct, **kwargs)
