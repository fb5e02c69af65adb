"""Interactive checklists for the book (re-exported by :mod:`mmlearn.widgets`).

Chapter 10 asks "can I use a multimodal model for my problem?" with seven questions
(:func:`multimodal_questions`); :func:`recommend_multimodal` turns the answers into a
verdict with its reasons, and :class:`Checklist` shows any such questions as dropdowns
whose recommendation follows every change::

    from mmlearn.widgets import multimodal_checklist
    multimodal_checklist({"pays_off": 800, "fused": 0.99, "ceiling": 0.83})

Like the exercises, nothing here imports ipywidgets until a widget is built, so the
advice itself can be called and tested where ipywidgets is not installed.
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mmlearn._i18n import N_, _

__all__ = ["Checklist", "multimodal_checklist", "multimodal_questions", "recommend_multimodal"]

_QUESTIONS: dict[str, tuple[str, list[str]]] = {
    "need": (N_("Does the answer need more than one modality?"),
             [N_("yes, each modality settles cases the other cannot"),
              N_("partly, one modality is enough for most cases"),
              N_("no, one modality carries all the information"),
              N_("I do not know")]),
    "labels": (N_("How many labelled examples with all modalities do you have?"),
               [N_("fewer than 100"), N_("100 to 1,000"), N_("1,000 to 100,000"),
                N_("more than 100,000")]),
    "pretrained": (N_("Is there a pretrained encoder for each modality (e.g. CLIP)?"),
                   [N_("yes"), N_("no")]),
    "missing": (N_("Can a modality be missing when the model is used?"),
                [N_("never"), N_("sometimes"), N_("often")]),
    "imbalance": (N_("Is one modality much noisier, or much larger, than the others?"),
                  [N_("no"), N_("yes"), N_("I do not know")]),
    "explain": (N_("Must individual predictions be explained?"), [N_("no"), N_("yes")]),
    "compute": (N_("What can you train on?"),
                [N_("a laptop CPU"), N_("one GPU"), N_("several GPUs")]),
}

# A representative number of labels for each answer, compared with the measured size from
# which fusion paid off; the upper end of each range would flatter fusion.
_LABEL_COUNT = {"fewer than 100": 50, "100 to 1,000": 500, "1,000 to 100,000": 10_000,
                "more than 100,000": 1_000_000}
# What an unanswered (missing or unknown) question is taken to mean: the cautious option.
_ASSUMED = {"need": "I do not know", "labels": "fewer than 100", "pretrained": "no",
            "missing": "sometimes", "imbalance": "I do not know", "explain": "yes",
            "compute": "a laptop CPU"}


def multimodal_questions() -> dict[str, tuple[str, list[str]]]:
    """The seven questions of chapter 10's checklist: ``{key: (question, [option, ...])}``.

    Keys: ``need``, ``labels``, ``pretrained``, ``missing``, ``imbalance``, ``explain``,
    ``compute``. A fresh copy each call, so adding a question of your own changes nothing
    here.
    """
    return {key: (question, list(options)) for key, (question, options) in _QUESTIONS.items()}


def _answers(answers: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Each question's answer (an option in English, or as the active language shows it),
    the cautious option where it is missing or not an option."""
    chosen, notes = {}, []
    for key, (question, options) in _QUESTIONS.items():
        value = answers.get(key)
        shown = {_(option): option for option in options}
        if isinstance(value, str) and value in options:
            chosen[key] = value
        elif isinstance(value, str) and value in shown:
            chosen[key] = shown[value]
        else:
            chosen[key] = _ASSUMED[key]
            notes.append(_('Not answered: "{question}" (got {value!r}); assumed "{assumed}".')
                         .format(question=_(question), value=value,
                                 assumed=_(_ASSUMED[key])))
    return chosen, notes


def _evidence(evidence: Mapping[str, Any] | None) -> dict[str, Any]:
    """The measurements the reasons quote, checked: ``pays_off``, ``fused``, ``ceiling``."""
    who = "recommend_multimodal"
    if evidence is None:
        return {"pays_off": None, "fused": None, "ceiling": None}
    if not isinstance(evidence, Mapping):
        raise TypeError(f"{who}: evidence must be a dict with keys 'pays_off', 'fused' and "
                        f"'ceiling', got {type(evidence).__name__}")
    out = {}
    for key in ("pays_off", "fused", "ceiling"):
        value = evidence.get(key)
        ok = value is None or (isinstance(value, numbers.Real) and not isinstance(value, bool)
                               and math.isfinite(float(value)) and value > 0)
        if not ok:
            raise ValueError(f"{who}: evidence[{key!r}] must be a positive number or None, "
                             f"got {value!r}")
        out[key] = value
    return out


