"""Interactive playgrounds: sliders in, numbers and a picture out.

Each playground holds an ``ipywidgets.VBox`` (``widget``; display the playground itself,
or put ``playground.widget`` in another box) whose controls are attributes, and each is
backed by a pure function that does the work and can be called, and tested, on its own:

=========================================  ==========================================
playground                                 pure function
=========================================  ==========================================
:func:`neuron_playground`                  :func:`neuron_report`
:func:`decision_boundary_playground`       :func:`toy_dataset`, :func:`train_boundary_model`
:func:`modality_noise_explorer`            :func:`modality_accuracies`
:func:`learning_rate_explorer`             :func:`gradient_descent_path`, :func:`lr_verdict`
=========================================  ==========================================

The words shown come from ``labels=`` (a dict overriding any of the class's ``LABELS``
templates), so an edition in another language passes its own; the default ``LABELS`` are
translated into the active language (``mmlearn.widgets.set_language``). Plots are PNGs placed in
an ``Output`` widget (``plot``), so they show in Jupyter, in Voilà and, as saved state,
in a static page; moving a slider needs a running kernel.

Computation happens where mmlearn computes (the neuron and the models run on the active
backend); what is drawn, and the small closed-form experiments, are host-side NumPy.
One file per playground; ipywidgets is imported when a playground is made.
"""

from __future__ import annotations

from mmlearn.widgets._boundary_playground import (
    TOY_DATASETS as TOY_DATASETS,
)
from mmlearn.widgets._boundary_playground import (
    DecisionBoundaryPlayground,
    decision_boundary_playground,
    toy_dataset,
    train_boundary_model,
)
from mmlearn.widgets._learning_rate import (
    LearningRateExplorer,
    gradient_descent_path,
    learning_rate_explorer,
    lr_verdict,
    quadratic_loss,
)
from mmlearn.widgets._modality_noise import (
    ModalityNoiseExplorer,
    modality_accuracies,
    modality_noise_explorer,
)
from mmlearn.widgets._neuron_playground import (
    NeuronPlayground,
    NeuronReport,
    neuron_playground,
    neuron_report,
)

__all__ = [
    "DecisionBoundaryPlayground", "LearningRateExplorer", "ModalityNoiseExplorer",
    "NeuronPlayground", "NeuronReport", "decision_boundary_playground", "gradient_descent_path",
    "learning_rate_explorer", "lr_verdict", "modality_accuracies", "modality_noise_explorer",
    "neuron_playground", "neuron_report", "quadratic_loss", "toy_dataset",
    "train_boundary_model",
]
