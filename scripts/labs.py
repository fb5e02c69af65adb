"""Release and grade the book's nbgrader labs (book/labs/*.ipynb).

    python scripts/labs.py release [--out release] [LAB ...]   # what `make labs` runs
    python scripts/labs.py course DIR [LAB ...] [--roster students.csv] [--due LAB=WHEN ...]
                          [--late-penalty 0.1] [--exchange /srv/nbgrader/exchange]
    python scripts/labs.py grade DIR LAB                        # collect, grade, feed back, export

``release`` runs ``nbgrader generate_assignment --force`` for every lab in a throwaway course
directory (sqlite gradebook inside it) and copies the student versions to ``--out``:
``release/<lab>/<lab>.ipynb``, with every ``### BEGIN SOLUTION`` region replaced by a
``raise NotImplementedError()`` stub, hidden tests removed, outputs cleared and the test
cells locked. Nothing is written into the repository except ``--out``.

``course DIR`` makes the folder nbgrader expects (``DIR/source/<lab>/<lab>.ipynb`` and
``DIR/nbgrader_config.py``) so that an instructor can run nbgrader's own commands there;
book/appendix_instructors.md walks through them. It also generates the labs (so the gradebook
knows them), and, when asked: imports the class list (``--roster``, a CSV with the columns
``id, first_name, last_name, email``: ``nbgrader db student import``), sets due dates
(``--due lab1_neuron="2027-02-12 17:00 UTC"``: ``nbgrader db assignment add --duedate``),
a late penalty (``--late-penalty 0.1``: 10% of the score per started day late, written into
the config as a ``LateSubmissionPlugin``) and the exchange folder of a JupyterHub
(``--exchange DIR``: created world-writable, as nbgrader's exchange needs, and set as
``Exchange.root``). The config always holds ``FileNameCollectorPlugin.named_regexp`` for
``nbgrader zip_collect``, matching the file names of a learning-management system's
"download all submissions" (see ``LMS_NAME``).

``grade DIR LAB`` runs one lab's grading cycle: ``zip_collect`` (when
``DIR/downloaded/LAB/archive`` holds a download), ``autograde``, ``generate_feedback`` and
``export`` to ``DIR/grades.csv``, all with ``--force``.

Every lab is an assignment whose id is the notebook's name (``lab1_neuron``) and which holds
one notebook of the same name. The functions below are also what tests/test_labs.py uses.
nbgrader itself runs as ``python -m nbgrader`` with this interpreter (its ``python3`` kernel
is then this environment's, mmlearn included), and with Jupyter's config, data and runtime
folders inside the course directory, so neither a user's ~/.jupyter settings nor their
kernels change a grade, and the kernels' connection files do not land in the home folder.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LABS_DIR = REPO / "book" / "labs"
COURSE_ID = "mmlearn"
# Seconds one cell may run while autograding (a student's infinite loop is interrupted then).
CELL_TIMEOUT = 60

CONFIG_TEMPLATE = '''\
"""nbgrader settings of the mmlearn labs course (written by scripts/labs.py)."""

import os

c = get_config()  # noqa: F821  (nbgrader provides get_config)

# The course directory is the folder of this file (so it can be moved), with its gradebook.
root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = root
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(root, "gradebook.db")
# Seconds a cell may run while autograding; a cell still running then (an infinite loop)
# is interrupted, shows a CellTimeoutError and the rest of the notebook is graded.
c.ExecutePreprocessor.timeout = {timeout}
# A student who deletes a test cell gets it back (with a note) and graded as usual.
c.OverwriteCells.add_missing_cells = True

# `nbgrader zip_collect LAB`: submissions downloaded from a learning-management system, put
# (zipped or not) in downloaded/LAB/archive/, named <lab>_<student id>_attempt_<time>_<file>,
# e.g. lab1_neuron_s001_attempt_20270212T165900Z_lab1_neuron.ipynb (the time in UTC, ISO 8601
# basic format: nbgrader misreads 2027-02-12-16-59-00 as 16:00). The expression sees the whole
# path of each extracted file, hence the leading ".*".
c.FileNameCollectorPlugin.named_regexp = {lms_regexp!r}
{late}{exchange}'''

LATE_TEMPLATE = '''
# Late submissions (due dates: `nbgrader db assignment add LAB --duedate=...`): the penalty
# is {rate:g} of the score per started day late, up to the whole score.
import math  # noqa: E402

from nbgrader.plugins import LateSubmissionPlugin  # noqa: E402


class PerDayPenalty(LateSubmissionPlugin):
    rate = {rate!r}

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        days = math.ceil(total_seconds_late / 86400)
        return min(score, score * self.rate * days)


c.AssignLatePenalties.plugin_class = PerDayPenalty
'''

EXCHANGE_TEMPLATE = '''
# The exchange of a JupyterHub (release_assignment, fetch, submit, collect, release_feedback).
c.Exchange.root = {root!r}
'''

# The file names of a learning-management system's "download all submissions" (Blackboard's
# scheme, which nbgrader's documentation uses too), with the time in UTC in ISO 8601's basic
# format: LMS_NAME.format(lab=..., student=..., when=datetime) makes one.
LMS_NAME = "{lab}_{student}_attempt_{when:%Y%m%dT%H%M%SZ}_{lab}.ipynb"
LMS_REGEXP = (r".*_(?P<student_id>[A-Za-z0-9]+)_attempt_(?P<timestamp>[0-9]{8}T[0-9]{6}Z?)"
              r"_(?P<file_id>[^/]+\.ipynb)$")


def lab_ids(labs_dir: Path = LABS_DIR) -> list[str]:
    """Names of the lab notebooks (``lab1_neuron``, ...), in order."""
    return sorted(p.stem for p in labs_dir.glob("lab*.ipynb"))


def _check_labs(labs: Iterable[str] | None, labs_dir: Path) -> list[str]:
    known = lab_ids(labs_dir)
    if labs is None:
        return known
    labs = list(labs)
    unknown = [lab for lab in labs if lab not in known]
    if unknown:
        raise ValueError(f"unknown lab {unknown[0]!r}; the labs in {labs_dir} are {known}")
    return labs


def write_config(root: Path, timeout: int = CELL_TIMEOUT, *, late_penalty: float | None = None,
                 exchange: Path | None = None) -> Path:
    """Write ``root/nbgrader_config.py``: course id, sqlite gradebook in ``root``, timeout,
    zip_collect's file-name pattern, and optionally a late penalty (a fraction of the score
    per started day late) and the exchange folder."""
    root = Path(root).resolve()
    if late_penalty is not None and not 0 < late_penalty <= 1:
        raise ValueError(f"late penalty must be a fraction of the score in (0, 1] per day, "
                         f"got {late_penalty}")
    late = "" if late_penalty is None else LATE_TEMPLATE.format(rate=float(late_penalty))
    ex = "" if exchange is None else EXCHANGE_TEMPLATE.format(root=str(Path(exchange).resolve()))
    path = root / "nbgrader_config.py"
    path.write_text(CONFIG_TEMPLATE.format(course_id=COURSE_ID, timeout=int(timeout),
                                           lms_regexp=LMS_REGEXP, late=late, exchange=ex),
                    encoding="utf-8")
    return path


def setup_exchange(path: Path) -> Path:
    """Create a JupyterHub exchange folder as nbgrader needs it: readable and writable by
    every user (``chmod ugo+rwx``), since students' own accounts submit into it."""
    path = Path(path).resolve()
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o777)
    return path


