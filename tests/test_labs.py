"""The nbgrader labs (book/labs/): what `make labs` releases, and how nbgrader grades them.

One course directory (sqlite gradebook) in a temporary folder serves the whole module:

* ``scripts/labs.py release --course DIR`` generates every lab (one nbgrader run);
* for each lab, three submissions are autograded in one more nbgrader run: the reference
  solution (full marks), the released notebook untouched (0) and a planted, partly right one
  (exactly the points of the test cells it should pass, strictly between);
* broken submissions, graded with a 5-second cell timeout, must not stop the run: three of
  lab 1 (one raises at import time, one loops forever (interrupted), one deleted two test
  cells: nbgrader puts them back, so deleting a test earns nothing and costs nothing), and one
  of each of labs 6 to 8 that does all three at once;
* every assertion on scores reads the CSV of `nbgrader export`, as an instructor would.

The expected partial scores come from the labs' design: which test cells a submission's
correct, missing and planted-wrong answers should pass, and the points the source notebook
gives those cells.
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("mmlearn_labs", REPO / "scripts" / "labs.py")
labs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(labs)

LABS = ["lab1_neuron", "lab2_backprop", "lab3_optimizers", "lab4_fusion", "lab5_contrastive",
        "lab6_applications", "lab7_data_and_time", "lab8_robustness"]
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
STUB = "raise NotImplementedError()"
ROBUST_TIMEOUT = 5  # seconds per cell for the broken submissions


@dataclass
class Partial:
    """A partly right submission: ``solved`` solution cells from the reference (a list of
    booleans picks regions of a cell with several), ``planted`` cells with a plausible bug
    that passes the visible tests but not the hidden ones, the rest left as released.
    ``passes``: the test cells it should pass."""

    solved: dict[str, bool | list[bool]]
    passes: list[str]
    planted: dict[str, str] = field(default_factory=dict)
    hidden_catches: list[str] = field(default_factory=list)  # fail in their hidden part only


PARTIAL = {
    "lab1_neuron": Partial(
        solved={"sigmoid": True, "sigmoid_derivative": True},
        planted={"relu": (
            "def relu(z):\n    return np.maximum(z, 0)\n\n\n"
            "def relu_derivative(z):\n    return (z >= 0).astype(z.dtype)  # 1 at the kink\n")},
        passes=["test_sigmoid", "test_sigmoid_derivative"], hidden_catches=["test_relu"]),
    "lab2_backprop": Partial(
        solved={"my_dense": True},
        planted={"softmax_ce": (                              # overflows for large logits
            "def softmax_cross_entropy(logits, y):\n"
            "    n = logits.shape[0]\n"
            "    e = np.exp(logits)\n"
            "    p = e / e.sum(axis=1, keepdims=True)\n"
            "    loss = -np.log(p[np.arange(n), y]).mean()\n"
            "    grad = p.copy()\n"
            "    grad[np.arange(n), y] -= 1\n"
            "    return float(loss), grad / n\n")},
        passes=["test_dense_forward", "test_dense_backward"],
        hidden_catches=["test_softmax_ce"]),
    "lab3_optimizers": Partial(
        solved={"sgd_momentum": True, "steps_to_converge": True},
        planted={"adam": (                                    # PyTorch's placement of ε
            "def adam_step(w, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999,\n"
            "              epsilon=1e-7):\n"
            "    m = beta_1 * m + (1 - beta_1) * g\n"
            "    v = beta_2 * v + (1 - beta_2) * g * g\n"
            "    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)\n"
            "    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v\n")},
        passes=["test_sgd_momentum", "test_steps_to_converge"], hidden_catches=["test_adam"]),
    "lab4_fusion": Partial(
        solved={"my_gated": [True, False]},                   # forward done, backward not
        passes=["test_gmu_forward"]),
    "lab5_contrastive": Partial(
        solved={"clip_logits": True, "info_nce": True},
        planted={"recall": (                                  # dot product, not cosine
            "def recall_at_k(query_emb, target_emb, k=1):\n"
            "    sim = query_emb @ target_emb.T\n"
            "    better = (sim > np.diag(sim)[:, None]).sum(axis=1)\n"
            "    return float(np.mean(better < k))\n")},
        passes=["test_clip_logits", "test_info_nce"], hidden_catches=["test_recall"]),
    "lab6_applications": Partial(
        solved={"precision": True, "two_tower": True},       # cold start not done
        planted={"auc": (                                     # ties count 0, not 1/2
            "def auc(y_true, scores):\n"
            "    y_true, scores = np.asarray(y_true), np.asarray(scores)\n"
            "    pos, neg = scores[y_true == 1], scores[y_true == 0]\n"
            "    return float(np.mean(pos[:, None] > neg[None, :]))\n")},
        passes=["test_precision", "test_two_tower"], hidden_catches=["test_auc"]),
    "lab7_data_and_time": Partial(
        solved={"split": True, "chain_flops": True},
        planted={"choose": (                                  # selects on the test set
            "def choose_width(widths, seed=0):\n"
            "    val_by_width, test_by_width = {}, {}\n"
            "    for w in widths:\n"
            "        model = train(make_model(w, seed), x_pool, y_pool)\n"
            "        val_by_width[w] = accuracy(model, x_val, y_val)\n"
            "        test_by_width[w] = test_set.score(model)\n"
            "    chosen = max(widths, key=lambda w: test_by_width[w])\n"
            "    return chosen, val_by_width, test_by_width[chosen]\n")},
        passes=["test_split", "test_chain_flops"], hidden_catches=["test_choose"]),
    "lab8_robustness": Partial(
        solved={"modality_dropout": True, "missing": True},
        planted={"ece": (                                     # bins closed on the right
            "def expected_calibration_error(probs, y, n_bins=10):\n"
            "    probs, y = np.asarray(probs, dtype=np.float64), np.asarray(y)\n"
            "    conf = probs.max(axis=1)\n"
            "    right = (probs.argmax(axis=1) == y).astype(float)\n"
            "    bins = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)\n"
            "    return float(sum((bins == b).mean()\n"
            "                     * abs(right[bins == b].mean() - conf[bins == b].mean())\n"
            "                     for b in range(n_bins) if (bins == b).any()))\n")},
        passes=["test_modality_dropout", "test_missing"], hidden_catches=["test_ece"]),
}

# Broken submissions (the reference solution but for what is said): three of lab 1, one at a
# time, and one of each newer lab that raises, loops and deletes a test cell all at once.
ROBUST_LAB = "lab1_neuron"   # the lab of a broken submission that names none
RAISES, LOOPS = "raise RuntimeError('a bug at import time')\n", "while True:\n    pass\n"
ROBUST = {
    # NameError for `sigmoid` afterwards: its two tests fail, the rest pass.
    "robust_raises": {"replace": {"sigmoid": "raise RuntimeError('a bug at import time')\n"},
                      "fails": ["test_sigmoid", "test_sigmoid_derivative"]},
    # interrupted after ROBUST_TIMEOUT s; every later cell still runs and is graded.
    "robust_loops": {"replace": {"sigmoid_derivative": "while True:\n    pass\n"},
                     "fails": ["test_sigmoid_derivative"]},
    # the neuron left undone and both its test and ReLU's deleted: nbgrader restores both,
    # so ReLU's still earns its points and the neuron's still does not.
    "robust_deleted": {"unsolved": ["neuron_forward"], "delete": ["test_relu", "test_neuron"],
                       "fails": ["test_neuron"]},
    # AUC raises (its test and the cold start's fail), the towers loop (their test fails
    # too), precision@k's test deleted: restored, it still earns its points.
    "broken_lab6": {"lab": "lab6_applications",
                    "replace": {"auc": RAISES, "two_tower": LOOPS}, "delete": ["test_precision"],
                    "fails": ["test_auc", "test_two_tower", "test_cold_start"]},
    # the split raises, so nothing after it has data; the FLOP counts do not need any.
    "broken_lab7": {"lab": "lab7_data_and_time",
                    "replace": {"split": RAISES, "learning_curve": LOOPS},
                    "delete": ["test_chain_flops"],
                    "fails": ["test_split", "test_curve", "test_choose"]},
    # no modality dropout, so the robust model cannot train; the ECE does not care.
    "broken_lab8": {"lab": "lab8_robustness",
                    "replace": {"modality_dropout": RAISES, "missing": LOOPS},
                    "delete": ["test_ece"],
                    "fails": ["test_modality_dropout", "test_missing", "test_robust"]},
}


# -- reading notebooks -------------------------------------------------------------------------
def read_nb(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def nbg(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def cells_by_id(nb: dict) -> dict[str, dict]:
    return {nbg(c)["grade_id"]: c for c in nb["cells"] if "grade_id" in nbg(c)}


def graded_points(nb: dict) -> dict[str, float]:
    return {nbg(c)["grade_id"]: nbg(c)["points"] for c in nb["cells"] if nbg(c).get("grade")}


def stated_total(nb: dict) -> int:
    """The total the notebook announces to students ("**Points:** 10 in all")."""
    text = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    found = re.findall(r"\*\*Points:\*\* (\d+) in all", text)
    assert len(found) == 1, f"expected one '**Points:** N in all', found {found}"
    return int(found[0])


def solve(src: str, regions: bool | list[bool] = True) -> str:
    """A solution cell's reference code, region by region: kept (markers dropped) or replaced
    by nbgrader's stub, as a student who did only some of it would hand in."""
    out, index, inside, keep = [], -1, False, True
    for line in src.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            index += 1
            inside = True
            keep = regions if isinstance(regions, bool) else regions[index]
            if not keep:
                indent = line[: len(line) - len(line.lstrip())]
                out += [f"{indent}# YOUR CODE HERE", f"{indent}{STUB}"]
        elif stripped == END:
            inside = False
        elif not inside or keep:
            out.append(line)
    assert not isinstance(regions, list) or index + 1 == len(regions), "region count differs"
    return "\n".join(out) + "\n"


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def autograded(course: Course, lab: str, student: str) -> dict:
    return read_nb(course.root / "autograded" / student / lab / f"{lab}.ipynb")


