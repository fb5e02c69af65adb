"""A course that runs end to end: one lab's whole cycle in a temporary course directory,
with the commands book/appendix_instructors.md gives an instructor.

1. ``scripts/labs.py course DIR LAB --roster students.csv --due LAB=... --late-penalty 0.1
   --exchange EXCHANGE``: the course folder, the lab generated, the class list imported
   (``nbgrader db student import``), the due date set, a 10%-per-day late penalty and a
   JupyterHub exchange folder in the config;
2. ``nbgrader release_assignment LAB``: the student version lands in the exchange;
3. two submissions, as a learning-management system's "download all" gives them (a zip of
   files named by ``labs.LMS_NAME``): Ada's reference solution on time, Alan's partly right
   one 25 hours late; Grace hands in nothing;
4. ``scripts/labs.py grade DIR LAB``: ``zip_collect``, ``autograde``, ``generate_feedback``
   (one HTML page per submission, handed back through the same system), ``export``;
5. the assertions read the exported CSV: names and e-mails from the roster, raw scores, the
   late penalty (two started days: 20% of Alan's score) and the final scores.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
import time
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module          # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


labs = _load("mmlearn_labs", REPO / "scripts" / "labs.py")
helpers = _load("mmlearn_test_labs_helpers", REPO / "tests" / "test_labs.py")

LAB = "lab1_neuron"             # the quickest lab to grade
DUE = "2027-02-12 17:00:00 UTC"
ROSTER = [  # id, first_name, last_name, email
    ("s001", "Ada", "Lovelace", "ada@example.edu"),
    ("s002", "Alan", "Turing", "alan@example.edu"),
    ("s003", "Grace", "Hopper", "grace@example.edu"),
]
SUBMITTED = {  # student -> (submission, hand-in time in UTC)
    "s001": ("reference", datetime(2027, 2, 12, 16, 59, 0)),   # a minute early
    "s002": ("partial", datetime(2027, 2, 13, 18, 0, 0)),      # 25 hours late: 2 days started
}
LATE_RATE = 0.1


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    if importlib.util.find_spec("nbgrader") is None:
        pytest.fail("nbgrader is not installed: the labs need nbgrader>=0.9.6,<0.10")
    base = tmp_path_factory.mktemp("course")
    root, exchange = base / "mmlearn-course", base / "exchange"
    roster = base / "students.csv"
    with roster.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "first_name", "last_name", "email"])
        writer.writerows(ROSTER)
    seconds = {}

    t = time.perf_counter()
    assert labs.main(["course", str(root), LAB, "--roster", str(roster),
                      "--due", f"{LAB}={DUE}", "--late-penalty", str(LATE_RATE),
                      "--exchange", str(exchange)]) == 0
    seconds["course"] = time.perf_counter() - t
    t = time.perf_counter()
    released = labs.nbgrader(root, "release_assignment", LAB, "--force")
    seconds["release_assignment"] = time.perf_counter() - t

    # what the learning-management system hands back: one zip, one file per student
    student_version = helpers.read_nb(root / "release" / LAB / f"{LAB}.ipynb")
    source = helpers.read_nb(labs.LABS_DIR / f"{LAB}.ipynb")
    plan = helpers.PARTIAL[LAB]
    notebooks = {
        "reference": helpers.submission(student_version, source),
        "partial": helpers.submission(student_version, source, solved=plan.solved,
                                      replace=plan.planted),
    }
    archive = root / "downloaded" / LAB / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "all_submissions.zip", "w") as zf:
        for student, (kind, when) in SUBMITTED.items():
            name = labs.LMS_NAME.format(lab=LAB, student=student, when=when)
            zf.writestr(name, json.dumps(notebooks[kind], indent=1))

    t = time.perf_counter()
    assert labs.main(["grade", str(root), LAB]) == 0
    seconds["grade"] = time.perf_counter() - t
    print("course cycle seconds:", {k: round(v, 1) for k, v in seconds.items()})

    with (root / "grades.csv").open(newline="", encoding="utf-8") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)
                if row["assignment"] == LAB}
    return {"root": root, "exchange": exchange, "rows": rows, "released": released,
            "seconds": seconds}


def test_config_holds_the_course_settings(cycle):
    config = (cycle["root"] / "nbgrader_config.py").read_text(encoding="utf-8")
    assert "c.FileNameCollectorPlugin.named_regexp" in config
    assert "c.AssignLatePenalties.plugin_class = PerDayPenalty" in config
    assert f"c.Exchange.root = {str(cycle['exchange'].resolve())!r}" in config
    assert cycle["exchange"].stat().st_mode & 0o777 == 0o777


def test_release_reaches_the_exchange(cycle):
    outbound = cycle["exchange"] / labs.COURSE_ID / "outbound" / LAB / f"{LAB}.ipynb"
    assert outbound.is_file(), cycle["released"].stderr[-2000:]
    assert helpers.BEGIN not in outbound.read_text(encoding="utf-8")


def test_zip_collect_files_each_submission_with_its_time(cycle):
    for student, (_, when) in SUBMITTED.items():
        folder = cycle["root"] / "submitted" / student / LAB
        assert (folder / f"{LAB}.ipynb").is_file(), student
        stamp = (folder / "timestamp.txt").read_text(encoding="utf-8")
        assert stamp.startswith(when.strftime("%Y-%m-%d %H:%M:%S")), stamp


def test_export_carries_the_roster(cycle):
    rows = cycle["rows"]
    assert set(rows) == {student for student, *_ in ROSTER}, sorted(rows)
    for student, first, last, email in ROSTER:
        row = rows[student]
        assert (row["first_name"], row["last_name"], row["email"]) == (first, last, email)
        assert row["duedate"].startswith("2027-02-12 17:00:00")


def test_scores_and_late_penalty(cycle):
    rows = cycle["rows"]
    source = helpers.read_nb(labs.LABS_DIR / f"{LAB}.ipynb")
    total = helpers.stated_total(source)
    points = helpers.graded_points(source)
    partial = sum(points[gid] for gid in helpers.PARTIAL[LAB].passes)
    expected = {  # student -> (raw score, penalty, score)
        "s001": (total, 0.0, total),
        "s002": (partial, partial * LATE_RATE * 2, partial * (1 - 2 * LATE_RATE)),
        "s003": (0.0, 0.0, 0.0),                      # nothing handed in
    }
    for student, (raw, penalty, final) in expected.items():
        row = rows[student]
        got = (float(row["raw_score"]), float(row["late_submission_penalty"]),
               float(row["score"]))
        assert got == pytest.approx((raw, penalty, final)), (student, row)
        assert float(row["max_score"]) == total
    assert 0 < float(rows["s002"]["score"]) < float(rows["s002"]["raw_score"])


def test_feedback_pages_are_generated(cycle):
    """One HTML page per submission, to hand back through the learning-management system
    (``nbgrader release_feedback`` serves only submissions that came through the exchange)."""
    for student in SUBMITTED:
        page = cycle["root"] / "feedback" / student / LAB / f"{LAB}.html"
        assert page.is_file(), student
        assert "Task 1" in page.read_text(encoding="utf-8")
    assert not (cycle["root"] / "feedback" / "s003").exists()
