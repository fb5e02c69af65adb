"""The English words the plots' signatures give as defaults (axis labels, legend entries,
captions), marked here for the message catalogue.

A default written in a signature cannot carry the marker (the API reference shows defaults
as written), so each plot translates its word arguments with ``_()`` where it draws them,
and this list is what ``pybabel extract`` finds for them. tests/test_i18n.py checks that
every such default is in the catalogue.
"""

from __future__ import annotations

from mmlearn._i18n import N_

DEFAULT_WORDS = (
    # _concepts: plot_modalities, plot_accuracy_bars
    N_("image"), N_("audio"), N_("spectrogram"), N_("expected ceiling"),
    # _curves: plot_learning_curve
    N_("test"),
    # _evaluation: plot_roc, plot_confusion_matrix, plot_seed_spread, plot_retrieval
    N_("chance"), N_("false positive rate"), N_("true positive rate"), N_("predicted class"),
    N_("true class"), N_("accuracy"), N_("'{caption}'\n(partner at rank {rank})"),
    # _fusion: plot_fusion_results, plot_similarity_matrix; _reliability: the ceilings
    N_("one modality, expected"), N_("held-out accuracy"), N_("parameters of the whole model"),
    N_("cosine similarity"),
    # _neuron_diagrams: plot_neuron_diagram, plot_hidden_remap
    N_("inputs"), N_("weights"), N_("sum and bias"), N_("activation"), N_("output"),
    N_("input space"), N_("hidden space"),
    # _reliability: plot_emoji
    N_("row"),
)