def errors(cell: dict) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def passing_tests(nb: dict) -> set[str]:
    """The test cells of an autograded notebook that ran without an error."""
    return {nbg(c)["grade_id"] for c in nb["cells"] if nbg(c).get("grade") and not errors(c)}


def failing_line(cell: dict) -> int:
    """The line of the cell at which its first error was raised (IPython's traceback)."""
    text = ANSI.sub("", "\n".join(errors(cell)[0]["traceback"]))
    found = re.search(r"Cell In\[\d+\], line (\d+)", text)
    assert found, text
    return int(found.group(1))


def regions(src: str) -> tuple[list[str], set[str]]:
    """The stripped, non-empty lines inside the solution regions, and those outside them."""
    inside, outside, within = [], set(), False
    for line in src.splitlines():
        stripped = line.strip()
        if stripped in (BEGIN, END):
            within = stripped == BEGIN
        elif stripped:
            (inside.append if within else outside.add)(stripped)
    return inside, outside


def submission(released: dict, src_nb: dict, *, solved: dict | None = None,
               replace: dict | None = None, delete: tuple = ()) -> dict:
    """The released notebook with some solution cells answered and some cells deleted.
    ``solved=None`` answers every solution cell with the reference."""
    nb = copy.deepcopy(released)
    src_cells = cells_by_id(src_nb)
    if solved is None:
        solved = {gid: True for gid, c in src_cells.items() if nbg(c).get("solution")}
    for cell in nb["cells"]:
        gid = nbg(cell).get("grade_id")
        if gid in solved:
            cell["source"] = solve(source(src_cells[gid]), solved[gid])
        if replace and gid in replace:
            cell["source"] = replace[gid]
    nb["cells"] = [c for c in nb["cells"] if nbg(c).get("grade_id") not in delete]
    return nb


