"""Release and grade the book's nbgrader labs (book/labs/*.ipynb).

    python scripts/labs.py release [--out release] [LAB ...]   # what `make labs` runs
    python scripts/labs.py course DIR [LAB ...]                 # a course folder to teach from

``release`` runs ``nbgrader generate_assignment --force`` for every lab in a throwaway course
directory (sqlite gradebook inside it) and copies the student versions to ``--out``:
``release/<lab>/<lab>.ipynb``, with every ``### BEGIN SOLUTION`` region replaced by a
``raise NotImplementedError()`` stub, hidden tests removed, outputs cleared and the test
cells locked. Nothing is written into the repository except ``--out``.

``course DIR`` makes the folder nbgrader expects (``DIR/source/<lab>/<lab>.ipynb`` and
``DIR/nbgrader_config.py``) so that an instructor can run nbgrader's own commands there;
book/appendix_instructors.md walks through them.

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
'''


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


def write_config(root: Path, timeout: int = CELL_TIMEOUT) -> Path:
    """Write ``root/nbgrader_config.py`` (course id, sqlite gradebook in ``root``, timeout)."""
    root = Path(root).resolve()
    path = root / "nbgrader_config.py"
    path.write_text(CONFIG_TEMPLATE.format(course_id=COURSE_ID, timeout=int(timeout)),
                    encoding="utf-8")
    return path


def make_course(root: Path, labs: Iterable[str] | None = None, *,
                timeout: int = CELL_TIMEOUT, labs_dir: Path = LABS_DIR) -> Path:
    """Create (or refresh) a course directory at ``root``: ``source/<lab>/<lab>.ipynb`` for
    each lab (all by default) and ``nbgrader_config.py``. Returns ``root``."""
    labs = _check_labs(labs, labs_dir)
    root = Path(root).resolve()
    for lab in labs:
        dest = root / "source" / lab
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy2(labs_dir / f"{lab}.ipynb", dest / f"{lab}.ipynb")
    write_config(root, timeout)
    return root


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
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            for path in release(args.out, args.labs or None, course=args.course):
                print(f"released {path}")
        else:
            root = make_course(args.dir, args.labs or None, timeout=args.timeout)
            print(f"course directory ready: {root}\n"
                  f"next, with this environment activated (source {Path(sys.executable).parent}"
                  f"/activate):\n  cd {root} && nbgrader generate_assignment "
                  f"{(args.labs or lab_ids())[0]} --force")
    except (ValueError, RuntimeError) as err:
        print(f"labs.py: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
