"""mm.widgets checklist (chapter 10): recommend_multimodal gives the right verdict for each
kind of project, quotes its evidence, never raises on any answers, and the Checklist widget
follows its dropdowns."""

from __future__ import annotations

import itertools

import pytest

from mmlearn import widgets
from mmlearn.widgets import (
    Checklist,
    multimodal_checklist,
    multimodal_questions,
    recommend_multimodal,
)

MULTIMODAL_QUESTIONS = multimodal_questions()

EVIDENCE = {"pays_off": 800, "fused": 0.98, "ceiling": 0.83}
SINGLE = "Use a single-modality model."
START_SINGLE = "Start with the best single modality"
TRY = "A multimodal model is worth trying"


def _answers(**changes):
    base = {key: options[0] for key, (_, options) in MULTIMODAL_QUESTIONS.items()}
    return {**base, **changes}


def _verdict(text):
    return text.split("\n")[0]


def test_public_names_are_exported():
    for name in ("Checklist", "multimodal_checklist", "multimodal_questions",
                 "recommend_multimodal"):
        assert name in widgets.__all__


def test_questions_are_a_fresh_copy():
    questions = multimodal_questions()
    assert list(questions) == ["need", "labels", "pretrained", "missing", "imbalance",
                               "explain", "compute"]
    questions["latency"] = ("Fast?", ["no", "yes"])
    questions["need"][1].append("maybe")
    assert multimodal_questions() == MULTIMODAL_QUESTIONS
    assert "latency" not in multimodal_questions()


def test_one_sufficient_modality_gives_a_single_modality_model():
    need = "no, one modality carries all the information"
    for labels in MULTIMODAL_QUESTIONS["labels"][1]:
        text = recommend_multimodal(_answers(need=need, labels=labels, pretrained="yes"),
                                    EVIDENCE)
        assert _verdict(text) == SINGLE


@pytest.mark.parametrize("labels, pretrained, verdict", [
    ("fewer than 100", "no", START_SINGLE),
    ("100 to 1,000", "no", START_SINGLE),        # 500 representative labels < 800
    ("1,000 to 100,000", "no", TRY),
    ("more than 100,000", "no", TRY),
    ("fewer than 100", "yes", TRY),              # pretrained encoders need fewer labels
])
def test_data_and_encoders_decide_between_single_and_fused(labels, pretrained, verdict):
    text = recommend_multimodal(_answers(labels=labels, pretrained=pretrained), EVIDENCE)
    assert _verdict(text).startswith(verdict)


def test_the_measured_threshold_moves_the_verdict():
    answers = _answers(labels="100 to 1,000", pretrained="no")
    assert _verdict(recommend_multimodal(answers, {**EVIDENCE, "pays_off": 400})) \
        .startswith(TRY)
    assert _verdict(recommend_multimodal(answers, {**EVIDENCE, "pays_off": None})) \
        .startswith(START_SINGLE)


def test_reasons_quote_the_evidence():
    text = recommend_multimodal(_answers(labels="1,000 to 100,000"), EVIDENCE)
    assert "98%" in text and "83%" in text
    text = recommend_multimodal(_answers(labels="100 to 1,000", pretrained="no"), EVIDENCE)
    assert "800" in text
    assert "at none of the sizes measured" in recommend_multimodal(
        _answers(labels="100 to 1,000", pretrained="no"), {**EVIDENCE, "pays_off": None})


def test_cautions_follow_their_answers():
    quiet = _answers(labels="1,000 to 100,000", missing="never", imbalance="no",
                     explain="no", compute="one GPU")
    text = recommend_multimodal(quiet, EVIDENCE)
    for word in ("modality dropout", "imbalance", "explanations", "CPU"):
        assert word not in text
    assert "calibration" in text                 # always advised
    loud = {**quiet, "missing": "often", "imbalance": "yes", "explain": "yes",
            "compute": "a laptop CPU"}
    text = recommend_multimodal(loud, EVIDENCE)
    for word in ("modality dropout", "imbalance", "explanations", "CPU"):
        assert word in text


