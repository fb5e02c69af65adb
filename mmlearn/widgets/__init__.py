"""Interactive playgrounds and auto-checked exercises (ipywidgets 8), DESIGN section 5.

The book's exercises by id, their answer keys kept out of the chapters::

    from mmlearn.widgets import exercise
    exercise("ch3-relu-backward")

Exercises (pure ``check(answer) -> Feedback`` plus a widget with a Check button)::

    from mmlearn.widgets import Quiz, NumericExercise, NeuronWeightsExercise, FunctionExercise

Playgrounds (ipywidgets boxes, each backed by a pure function you can call yourself)::

    from mmlearn.widgets import (neuron_playground, decision_boundary_playground,
                                 modality_noise_explorer, learning_rate_explorer)

The exercises' checking needs only NumPy; the playgrounds (loaded on first use) need
ipywidgets and matplotlib. In a static HTML page a widget shows its saved state; moving
a slider needs a running kernel (Jupyter, Voilà).
"""

from __future__ import annotations

import importlib
from typing import Any

from mmlearn.widgets import _checklist
from mmlearn.widgets._checklist import *  # noqa: F403
from mmlearn.widgets._common import Feedback, parse_number
from mmlearn.widgets._registry import exercise, exercise_ids
from mmlearn.widgets.exercises import (
    Exercise,
    FunctionExercise,
    NeuronWeightsExercise,
    NumericExercise,
    Quiz,
)

_PLAYGROUNDS = (
    "DecisionBoundaryPlayground", "LearningRateExplorer", "ModalityNoiseExplorer",
    "NeuronPlayground", "NeuronReport", "decision_boundary_playground",
    "gradient_descent_path", "learning_rate_explorer", "lr_verdict", "modality_accuracies",
    "modality_noise_explorer", "neuron_playground", "neuron_report", "quadratic_loss",
    "toy_dataset", "train_boundary_model",
)

__all__ = ["Exercise", "Feedback", "FunctionExercise", "NeuronWeightsExercise",
           "NumericExercise", "Quiz", "exercise", "exercise_ids", "parse_number", *_PLAYGROUNDS,
           *_checklist.__all__]


def __getattr__(name: str) -> Any:
    if name in _PLAYGROUNDS:
        return getattr(importlib.import_module("mmlearn.widgets.playgrounds"), name)
    raise AttributeError(f"module 'mmlearn.widgets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
