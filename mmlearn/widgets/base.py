"""Auto-checked exercises: a pure ``check(answer) -> Feedback`` and a widget around it.

Every exercise separates the checking (plain Python, testable and gradable without a
browser) from the display (an ipywidgets box with the question, an input, a Check
button and a feedback area, built on first use)::

    q = Quiz("Which activation outputs values in (0, 1)?",
             ["relu", "sigmoid", "tanh"], answer="sigmoid",
             explanations=["relu is unbounded above", "σ(z) = 1/(1+e^-z)", "tanh is in (-1, 1)"])
    q.check("relu")       # Feedback(correct=False, message='Not quite: relu is unbounded above')
    q                     # as the last line of a cell: shows the widget

A checker never raises on a student's answer, however wrong, empty or mistyped: it
returns ``Feedback(correct=False, message=...)`` saying what is wrong and what to try.
(Mistakes of the *author*, such as an answer that is not among the options, raise
``ValueError``/``TypeError`` at construction.)

All the words a student reads come from arguments: the question, options and
explanations, and ``messages=`` (a dict overriding any of the class's ``MESSAGES``
templates), so an edition in another language passes its own strings. The ``MESSAGES``
templates themselves are written in English and translated, when an exercise is made,
into the active language (``mmlearn.widgets.set_language``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mmlearn._i18n import N_
from mmlearn.widgets._common import (
    STYLE,
    Feedback,
    _short,
    feedback_html,
    merge_messages,
)

__all__ = ["Exercise"]


class Exercise:
    """Base of the exercises: messages, a never-raising ``check``, and the widget.

    Subclasses implement ``_check(answer)``, ``_make_input(widgets)`` (the input control)
    and ``_current_answer()`` (read the control). The widget is built on first access of
    :attr:`widget`; afterwards ``check_button``, ``feedback`` (an HTML widget) and the
    subclass's input controls are attributes, so tests can drive them from Python.
    """

    MESSAGES: ClassVar[dict[str, str]] = {
        "check": N_("Check"),
        "internal": N_("Could not check this answer ({error}: {msg}). Please report this."),
    }
    kind: ClassVar[str] = "exercise"

    def __init__(self, question: str, messages: Mapping[str, str] | None = None) -> None:
        if not isinstance(question, str):
            raise TypeError(f"{type(self).__name__}: question must be a str, "
                            f"got {type(question).__name__}")
        self.question = question
        self.messages = merge_messages(self.MESSAGES, messages, type(self).__name__)
        self.attempts = 0
        self.last_feedback: Feedback | None = None
        self._widget: Any = None

    # -- checking -------------------------------------------------------------
    def check(self, answer: Any) -> Feedback:
        """Judge ``answer``; never raises (an unexpected failure becomes a Feedback too)."""
        try:
            return self._check(answer)
        except Exception as err:  # a bug here must not leave the student without feedback
            return Feedback(False, self.messages["internal"].format(
                error=type(err).__name__, msg=err))

    def _check(self, answer: Any) -> Feedback:
        raise NotImplementedError

    def _msg(self, key: str, **fields: Any) -> str:
        return self.messages[key].format(**fields)

    # -- display ---------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """The ipywidgets box (question, input, Check button, feedback), built once."""
        if self._widget is None:
            self._widget = self._build()
        return self._widget

    def _build(self) -> Any:
        import ipywidgets as w

        self.question_html = w.HTMLMath(value=self.question)
        control = self._make_input(w)
        self.check_button = w.Button(description=self.messages["check"],
                                     button_style="primary")
        self.check_button.add_class("mm-check")
        self.feedback = w.HTML(value="")
        self.feedback.add_class("mm-feedback")
        self.check_button.on_click(self._on_check)
        box = w.VBox([w.HTML(STYLE), self.question_html, control, self.check_button,
                      self.feedback])
        box.add_class("mm-widget")
        box.add_class(f"mm-{self.kind}")
        return box

    def _make_input(self, w: Any) -> Any:
        raise NotImplementedError

    def _current_answer(self) -> Any:
        raise NotImplementedError

    def submit(self, answer: Any = None) -> Feedback:
        """Check ``answer`` (default: what the widget's input holds) and show the feedback."""
        self.widget  # noqa: B018  (make sure the controls exist)
        if answer is None:
            answer = self._current_answer()
        self.attempts += 1
        feedback = self._after_check(self.check(answer))
        self.last_feedback = feedback
        self.feedback.value = feedback_html(feedback)
        return feedback

    def _on_check(self, _button: Any = None) -> None:
        try:
            self.submit()
        except Exception as err:
            self.feedback.value = feedback_html(Feedback(False, self.messages["internal"].format(
                error=type(err).__name__, msg=err)))

    def _after_check(self, feedback: Feedback) -> Feedback:
        return feedback

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"{type(self).__name__}({_short(self.question, 60)})"
        return bundle