# -- the course: release, submit, autograde, export (once for the module) --------------------
@dataclass
class Course:
    root: Path
    release_dir: Path
    grades: dict[tuple[str, str], tuple[float, float]]   # (lab, student) -> (score, max)
    runs: dict[str, object]
    seconds: dict[str, float]


def submit(root: Path, student: str, lab: str, nb: dict) -> None:
    folder = root / "submitted" / student / lab
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{lab}.ipynb").write_text(json.dumps(nb, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    if importlib.util.find_spec("nbgrader") is None:
        pytest.fail("nbgrader is not installed: the labs need nbgrader>=0.9.6,<0.10 "
                    "(requirements.txt; make setup installs it)")
    base = tmp_path_factory.mktemp("labs")
    root, release_dir = base / "course", base / "release"
    seconds, runs = {}, {}

    t = time.perf_counter()
    assert labs.main(["release", "--out", str(release_dir), "--course", str(root)]) == 0
    seconds["release"] = time.perf_counter() - t

    for lab in LABS:
        released = read_nb(release_dir / lab / f"{lab}.ipynb")
        src_nb = read_nb(labs.LABS_DIR / f"{lab}.ipynb")
        plan = PARTIAL[lab]
        submit(root, "reference", lab, submission(released, src_nb))
        submit(root, "blank", lab, released)
        submit(root, "partial", lab, submission(released, src_nb, solved=plan.solved,
                                                replace=plan.planted))
    t = time.perf_counter()
    runs["main"] = labs.nbgrader(root, "autograde", "*", check=False)
    seconds["autograde"] = time.perf_counter() - t

    for student, how in ROBUST.items():
        lab = how.get("lab", ROBUST_LAB)
        released = read_nb(release_dir / lab / f"{lab}.ipynb")
        src_nb = read_nb(labs.LABS_DIR / f"{lab}.ipynb")
        solved = {gid: gid not in how.get("unsolved", ())
                  for gid, c in cells_by_id(src_nb).items() if nbg(c).get("solution")}
        submit(root, student, lab, submission(
            released, src_nb, solved=solved, replace=how.get("replace"),
            delete=tuple(how.get("delete", ()))))
    t = time.perf_counter()
    # Already graded submissions are skipped; only the broken ones run, with a short timeout.
    runs["robust"] = labs.nbgrader(root, "autograde", "*",
                                   f"--ExecutePreprocessor.timeout={ROBUST_TIMEOUT}", check=False)
    seconds["robust"] = time.perf_counter() - t

    t = time.perf_counter()
    csv_path = root / "grades.csv"
    runs["export"] = labs.nbgrader(root, "export", "--to", str(csv_path), check=False)
    seconds["export"] = time.perf_counter() - t
    grades = {}
    if csv_path.exists():
        with csv_path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                grades[row["assignment"], row["student_id"]] = (float(row["score"]),
                                                                float(row["max_score"]))
    print("nbgrader seconds:", {k: round(v, 1) for k, v in seconds.items()})
    return Course(root, release_dir, grades, runs, seconds)


