"""Plots for the book: activations, decision boundaries, training curves,
attention maps and embeddings.

This is the one module that brings arrays back to the host (with
:func:`mmlearn.backend.to_numpy`): the models compute on the active backend
(NumPy, CuPy, ...), and only what is drawn travels to NumPy. matplotlib is
imported when a function is first called, so ``import mmlearn`` never needs it.

Every function draws on ``ax`` (the current Axes when ``ax`` is None) and
returns that Axes, so a plot can be finished with ordinary matplotlib calls::

    ax = mm.viz.plot_activation(["relu", "sigmoid"])
    ax.set_title("two activations")

The words a plot writes itself (axis labels, legend entries, default captions) speak the
active language: after ``set_language("zh")`` (the same switch as
``mmlearn.widgets.set_language``, or ``MMLEARN_LANGUAGE=zh_CN``) they are drawn in
Chinese, in a CJK font (WenQuanYi Micro Hei when installed), with ``axes.unicode_minus``
off; English plots are drawn exactly as matplotlib's settings say.
"""

from __future__ import annotations

from mmlearn._i18n import get_language, set_language

# The general plots, one file each, and the figures of particular chapters, each family in
# a file of its own; the public names are re-exported here, so a chapter writes
# ``viz.plot_roc(...)`` whatever file draws it.
from mmlearn.viz import (
    _activations,
    _attention,
    _boundary,
    _concepts,
    _curves,
    _embeddings,
    _evaluation,
    _figure_words,  # noqa: F401  (for its effect: figures print their words in the language)
    _fusion,
    _graph,
    _history,
    _neuron_diagrams,
    _optimization,
    _reliability,
    _tools,
)
from mmlearn.viz._activations import *  # noqa: F403
from mmlearn.viz._attention import *  # noqa: F403
from mmlearn.viz._boundary import *  # noqa: F403
from mmlearn.viz._concepts import *  # noqa: F403
from mmlearn.viz._curves import *  # noqa: F403
from mmlearn.viz._embeddings import *  # noqa: F403
from mmlearn.viz._evaluation import *  # noqa: F403
from mmlearn.viz._fusion import *  # noqa: F403
from mmlearn.viz._graph import *  # noqa: F403
from mmlearn.viz._history import *  # noqa: F403
from mmlearn.viz._neuron_diagrams import *  # noqa: F403
from mmlearn.viz._optimization import *  # noqa: F403
from mmlearn.viz._reliability import *  # noqa: F403
from mmlearn.viz._tools import *  # noqa: F403

__all__ = [
    *_activations.__all__, *_boundary.__all__, *_history.__all__, *_attention.__all__,
    *_embeddings.__all__, *_concepts.__all__, *_curves.__all__, *_evaluation.__all__,
    *_fusion.__all__, *_graph.__all__, *_optimization.__all__, *_neuron_diagrams.__all__,
    *_reliability.__all__, *_tools.__all__, "get_language", "set_language",
]
