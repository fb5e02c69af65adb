"""Interactive playgrounds and auto-checked exercises (ipywidgets 8), DESIGN section 5.

The book's exercises by id, their answer keys kept out of the chapters::

    from mmlearn.widgets import exercise
    exercise("ch3-relu-backward")

Exercises (pure ``check(answer) -> Feedback`` plus a widget with a Check button)::

    from mmlearn.widgets import Quiz, NumericExercise, NeuronWeightsExercise, FunctionExercise

Playgrounds (ipywidgets boxes, each backed by a pure function you can call yourself)::

    from mmlearn.widgets import (neuron_playground, decision_boundary_playground,
                                 modality_noise_explorer, learning_rate_explorer)

The exercises' checking needs only NumPy; the widgets and the playgrounds import
ipywidgets and matplotlib when they are built, so importing this package needs neither.
In a static HTML page a widget shows its saved state; moving a slider needs a running
kernel (Jupyter, Voilà).

The words a student reads (questions, options, hints, feedback, button and slider labels)
come from a message catalogue: ``set_language("zh")`` (or the environment variable
``MMLEARN_LANGUAGE=zh_CN``) makes the exercises and playgrounds built afterwards speak
Simplified Chinese; ``set_language("en")`` goes back to English, the default.
"""

from __future__ import annotations

from mmlearn._i18n import get_language, set_language
from mmlearn.widgets import _checklist, playgrounds
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
from mmlearn.widgets.playgrounds import *  # noqa: F403

__all__ = ["Exercise", "Feedback", "FunctionExercise", "NeuronWeightsExercise",
           "NumericExercise", "Quiz", "exercise", "exercise_ids", "get_language",
           "parse_number", "set_language",
           *playgrounds.__all__, *_checklist.__all__]