def score(course: Course, lab: str, student: str) -> tuple[float, float]:
    assert (lab, student) in course.grades, \
        f"{student}'s {lab} is not in the exported grades:\n{course.runs['main'].stderr[-3000:]}"
    return course.grades[lab, student]


# -- the lab sources ---------------------------------------------------------------------------
def test_the_eight_labs_exist():
    assert labs.lab_ids() == LABS


@pytest.mark.parametrize("lab", LABS)
def test_lab_source_is_well_formed(lab):
    """Every cell has nbgrader metadata (unique ids, non-solution cells locked), solution and
    hidden-test markers pair up, test cells carry points that add up to the stated total, and
    no outputs are committed."""
    nb = read_nb(labs.LABS_DIR / f"{lab}.ipynb")
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    ids = [nbg(c).get("grade_id") for c in nb["cells"]]
    assert None not in ids and len(set(ids)) == len(ids), ids
    for cell in nb["cells"]:
        meta, src = nbg(cell), source(cell)
        assert meta["schema_version"] == 3 and meta["task"] is False
        assert meta["locked"] is not meta["solution"], meta["grade_id"]
        assert src.count(BEGIN) == src.count(END) == (src.count(BEGIN) if meta["solution"] else 0)
        if meta["solution"]:
            assert src.count(BEGIN) >= 1, meta["grade_id"]
        assert src.count(HIDDEN_BEGIN) == src.count(HIDDEN_END) <= int(meta["grade"])
        if meta["grade"]:
            assert cell["cell_type"] == "code" and meta["points"] > 0
            assert src.count(HIDDEN_BEGIN) == 1, f"{meta['grade_id']} has no hidden tests"
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    points = graded_points(nb)
    assert len(points) >= 3, "split the tests over several graded cells (partial credit)"
    assert sum(points.values()) == stated_total(nb)