def make_course(root: Path, labs: Iterable[str] | None = None, *,
                timeout: int = CELL_TIMEOUT, labs_dir: Path = LABS_DIR,
                late_penalty: float | None = None, exchange: Path | None = None) -> Path:
    """Create (or refresh) a course directory at ``root``: ``source/<lab>/<lab>.ipynb`` for
    each lab (all by default) and ``nbgrader_config.py`` (see ``write_config``; an
    ``exchange`` folder is created too). Returns ``root``."""
    labs = _check_labs(labs, labs_dir)
    root = Path(root).resolve()
    for lab in labs:
        dest = root / "source" / lab
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy2(labs_dir / f"{lab}.ipynb", dest / f"{lab}.ipynb")
    if exchange is not None:
        setup_exchange(exchange)
    write_config(root, timeout, late_penalty=late_penalty, exchange=exchange)
    return root


def import_roster(root: Path, csv_path: Path) -> None:
    """``nbgrader db student import CSV``: the class list (columns ``id`` and optionally
    ``first_name, last_name, email``), so that grades carry names and e-mail addresses."""
    csv_path = Path(csv_path).resolve()
    if not csv_path.is_file():
        raise ValueError(f"roster {csv_path} does not exist")
    nbgrader(root, "db", "student", "import", str(csv_path))


