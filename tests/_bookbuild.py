"""Build the book once per test session, offline, from the committed notebook outputs.

Shared by tests/test_book_build.py (what the HTML contains) and tests/test_browser_book.py
(how it behaves in Chromium); `build_book()` is cached, so the two modules share one build.
Not a test module (no ``test_`` prefix); both import it from this folder.

The build:

* renders the outputs committed in the notebooks (``execute_notebooks: off`` through a config
  written by scripts/book_config.py): nbval has already executed and compared every notebook
  in the same `make test`, so the book is not executed a second time;
* runs ``jupyter-book build ROOT --path-output TMP -W -n --keep-going``: any warning fails it;
* runs in a network namespace of its own (``unshare -n``, or ``unshare -rn`` where only user
  namespaces are allowed), so a passing build proves the book builds with no network at all.
  In CI (``CI`` set) that is required; elsewhere the build runs normally when namespaces are
  not permitted, and `test_build_ran_without_network` says so.

* then builds the Chinese edition the same way (scripts/book_zh.py ``--execute off``, also
  under the namespace) into ``zh/`` of the same HTML root, as `make book` does.

``MMLEARN_BOOK_ROOT`` builds another book folder (one with _config.yml, _toc.yml and _vendor/)
instead of the repository: handy for trying the pipeline on a throwaway book.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
ROOT = Path(os.environ.get("MMLEARN_BOOK_ROOT", REPO)).resolve()
VENDOR_STAMP = "vendor-versions.txt"  # written last by scripts/vendor_assets.sh
BUILD_TIMEOUT_S = 900
ZH_FOLDER = "zh"


@dataclass(frozen=True)
class BookBuild:
    html: Path          # the built HTML root (index.html, book/..., mathjax/, widgets/)
    returncode: int
    log: str            # stdout + stderr of jupyter-book
    netns: tuple[str, ...] | None   # the unshare prefix the build ran under, None if none
    seconds: float
    zh_returncode: int | None       # the Chinese edition's build (None: not tried, as the
    zh_log: str                     # English one failed)
    zh_seconds: float

    @property
    def zh(self) -> Path:
        """The Chinese edition's HTML root."""
        return self.html / ZH_FOLDER

    def tail(self, lines: int = 60, log: str | None = None) -> str:
        return "\n".join((self.log if log is None else log).splitlines()[-lines:])


def toc_files(root: Path = ROOT) -> list[str]:
    """Every document of _toc.yml, in reading order, as written there (no suffix)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files: list[str] = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key, []))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return [str(Path(f).with_suffix("")) for f in files]


def source_of(doc: str, root: Path = ROOT) -> Path:
    """The source file of a toc entry (``book/04_neuron_math`` -> ``.ipynb`` or ``.md``)."""
    for suffix in (".ipynb", ".md", ".rst"):
        path = root / f"{doc}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"_toc.yml lists {doc!r}, but no {doc}.ipynb/.md/.rst exists")


def netns_prefix() -> tuple[str, ...] | None:
    """The first of ``unshare -n`` / ``unshare -rn`` that works here, else None."""
    if shutil.which("unshare") is None:
        return None
    for prefix in (("unshare", "-n"), ("unshare", "-rn")):
        probe = subprocess.run([*prefix, "true"], capture_output=True)
        if probe.returncode == 0:
            return prefix
    return None


def interfaces_under(prefix: tuple[str, ...]) -> list[str]:
    """Network interfaces a process started under ``prefix`` sees (only 'lo' when cut off)."""
    code = "import socket; print(' '.join(sorted(n for _, n in socket.if_nameindex())))"
    out = subprocess.run([*prefix, sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return out.stdout.split()


@functools.cache
def build_book() -> BookBuild:
    """Build the book (once per process) into a temporary folder removed at exit."""
    vendor = ROOT / "_vendor"
    if not (vendor / VENDOR_STAMP).exists():
        raise RuntimeError(
            f"{vendor} is missing or incomplete: run `make vendor` (or `make test`, which does it) "
            "to fetch MathJax and the widget manager with npm"
        )
    out = Path(tempfile.mkdtemp(prefix="mmlearn-book-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    config = out / "_config.test.yml"
    subprocess.run([sys.executable, str(REPO / "scripts" / "book_config.py"),
                    "--source", str(ROOT / "_config.yml"), "--execute", "off",
                    "-o", str(config)], check=True)
    prefix = netns_prefix()
    if prefix is None and os.environ.get("CI"):
        raise RuntimeError("CI must prove the offline build, but `unshare -n` is not permitted")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    cmd = [*(prefix or ()), "timeout", str(BUILD_TIMEOUT_S), str(jupyter_book), "build",
           str(ROOT), "--path-output", str(out), "--config", str(config),
           "-W", "-n", "--keep-going"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    html = out / "_build" / "html"
    zh = (None, "", 0.0) if proc.returncode != 0 else build_chinese(html, config, prefix)
    return BookBuild(html=html, returncode=proc.returncode, log=proc.stdout + proc.stderr,
                     netns=prefix, seconds=seconds, zh_returncode=zh[0], zh_log=zh[1],
                     zh_seconds=zh[2])


def build_chinese(html: Path, config: Path,
                  prefix: tuple[str, ...] | None) -> tuple[int, str, float]:
    """The Chinese edition of the same committed outputs into ``html/zh``: exit status, log,
    seconds."""
    cmd = [*(prefix or ()), "timeout", str(BUILD_TIMEOUT_S), sys.executable,
           str(REPO / "scripts" / "book_zh.py"), "--html", str(html), "--source", str(config),
           "--book", str(ROOT), "--execute", "off"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr, time.perf_counter() - start