def test_labs_are_not_chapters():
    """The labs are nbgrader sources: not in the table of contents, not run by nbval."""
    toc = (REPO / "_toc.yml").read_text(encoding="utf-8").splitlines()
    assert not [line for line in toc if "labs/" in line.split("#")[0]]
    assert "--ignore=book/labs" in (REPO / "Makefile").read_text(encoding="utf-8")


# -- what students get ---------------------------------------------------------------------------
@pytest.mark.parametrize("lab", LABS)
def test_release_strips_solutions_and_hidden_tests(course, lab):
    released = read_nb(course.release_dir / lab / f"{lab}.ipynb")
    src_nb = read_nb(labs.LABS_DIR / f"{lab}.ipynb")
    text = json.dumps(released)
    for marker in (BEGIN, END, HIDDEN_BEGIN, HIDDEN_END):
        assert marker not in text
    rel_cells, src_cells = cells_by_id(released), cells_by_id(src_nb)
    assert list(rel_cells) == list(src_cells), "the release must keep every cell, in order"
    for gid, src_cell in src_cells.items():
        src, rel = source(src_cell), source(rel_cells[gid])
        meta = nbg(src_cell)
        if meta["solution"]:
            assert rel.count(STUB) == src.count(BEGIN), gid
            inside, outside = regions(src)
            released_lines = {line.strip() for line in rel.splitlines()}
            leaked = [line for line in inside if line not in outside and line in released_lines]
            assert not leaked, f"{gid}: solution lines in the release: {leaked}"
        elif meta["grade"]:
            visible, hidden = src.split(HIDDEN_BEGIN)[0], src.split(HIDDEN_BEGIN)[1]
            hidden = hidden.split(HIDDEN_END)[0]
            assert visible.strip() in rel, f"{gid}: the visible tests must stay"
            shown = {line.strip() for line in visible.splitlines()}
            released_lines = {line.strip() for line in rel.splitlines()}
            leaked = [line for line in hidden.splitlines()
                      if line.strip() and line.strip() not in shown
                      and line.strip() in released_lines]
            assert not leaked, f"{gid}: hidden test lines released: {leaked}"
            assert nbg(rel_cells[gid])["locked"] and nbg(rel_cells[gid])["points"] == \
                meta["points"]
        else:
            assert rel == src, f"{gid}: an instruction or setup cell changed"
        for cell in released["cells"]:
            assert cell.get("outputs", []) == []