def set_due_date(root: Path, lab: str, when: str) -> None:
    """``nbgrader db assignment add LAB --duedate=WHEN`` (e.g. "2027-02-12 17:00:00 UTC").
    Submissions timestamped later are late, and the late penalty applies."""
    nbgrader(root, "db", "assignment", "add", lab, f"--duedate={when}")


def grade(root: Path, lab: str, csv_path: Path | None = None) -> Path:
    """One lab's grading cycle in the course directory ``root``: ``zip_collect`` (when
    ``downloaded/<lab>/archive`` exists), ``autograde``, ``generate_feedback`` (HTML in
    ``feedback/<student>/<lab>/``) and ``export`` of every grade to ``csv_path``
    (default ``root/grades.csv``), each with ``--force``. Returns the CSV's path."""
    root = Path(root).resolve()
    if (root / "downloaded" / lab / "archive").is_dir():
        nbgrader(root, "zip_collect", lab, "--force")
    nbgrader(root, "autograde", lab, "--force")
    nbgrader(root, "generate_feedback", lab, "--force")
    csv_path = root / "grades.csv" if csv_path is None else Path(csv_path).resolve()
    nbgrader(root, "export", "--to", str(csv_path))
    return csv_path


def isolated_env(root: Path) -> dict[str, str]:
    """The environment nbgrader runs in: Jupyter's and IPython's folders inside ``root``."""
    root = Path(root).resolve()
    env = dict(os.environ)
    home = root / ".jupyter-home"
    env.update({
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",   # quiets a debugger warning in every kernel
    })
    # nbgrader runs the `alembic` command (its gradebook migrations) from PATH: put this
    # environment's bin/ first, as an activated virtual environment would.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    for name in ("config", "data", "runtime", "ipython"):
        (home / name).mkdir(parents=True, exist_ok=True)
    return env


