"""Build the Chinese edition into ``zh/`` under the English book's HTML root.

    python scripts/book_zh.py --html _build/html                  # execute the chapters in
                                                                  # Chinese (what `make book` does)
    python scripts/book_zh.py --html OUT/html --execute off       # render the committed outputs
                                                                  # (what the book-build test does)

The edition is the English book's sources built again with ``language: zh_CN``: the page text
comes from the catalogues under ``book/locales/`` (scripts/book_i18n.py), code is shared.
``MMLEARN_LANGUAGE=zh_CN`` is set for the build, so a chapter executed here draws its plots
with Chinese words and its widgets answer in Chinese; with ``--execute off`` the committed
(English) outputs are shown under Chinese prose. The words the chapters' code writes on its
figures (titles, axis labels, legend entries) come from ``figures.po`` beside the page
catalogues: it is compiled into the build's work folder and named by
``MMLEARN_FIGURE_WORDS``, so mmlearn draws them in Chinese too (mmlearn/_i18n.py). The
Chinese pages read MathJax and the widget manager from the English root
(scripts/book_config.py), so the English book must be built first, into the same ``--html``.

Exit status: jupyter-book's. A failed build leaves the previous ``zh/`` as it was.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE = "zh_CN"
EDITION_FOLDER = "zh"
#: The figure words' catalogue, under the book's folder (scripts/book_i18n.py writes it).
FIGURES_PO = Path("book") / "locales" / LANGUAGE / "LC_MESSAGES" / "figures.po"


def compile_figure_words(po: Path, mo: Path) -> Path | None:
    """``po`` compiled to ``mo`` (fuzzy translations left out); None when there is no
    ``po`` (the figures keep their English words)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    if not po.exists():
        print(f"book_zh: no {po}: figure words stay in English", file=sys.stderr)
        return None
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=LANGUAGE)
    with mo.open("wb") as handle:
        write_mo(handle, catalog, use_fuzzy=False)
    return mo


def build(html: Path, execute: str, source: Path, book: Path, extra: list[str]) -> int:
    """Build the Chinese edition of ``book`` and, if that succeeds, put it in ``html/zh``."""
    if not (html / "index.html").exists():
        print(f"book_zh: {html} holds no English book (index.html): build that first",
              file=sys.stderr)
        return 2
    (book / "_build").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="mmlearn-book-zh-", dir=book / "_build"))
    try:
        config = work / "_config.zh.yml"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "book_config.py"),
                        "--source", str(source), "--execute", execute,
                        "--language", LANGUAGE, "-o", str(config)], check=True)
        env = {**os.environ, "MMLEARN_LANGUAGE": LANGUAGE}
        figure_words = compile_figure_words(book / FIGURES_PO, work / "figures.mo")
        if figure_words is not None:
            env["MMLEARN_FIGURE_WORDS"] = str(figure_words)
        jupyter_book = Path(sys.executable).parent / "jupyter-book"
        proc = subprocess.run([str(jupyter_book), "build", str(book), "--config", str(config),
                               "--path-output", str(work), "-W", "-n", "--keep-going", *extra],
                              cwd=book, env=env)
        if proc.returncode != 0:
            return proc.returncode
        target = html / EDITION_FOLDER
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(work / "_build" / "html", target)
        print(f"Chinese edition built: {target / 'index.html'}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, required=True,
                        help="the English book's HTML root; the edition goes to HTML/zh")
    parser.add_argument("--execute", default="force", choices=("force", "off"),
                        help="force: run every chapter in Chinese (default); off: committed "
                             "outputs")
    parser.add_argument("--source", type=Path, default=ROOT / "_config.yml",
                        help="the config the English book was built with")
    parser.add_argument("--book", type=Path, default=ROOT,
                        help="the book's folder (default: this repository)")
    args, extra = parser.parse_known_args(argv)
    return build(args.html.resolve(), args.execute, args.source.resolve(), args.book.resolve(),
                 extra)


if __name__ == "__main__":
    sys.exit(main())