def test_make_labs_writes_one_notebook_per_lab(course):
    written = sorted(p.relative_to(course.release_dir).as_posix()
                     for p in course.release_dir.rglob("*.ipynb"))
    assert written == [f"{lab}/{lab}.ipynb" for lab in LABS]


# -- how nbgrader grades them -----------------------------------------------------------------
def test_autograde_runs_finish(course):
    for name, run in course.runs.items():
        assert run.returncode == 0, f"nbgrader ({name}) failed:\n{run.stderr[-4000:]}"
    assert "Traceback" not in course.runs["main"].stderr


@pytest.mark.parametrize("lab", LABS)
def test_reference_solution_gets_full_marks(course, lab):
    got, maximum = score(course, lab, "reference")
    total = stated_total(read_nb(labs.LABS_DIR / f"{lab}.ipynb"))
    assert maximum == total
    assert got == total


@pytest.mark.parametrize("lab", LABS)
def test_untouched_release_gets_zero(course, lab):
    got, maximum = score(course, lab, "blank")
    assert got == 0 and maximum > 0


@pytest.mark.parametrize("lab", LABS)
def test_partly_right_submission_gets_partial_credit(course, lab):
    """Exactly the points of the test cells its correct answers should pass: the planted
    bug (visible tests pass, hidden ones not) and the unanswered tasks earn nothing."""
    points = graded_points(read_nb(labs.LABS_DIR / f"{lab}.ipynb"))
    expected = sum(points[gid] for gid in PARTIAL[lab].passes)
    got, maximum = score(course, lab, "partial")
    assert 0 < expected < maximum
    assert got == expected
    graded = autograded(course, lab, "partial")
    assert passing_tests(graded) == set(PARTIAL[lab].passes)
    for gid in PARTIAL[lab].hidden_catches:       # the planted bug passes the visible tests
        cell = cells_by_id(graded)[gid]
        hidden_from = source(cell).splitlines().index(HIDDEN_BEGIN) + 1
        assert failing_line(cell) > hidden_from, f"{gid} failed before its hidden tests"


@pytest.mark.parametrize("student", list(ROBUST))
def test_broken_submission_is_graded(course, student):
    lab = ROBUST[student].get("lab", ROBUST_LAB)
    points = graded_points(read_nb(labs.LABS_DIR / f"{lab}.ipynb"))
    expected = sum(p for gid, p in points.items() if gid not in ROBUST[student]["fails"])
    got, maximum = score(course, lab, student)
    assert maximum == sum(points.values())
    assert 0 < got == expected
    graded = autograded(course, lab, student)
    assert passing_tests(graded) == set(points) - set(ROBUST[student]["fails"])
    ids = [nbg(c).get("grade_id") for c in graded["cells"]]
    assert all(gid in ids for gid in ROBUST[student].get("delete", ())), "not restored"
    looped = [gid for gid, src in ROBUST[student].get("replace", {}).items() if src == LOOPS]
    for gid in looped:
        assert [e["ename"] for e in errors(cells_by_id(graded)[gid])][:1] in (
            ["CellTimeoutError"], ["KeyboardInterrupt"]), gid


def test_infinite_loop_is_interrupted(course):
    graded = autograded(course, ROBUST_LAB, "robust_loops")
    looped = cells_by_id(graded)["sigmoid_derivative"]
    assert [e["ename"] for e in errors(looped)][:1] in (["CellTimeoutError"],
                                                        ["KeyboardInterrupt"]), errors(looped)
    # the cells after the loop ran: the last test cell printed its success line
    printed = "".join(source({"source": o.get("text", "")}) for c in graded["cells"]
                      for o in c.get("outputs", []))
    assert "Task 5: visible tests passed" in printed


def test_deleted_test_cells_are_restored(course):
    graded = autograded(course, ROBUST_LAB, "robust_deleted")
    ids = [nbg(c).get("grade_id") for c in graded["cells"]]
    for gid in ROBUST["robust_deleted"]["delete"]:
        assert gid in ids, f"{gid} was not put back"