def _verdict(a: dict[str, str], ev: dict[str, Any]) -> tuple[str, list[str]]:
    """The verdict and its first reasons, from the need, the data and the encoders."""
    pretrained = a["pretrained"] == "yes"
    if a["need"].startswith("no"):
        return _("Use a single-modality model."), [_(
            "One modality carries the information, so fusion can only add parameters and "
            "noise: in chapter 9 a fused model trained on a sufficient text and a noisy "
            "image scored below the text-only model.")]
    threshold = ev["pays_off"] if ev["pays_off"] is not None else math.inf
    if _LABEL_COUNT[a["labels"]] < threshold and not pretrained:
        measured = (_("only from {pays_off:,} training samples on").format(
                        pays_off=ev["pays_off"])
                    if ev["pays_off"] is not None else _("at none of the sizes measured"))
        return (_("Start with the best single modality, and get more data or pretrained "
                  "encoders."), [
                    _("In chapter 10 the fused model beat the best single modality "
                      "{measured}, on a small problem; with {labels} labelled examples and "
                      "no pretrained encoders, fusion is unlikely to pay off yet.").format(
                        measured=measured, labels=_(a["labels"]))])
    reasons = []
    if a["need"].startswith("yes") and ev["fused"] is not None and ev["ceiling"] is not None:
        reasons.append(_("The modalities complement each other: in chapter 10, with enough "
                         "data, the fused model reached {fused:.0%}, where one modality "
                         "alone can expect at most {ceiling:.0%}.").format(
                             fused=ev["fused"], ceiling=ev["ceiling"]))
    elif a["need"].startswith("yes"):
        reasons.append(_("The modalities complement each other, so a fused model can settle "
                         "cases that no single modality can."))
    else:
        reasons.append(_("Whether the second modality helps is an empirical question: "
                         "compare the fused model with single-modality baselines on held-out "
                         "data, and keep fusion only if it wins."))
    if pretrained:
        reasons.append(_("Start from the pretrained encoders, frozen, and train only the "
                         "fusion and head on your labels (a linear probe; transfer learning, "
                         "chapter 2); fine-tune the encoders only if the learning curve is "
                         "still rising."))
    return _("A multimodal model is worth trying, next to single-modality baselines."), reasons


def _cautions(a: dict[str, str]) -> list[str]:
    """The reasons that hold whatever the verdict: missing data, imbalance, explanations."""
    reasons = []
    if a["missing"] != "never":
        reasons.append(_("Train with modality dropout (MultimodalModel(modality_dropout=0.3)): "
                         "in chapter 9 it kept a tensor-fusion model at the single-modality "
                         "ceiling when a modality was missing."))
    if a["imbalance"] != "no":
        reasons.append(_("Watch for modality imbalance: compare the encoders' gradients and "
                         "keep single-modality baselines; modality dropout or a smaller "
                         "learning rate for the dominant encoder helped in chapter 9."))
    if a["explain"] == "yes":
        reasons.append(_("Plan the explanations: removing a modality tells which one an "
                         "answer came from, gradient saliency what it is sensitive to; "
                         "attention maps alone are not explanations (chapter 9)."))
    if a["compute"] == "a laptop CPU":
        reasons.append(_("Small models like this book's train in seconds on a CPU (chapter "
                         "10), but large pretrained encoders are best used frozen, as feature "
                         "extractors, unless you have a GPU."))
    reasons.append(_("Measure calibration (ECE) and robustness to a corrupted modality before "
                     "deployment: a fused model can stay confident while it is wrong "
                     "(chapter 9)."))
    return reasons


def recommend_multimodal(answers: Mapping[str, Any],
                         evidence: Mapping[str, Any] | None = None) -> str:
    """A recommendation with its reasons, for answers to :func:`multimodal_questions`.

    ``answers`` maps a question key (``"need"``, ``"labels"``, ...) to one of its options;
    a missing or unknown answer is taken as the cautious option and the reasons say so,
    and other keys are ignored, so any dict of answers gets a recommendation. ``evidence``
    holds the measurements the reasons quote (chapter 10 measures them): ``pays_off``, the
    smallest training set on which fusion beat the best single modality (None: never),
    ``fused``, the fused model's held-out accuracy with the most data, and ``ceiling``, the
    accuracy one modality can expect at most. Without it the reasons quote no numbers and
    fusion is not advised without pretrained encoders.

    Returns text: the verdict on the first line, then one ``"- reason"`` per line.
    Raises TypeError if ``answers`` is not a dict, ValueError for malformed evidence.
    """
    if not isinstance(answers, Mapping):
        raise TypeError(f"recommend_multimodal: answers must be a dict question key -> "
                        f"option, got {type(answers).__name__}")
    ev = _evidence(evidence)
    chosen, notes = _answers(answers)
    verdict, reasons = _verdict(chosen, ev)
    reasons += _cautions(chosen) + notes
    return verdict + "\n" + "\n".join(f"- {r}" for r in reasons)