def nbgrader(root: Path, *args: str, check: bool = True,
             timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m nbgrader ARGS`` in the course directory ``root``.

    Returns the finished process (stdout and stderr captured as text). With ``check``, a
    non-zero exit raises ``RuntimeError`` carrying nbgrader's log.
    """
    root = Path(root).resolve()
    if importlib.util.find_spec("nbgrader") is None:
        raise RuntimeError(f"nbgrader is not installed in {sys.prefix}; install the book's "
                           "requirements (make setup), which include nbgrader>=0.9.6,<0.10")
    cmd = [sys.executable, "-m", "nbgrader", *args]
    proc = subprocess.run(cmd, cwd=root, env=isolated_env(root), capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"`nbgrader {' '.join(args)}` exited with {proc.returncode}:\n"
                           f"{proc.stdout}\n{proc.stderr}")
    return proc


def generate(root: Path, labs: Sequence[str] | None = None) -> None:
    """``nbgrader generate_assignment --force``: the student versions go to
    ``root/release/<lab>/`` and the gradebook learns each lab's test cells and points.

    ``labs=None`` generates every assignment in ``root/source`` in one nbgrader run (nbgrader
    takes a few seconds to start, so one run for all is the quick way).
    """
    for lab in ["*"] if labs is None else labs:
        nbgrader(root, "generate_assignment", lab, "--force")


def release(out: Path, labs: Iterable[str] | None = None, *, course: Path | None = None,
            labs_dir: Path = LABS_DIR) -> list[Path]:
    """Student versions of the labs in ``out/<lab>/<lab>.ipynb`` (replacing earlier ones).

    The course directory is a temporary folder, removed afterwards, unless ``course`` names
    a folder to make it in and keep (with its gradebook, ready for autograding). Returns the
    released notebooks' paths.
    """
    labs = _check_labs(labs, labs_dir)
    out = Path(out).resolve()
    with tempfile.TemporaryDirectory(prefix="mmlearn-labs-") as tmp:
        root = make_course(Path(tmp) / "course" if course is None else course, labs,
                           labs_dir=labs_dir)
        if (root / "source").exists():
            stale = sorted(p.name for p in (root / "source").iterdir() if p.name not in labs)
            if stale:
                raise ValueError(f"course directory {root} holds other assignments too "
                                 f"({', '.join(stale)}); give an empty or new folder")
        generate(root)
        written = []
        for lab in labs:
            dest = out / lab
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(root / "release" / lab, dest)
            written.append(dest / f"{lab}.ipynb")
    return written


def _due(item: str) -> tuple[str, str]:
    lab, sep, when = item.partition("=")
    if not sep or not lab or not when.strip():
        raise ValueError(f"--due takes LAB=WHEN, e.g. lab1_neuron=\"2027-02-12 17:00:00 UTC\", "
                         f"got {item!r}")
    return lab, when.strip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_release = sub.add_parser("release", help="write the student versions of the labs")
    p_release.add_argument("--out", type=Path, default=REPO / "release",
                           help="folder for the student notebooks (default: release/)")
    p_release.add_argument("--course", type=Path, default=None,
                           help="make the course directory (gradebook included) here and keep "
                                "it, instead of a temporary one")
    p_release.add_argument("labs", nargs="*", help="lab names (default: all)")
    p_course = sub.add_parser("course", help="set up a course directory for nbgrader")
    p_course.add_argument("dir", type=Path, help="the course directory to create")
    p_course.add_argument("labs", nargs="*", help="lab names (default: all)")
    p_course.add_argument("--timeout", type=int, default=CELL_TIMEOUT,
                          help=f"seconds per cell when autograding (default {CELL_TIMEOUT})")
    p_course.add_argument("--roster", type=Path, default=None,
                          help="class list to import: a CSV with columns id, first_name, "
                               "last_name, email")
    p_course.add_argument("--due", action="append", default=[], metavar="LAB=WHEN",
                          help='a due date, e.g. lab1_neuron="2027-02-12 17:00:00 UTC" '
                               "(repeat for more labs)")
    p_course.add_argument("--late-penalty", type=float, default=None, metavar="FRACTION",
                          help="fraction of the score lost per started day late, e.g. 0.1")
    p_course.add_argument("--exchange", type=Path, default=None,
                          help="the JupyterHub exchange folder (created world-writable)")
    p_grade = sub.add_parser("grade", help="collect, autograde, feed back and export one lab")
    p_grade.add_argument("dir", type=Path, help="the course directory")
    p_grade.add_argument("lab", help="the lab to grade")
    p_grade.add_argument("--to", type=Path, default=None,
                         help="the grade CSV (default: DIR/grades.csv)")
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            for path in release(args.out, args.labs or None, course=args.course):
                print(f"released {path}")
        elif args.command == "grade":
            print(f"grades written to {grade(args.dir, args.lab, args.to)}")
        else:
            due = dict(_due(item) for item in args.due)
            labs = _check_labs(args.labs or None, LABS_DIR)
            stray = [lab for lab in due if lab not in labs]
            if stray:
                raise ValueError(f"--due names {stray[0]!r}, which is not among the course's "
                                 f"labs {labs}")
            root = make_course(args.dir, labs, timeout=args.timeout,
                               late_penalty=args.late_penalty, exchange=args.exchange)
            generate(root)
            if args.roster is not None:
                import_roster(root, args.roster)
            for lab, when in due.items():
                set_due_date(root, lab, when)
            print(f"course directory ready: {root}\n"
                  f"next, with this environment activated (source {Path(sys.executable).parent}"
                  f"/activate), see book/appendix_instructors.md:\n  cd {root} && "
                  f"nbgrader zip_collect {(args.labs or lab_ids())[0]} --force")
    except (ValueError, RuntimeError) as err:
        print(f"labs.py: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