def test_every_combination_of_options_gets_a_verdict():
    keys = list(MULTIMODAL_QUESTIONS)
    options = [MULTIMODAL_QUESTIONS[k][1] for k in keys]
    verdicts = set()
    for combo in itertools.product(*options):
        for evidence in (EVIDENCE, None):
            text = recommend_multimodal(dict(zip(keys, combo, strict=True)), evidence)
            lines = text.split("\n")
            assert len(lines) >= 2 and all(line.startswith("- ") for line in lines[1:])
            assert "Not answered" not in text
            verdicts.add(_verdict(text).split(",")[0])
    assert len(verdicts) == 3


@pytest.mark.parametrize("answers", [
    {}, {"need": "maybe"}, {"labels": 500}, {"need": None, "extra": "x"},
    {k: 3.5 for k in MULTIMODAL_QUESTIONS},
])
def test_missing_or_unknown_answers_never_raise_and_are_reported(answers):
    text = recommend_multimodal(answers, EVIDENCE)
    assert _verdict(text)
    assert "Not answered" in text


def test_extra_keys_are_ignored():
    text = recommend_multimodal({**_answers(), "latency": "yes"}, EVIDENCE)
    assert "Not answered" not in text


@pytest.mark.parametrize("answers, evidence, exc", [
    ("yes", EVIDENCE, TypeError),
    (_answers(), [800], TypeError),
    (_answers(), {"pays_off": -1}, ValueError),
    (_answers(), {"fused": float("nan")}, ValueError),
    (_answers(), {"ceiling": True}, ValueError),
])
def test_programming_errors_are_reported_clearly(answers, evidence, exc):
    with pytest.raises(exc, match="recommend_multimodal"):
        recommend_multimodal(answers, evidence)


def test_does_not_change_its_arguments():
    answers, evidence = _answers(), dict(EVIDENCE)
    recommend_multimodal(answers, evidence)
    assert answers == _answers() and evidence == EVIDENCE


# ----------------------------------------------------------------------------- the widget


def test_checklist_widget_follows_its_dropdowns():
    pytest.importorskip("ipywidgets")
    form = multimodal_checklist(EVIDENCE)
    assert list(form.dropdowns) == list(MULTIMODAL_QUESTIONS)
    assert TRY in form.output.value
    form.set_answers({"need": "no, one modality carries all the information"})
    assert SINGLE in form.output.value
    assert form.answers()["need"].startswith("no")
    bundle = form._repr_mimebundle_()
    assert bundle["text/plain"] == "Checklist(7 questions)"


def test_checklist_shows_html_safely_and_survives_a_broken_advise():
    pytest.importorskip("ipywidgets")
    questions = {"q": ("Question?", ["a", "b"])}
    form = Checklist(questions, lambda answers: "<verdict>\n- because <b>")
    assert "&lt;verdict&gt;" in form.output.value and "&lt;b&gt;" in form.output.value

    def broken(answers):
        raise RuntimeError("boom")

    form = Checklist(questions, broken)
    assert "Could not advise" in form.output.value and "boom" in form.output.value


@pytest.mark.parametrize("questions, advise, exc", [
    ({}, str, TypeError),
    ({"q": ("Question?", "ab")}, str, ValueError),
    ({"q": ("Question?", [])}, str, ValueError),
    ({"q": ("Question?", ["a"])}, "not callable", TypeError),
])
def test_checklist_refuses_bad_questions(questions, advise, exc):
    with pytest.raises(exc, match="Checklist"):
        Checklist(questions, advise)


def test_multimodal_checklist_checks_its_evidence_at_once():
    pytest.importorskip("ipywidgets")
    with pytest.raises(ValueError, match="evidence"):
        multimodal_checklist({"pays_off": "many"})