def _shown(options: Sequence[str]) -> list:
    """A dropdown's options: each shown in the active language, its value the option
    itself (the key the advice reads), or the plain list when nothing is translated."""
    labels = [_(option) for option in options]
    if labels == list(options):
        return list(options)
    return list(zip(labels, options, strict=True))


class Checklist:
    """Dropdowns for a set of questions, and a recommendation that follows every change.

    ``questions`` maps a key to ``(question, options)`` (as :func:`multimodal_questions`);
    ``advise(answers) -> str`` turns ``{key: chosen option}`` into text whose first line is
    the verdict and whose other lines are ``"- reason"``. The widget (ipywidgets) is
    built on construction; :meth:`answers`, :meth:`set_answers` and ``output`` (an HTML
    widget) let code drive it. If ``advise`` raises, the recommendation shows the error
    instead of breaking the form. Questions and options are shown in the active language
    (``mmlearn.widgets.set_language``); the answers are the options as given.
    """

    def __init__(self, questions: Mapping[str, tuple[str, Sequence[str]]],
                 advise: Callable[[dict[str, str]], str]) -> None:
        if not isinstance(questions, Mapping) or not questions:
            raise TypeError("Checklist: questions must be a non-empty dict key -> "
                            "(question, options)")
        for key, entry in questions.items():
            if not (isinstance(entry, tuple | list) and len(entry) == 2
                    and isinstance(entry[0], str) and not isinstance(entry[1], str)
                    and len(entry[1]) > 0 and all(isinstance(o, str) for o in entry[1])):
                raise ValueError(f"Checklist: questions[{key!r}] must be (question, "
                                 f"[option, ...]), got {entry!r}")
        if not callable(advise):
            raise TypeError(f"Checklist: advise must be a function answers -> text, "
                            f"got {type(advise).__name__}")
        import ipywidgets as w

        self.advise = advise
        style = {"description_width": "initial"}
        layout = w.Layout(width="95%")
        self.dropdowns = {key: w.Dropdown(options=_shown(options), value=options[0],
                                          description=_(question), style=style,
                                          layout=layout)
                          for key, (question, options) in questions.items()}
        self.output = w.HTML()
        for dropdown in self.dropdowns.values():
            dropdown.observe(self.update, names="value")
        self.box = w.VBox([*self.dropdowns.values(), self.output])
        self.update()

    def answers(self) -> dict[str, str]:
        """The option chosen in each dropdown, by question key."""
        return {key: dropdown.value for key, dropdown in self.dropdowns.items()}

    def set_answers(self, answers: Mapping[str, str]) -> None:
        """Choose options from code (the recommendation updates as if clicked)."""
        for key, value in answers.items():
            self.dropdowns[key].value = value

    def update(self, _change: Any = None) -> None:
        """Recompute the recommendation from the current answers and show it."""
        try:
            verdict, *reasons = str(self.advise(self.answers())).split("\n")
        except Exception as err:   # a broken advise function must not break the form
            verdict = _("Could not advise ({error}: {msg})").format(error=type(err).__name__,
                                                                    msg=err)
            reasons = []
        items = "".join(f"<li>{html.escape(r.removeprefix('- '))}</li>" for r in reasons)
        self.output.value = f"<p><b>{html.escape(verdict)}</b></p><ul>{items}</ul>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.box._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"Checklist({len(self.dropdowns)} questions)"
        return bundle


def multimodal_checklist(evidence: Mapping[str, Any] | None = None) -> Checklist:
    """Chapter 10's checklist: :func:`multimodal_questions` advised by
    :func:`recommend_multimodal` with ``evidence`` (see there)."""
    def advise(answers: dict[str, str]) -> str:
        return recommend_multimodal(answers, evidence)

    recommend_multimodal({}, evidence)   # malformed evidence fails here, not in the form
    return Checklist(_QUESTIONS, advise)
