"""mmlearn.viz figures of chapter 8: the first Adam step against |g|, and the diagram of
data-parallel training."""

from __future__ import annotations

import numpy as np
import pytest
from _figures import plt
from matplotlib.axes import Axes
from matplotlib.patches import FancyBboxPatch, Rectangle

from mmlearn import viz
from mmlearn.backend import asarray


def _ax():
    return plt.subplots()[1]


def test_adam_first_step_draws_one_line_per_library_on_a_log_axis(backend):
    g = np.logspace(-9, 0, 10)
    steps = {"Keras": asarray(g / (g + 1e-7)), "PyTorch": list(g / (g + 3e-9))}
    ax = viz.plot_adam_first_step(asarray(g), steps, ax=_ax(), title="t")
    assert isinstance(ax, Axes)
    assert ax.get_xscale() == "log" and ax.get_title() == "t"
    keras, torch, full = ax.get_lines()
    np.testing.assert_allclose(keras.get_xdata(), g)
    np.testing.assert_allclose(keras.get_ydata(), g / (g + 1e-7))
    np.testing.assert_allclose(torch.get_ydata(), g / (g + 3e-9))
    assert list(full.get_ydata()) == [1.0, 1.0]              # the full step, dotted
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Keras", "PyTorch"]


def test_adam_first_step_marks_epsilon():
    g = np.logspace(-9, 0, 10)
    ax = viz.plot_adam_first_step(g, {"a": g / (g + 1e-7)}, ax=_ax(), epsilon=1e-7)
    *_, mark = ax.get_lines()
    assert list(mark.get_xdata()) == [1e-7, 1e-7]
    assert any("epsilon" in t.get_text() for t in ax.texts)
    with pytest.raises(ValueError, match="epsilon"):
        viz.plot_adam_first_step(g, {"a": g}, ax=_ax(), epsilon=0.0)


@pytest.mark.parametrize("gradients, steps, error, match", [
    ([1e-3, 0.0, 1.0], {"a": [0.5, 0.5, 1.0]}, ValueError, "positive"),
    ([1.0], {"a": [1.0]}, ValueError, r"shape \(n,\)"),
    ([1e-3, 1.0], {"a": [0.5]}, ValueError, "has shape"),
    ([1e-3, 1.0], {}, TypeError, "non-empty dict"),
    ([1e-3, 1.0], [0.5, 1.0], TypeError, "non-empty dict"),
    ("abc", {"a": [1.0]}, TypeError, "array of numbers"),
])
def test_adam_first_step_refuses_bad_input(gradients, steps, error, match):
    with pytest.raises(error, match=match):
        viz.plot_adam_first_step(gradients, steps, ax=_ax())


def test_data_parallelism_draws_shards_replicas_and_the_all_reduce():
    ax = viz.plot_data_parallelism([40, 16, 8], ax=_ax())
    shards = [p for p in ax.patches if isinstance(p, Rectangle)
              and not isinstance(p, FancyBboxPatch)]
    widths = np.array([p.get_width() for p in shards])
    np.testing.assert_allclose(widths / widths.sum(), [40 / 64, 16 / 64, 8 / 64])
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == 2 * 3 + 1                # replicas, all-reduce, optimizer steps
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "N = 64" in texts and "G = 3" in texts and "all-reduce" in texts
    assert "GPU 3" in texts and "GPU 4" not in texts
    assert not ax.axison


@pytest.mark.parametrize("sizes, error", [
    ([], ValueError), ([8, 0], ValueError), ([8, 2.5], ValueError), ([True, 8], ValueError),
    (list(range(1, 9)), ValueError), ("88", TypeError), (8, TypeError),
])
def test_data_parallelism_refuses_bad_shard_sizes(sizes, error):
    with pytest.raises(error, match="shard_sizes"):
        viz.plot_data_parallelism(sizes, ax=_ax())
