"""The book's exercises: no answer in sight, every key right, every solution folded.

* A student reads a chapter in the HTML book or in JupyterLab. No visible code cell may hand
  a checker its answer (``answer=...``, ``reference=...``) or define a reference solution:
  the keys live in ``mmlearn/widgets/_keys/`` and a chapter cell says
  ``exercise("ch3-relu-backward")``.
* Every id a chapter asks for exists, and every key is used by a chapter.
* Every key judges its own answer right and a wrong one wrong (a key with a typo would
  otherwise tell every student that the right answer is wrong).
* Worked solutions fold in the HTML book (a dropdown, a hidden input) and in JupyterLab
  (``jupyter.source_hidden``), so that opening one is a choice.
"""

from __future__ import annotations

import inspect
import json
import re
import textwrap
from pathlib import Path

import pytest

from mmlearn.widgets import (
    FunctionExercise,
    NeuronWeightsExercise,
    NumericExercise,
    Quiz,
    exercise,
    exercise_ids,
)

BOOK = Path(__file__).resolve().parent.parent / "book"
CHAPTERS = sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))
HIDING_TAGS = {"remove-input", "remove-cell", "hide-input", "hide-cell"}
# What gives an answer away in a visible cell: a literal answer or reference handed to a
# checker, or a reference solution defined where the student reads.
ANSWER_IN_SIGHT = [
    (re.compile(r"\banswer\s*=(?!=)"), "passes an answer= to a checker"),
    (re.compile(r"\breference\s*=(?!=)"), "passes a reference= solution to a checker"),
    (re.compile(r"^\s*def\s+_?\w*reference\w*\s*\(", re.M), "defines a reference solution"),
]
EXERCISE_CALL = re.compile(r"""\bexercise\(\s*["']([^"']+)["']""")


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _hidden(cell: dict) -> bool:
    meta = cell.get("metadata", {})
    return bool(set(meta.get("tags", [])) & HIDING_TAGS
                or meta.get("jupyter", {}).get("source_hidden"))


def test_the_book_has_chapters():
    assert len(CHAPTERS) >= 9, f"expected the chapter notebooks in {BOOK}, found {CHAPTERS}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_answer_in_a_visible_code_cell(path):
    shown = []
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code" or _hidden(cell):
            continue
        for pattern, what in ANSWER_IN_SIGHT:
            match = pattern.search(_source(cell))
            if match:
                shown.append(f"cell {i} {what}: {match.group().strip()!r}")
    assert not shown, f"{path.name}: a student can read an answer:\n" + "\n".join(shown)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_solutions_fold_in_the_book_and_in_jupyterlab(path):
    unfolded = []
    for i, cell in enumerate(_cells(path)):
        meta = cell.get("metadata", {})
        src = _source(cell)
        hidden_in_lab = meta.get("jupyter", {}).get("source_hidden") is True
        if cell["cell_type"] == "markdown" and re.search(r"\{admonition\}\s*Solution", src):
            if ":class: dropdown" not in src:
                unfolded.append(f"cell {i}: a Solution admonition without ':class: dropdown'")
            if not hidden_in_lab:
                unfolded.append(f"cell {i}: a Solution that JupyterLab shows open "
                                "(metadata jupyter.source_hidden missing)")
        if cell["cell_type"] == "code" and set(meta.get("tags", [])) & {"hide-input",
                                                                         "hide-cell"}:
            if not hidden_in_lab:
                unfolded.append(f"cell {i}: hidden in the book but open in JupyterLab "
                                "(metadata jupyter.source_hidden missing)")
    assert not unfolded, f"{path.name}:\n" + "\n".join(unfolded)


def _used_ids() -> dict[str, str]:
    used = {}
    for path in CHAPTERS:
        for cell in _cells(path):
            if cell["cell_type"] == "code":
                for exercise_id in EXERCISE_CALL.findall(_source(cell)):
                    used[exercise_id] = path.name
    return used


def test_every_exercise_a_chapter_asks_for_exists():
    known = set(exercise_ids())
    missing = {i: nb for i, nb in _used_ids().items() if i not in known}
    assert not missing, f"chapters ask for exercises that have no key: {missing}"


def test_every_key_is_used_by_its_chapter():
    used = _used_ids()
    unused = [i for i in exercise_ids() if i not in used]
    assert not unused, f"answer keys no chapter uses: {unused}"
    for exercise_id, notebook in used.items():
        chapter = int(re.match(r"ch(\d+)-", exercise_id).group(1))
        assert notebook.startswith(f"{chapter:02d}_"), \
            f"{exercise_id} is used in {notebook}, not in chapter {chapter}"


def test_exercise_ids_name_their_chapter():
    for exercise_id in exercise_ids():
        assert re.fullmatch(r"ch\d+-[a-z0-9]+(-[a-z0-9]+)*", exercise_id), exercise_id


def _reference_as_student_code(ex: FunctionExercise) -> str:
    """The key's reference solution, written as a student would: ``def name(...)``."""
    source = textwrap.dedent(inspect.getsource(ex.reference))
    return f"{source}\n{ex.name} = {ex.reference.__name__}\n"


@pytest.mark.parametrize("exercise_id", exercise_ids())
def test_each_key_accepts_its_answer_and_rejects_a_wrong_one(exercise_id):
    ex = exercise(exercise_id)
    assert ex.question.strip(), f"{exercise_id}: no question"
    if isinstance(ex, Quiz):
        assert ex.check(ex.answer).correct, f"{exercise_id}: the key's own answer is wrong"
        wrong = (ex.answer + 1) % len(ex.options)
        assert not ex.check(wrong).correct
    elif isinstance(ex, NumericExercise):
        assert ex.check(repr(ex.answer)).correct, f"{exercise_id}: its own answer is wrong"
        off = ex.answer + 10 * max(ex.tol, ex.rel_tol * abs(ex.answer), 1e-3)
        assert not ex.check(repr(off)).correct
    elif isinstance(ex, FunctionExercise):
        if ex.reference is not None:
            feedback = ex.check(_reference_as_student_code(ex))
            assert feedback.correct, f"{exercise_id}: its reference fails: {feedback.message}"
        assert not ex.check(f"def {ex.name}(*args):\n    return None\n").correct
    elif isinstance(ex, NeuronWeightsExercise):
        assert not ex.check({"w1": 0.0, "w2": 0.0, "b": 0.0}).correct or ex.separable
    for junk in (None, "", "abc", float("nan"), 10**400):
        feedback = ex.check(junk)       # never raises, always explains
        assert not feedback.correct and feedback.message


def test_unknown_id_names_the_closest():
    ids = exercise_ids()
    assert ids, "the book has no exercise keys"
    with pytest.raises(ValueError, match="did you mean"):
        exercise(ids[0] + "x")
    with pytest.raises(TypeError, match="exercise_id"):
        exercise(3)
