"""The exercises, one kind per file, gathered here: :class:`Quiz` (``quiz``),
:class:`NumericExercise` (``numeric``), :class:`NeuronWeightsExercise`
(``neuron_weights``) and :class:`FunctionExercise` (``function``), all built on
:class:`Exercise` (``base``), which says how checking and display are kept apart.

The answer keys (``mmlearn.widgets._keys``) import the exercise classes from here.
"""

from __future__ import annotations

from mmlearn.widgets._common import Feedback
from mmlearn.widgets.base import Exercise
from mmlearn.widgets.function import FunctionExercise
from mmlearn.widgets.neuron_weights import NeuronWeightsExercise
from mmlearn.widgets.numeric import NumericExercise
from mmlearn.widgets.quiz import Quiz

__all__ = ["Exercise", "Feedback", "FunctionExercise", "NeuronWeightsExercise",
           "NumericExercise", "Quiz"]
