"""The PDF book (`make pdf`) and a lab's PDF handout (`make labs`), read back with poppler.

scripts/book_pdf.py builds the book as one HTML page (Jupyter Book's singlehtml builder, from
the committed notebook outputs: no execution) and prints it with headless Chromium, offline:
every request off 127.0.0.1 is refused. The PDF is built once for this module, then read
with Debian's poppler-utils (`pdftotext`, `pdfimages`, `pdffonts`, `pdfinfo`; .ci/run and
`make test` install them through scripts/system_deps.sh). Where they are missing the tests
skip and name the package. A copy of the PDF is left in artifacts/book.pdf (gitignored).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from _bookbuild import REPO, ROOT, source_of, toc_files

pytestmark = [pytest.mark.book, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
POPPLER = ("pdftotext", "pdfimages", "pdffonts", "pdfinfo")
ARTIFACTS = REPO / "artifacts"
DOCS = toc_files()


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"mmlearn_{name}",
                                                  REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


book_pdf = _load("book_pdf")


def _need_tools() -> None:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not found: install Debian's poppler-utils "
                    "(apt-get install poppler-utils; scripts/system_deps.sh test does it)")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: `apt-get install chromium` (.ci/run does it)")
    if not (ROOT / "_vendor" / "mathjax" / "tex-chtml-full.js").exists():
        pytest.fail("_vendor/ is missing: run `make vendor` (make test does it)")


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def title_of(doc: str) -> str:
    """The first '# ' heading of a toc document, as its source writes it."""
    path = source_of(doc)
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        lines = [line for cell in cells if cell["cell_type"] == "markdown"
                 for line in "".join(cell["source"]).splitlines()]
    else:
        lines = path.read_text(encoding="utf-8").splitlines()
    title = next((line[2:] for line in lines if line.startswith("# ")), None)
    assert title, f"{path} has no '# ' title"
    return title


def squeeze(text: str) -> str:
    """Text without whitespace, Markdown marks or typographic quotes, for comparing titles
    with what pdftotext reads (which breaks lines and spaces inline code its own way)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)   # [text](link) -> text
    text = text.translate(str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"',
                                         "\u201d": '"', "`": None, "*": None}))
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def pdf(tmp_path_factory) -> dict:
    _need_tools()
    work = tmp_path_factory.mktemp("pdf")
    out = work / "book.pdf"
    report = book_pdf.make_book_pdf(out, work / "site", ROOT)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(out, ARTIFACTS / "book.pdf")
    info = _run("pdfinfo", str(out))
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    print(f"\nPDF book: {pages} pages, build {report['build_s']:.0f} s, "
          f"print {report['print_s']:.0f} s")
    return {"path": out, "report": report, "pages": pages,
            "text": _run("pdftotext", "-enc", "UTF-8", str(out), "-")}


def test_printed_offline_without_problems(pdf):
    """No request left the machine or failed, every widget with a saved state was drawn,
    every formula was typeset."""
    assert not pdf["report"]["problems"], "\n".join(pdf["report"]["problems"])


def test_page_count_is_plausible(pdf):
    assert 4 * len(DOCS) <= pdf["pages"] <= 2000, f"{pdf['pages']} pages"


def test_every_chapter_and_appendix_in_toc_order(pdf):
    """Each toc document's title is in the text, the chapters' after the contents, in the
    toc's order; the contents list them all with page numbers."""
    text = squeeze(pdf["text"])
    contents = text.find("Contents")
    assert contents >= 0, "no table of contents"
    position = contents
    for doc in DOCS:
        title = squeeze(title_of(doc))
        found = text.find(title, position + 1)
        assert found > position, f"{doc}: title {title_of(doc)!r} missing or out of order"
        position = found
    report = pdf["report"]
    assert report["numbered"] == report["headings"], "contents entries without a page number"


def test_numbered_chapters_and_sections(pdf):
    text = pdf["text"]
    assert re.search(r"^1\.\s+\S", text, re.M), "no chapter numbered 1."
    assert re.search(r"^1\.1\.\s+\S", text, re.M), "no section numbered 1.1."


def test_glossary_with_chinese_terms(pdf):
    text = pdf["text"]
    glossary = text.rfind("Glossary")
    assert glossary >= 0, "no glossary"
    assert len(re.findall(r"[\u4e00-\u9fff]", text[glossary:])) > 50, \
        "the glossary's Chinese terms are missing (a CJK font: fonts-wqy-microhei)"


def test_math_is_typeset(pdf):
    """No TeX source left in the text: no \\frac or \\sum, no $...$ holding TeX outside
    code (a plot label in code, f"$\\eta$" or '$w_1$', is quoted and allowed)."""
    text = pdf["text"]
    for command in ("\\frac", "\\sum"):
        assert command not in text, f"raw {command} in the PDF's text"
    raw = re.findall(r"(?<!['\"])\$[^$\n]*[\\^_][^$\n]*\$(?!['\"])", text)
    assert not raw, f"raw $...$ math in the PDF's text: {raw[:5]}"


def test_figures_are_embedded(pdf):
    rows = _run("pdfimages", "-list", str(pdf["path"])).splitlines()[2:]
    assert len(rows) >= 10, f"only {len(rows)} images in the PDF"


def test_fonts_are_embedded(pdf):
    rows = _run("pdffonts", str(pdf["path"])).splitlines()[2:]
    assert rows, "no fonts listed"
    # Columns from the right: emb sub uni object-number generation.
    not_embedded = [row for row in rows if row.split()[-5] != "yes"]
    assert not not_embedded, "fonts not embedded:\n" + "\n".join(not_embedded)


def test_widgets_say_they_are_interactive_online(pdf):
    text = squeeze(pdf["text"])
    if "widget-view+json" not in "".join(source_of(d).read_text(encoding="utf-8")
                                         for d in DOCS):
        pytest.skip("the book has no widgets")
    assert squeeze(book_pdf.ONLINE_NOTE) in text


def test_code_is_monospace_and_wrapped(pdf):
    fonts = _run("pdffonts", str(pdf["path"]))
    assert re.search(r"Mono|Courier", fonts), "no monospace font in the PDF"
    width = max(len(line) for line in _run(
        "pdftotext", "-layout", "-enc", "UTF-8", str(pdf["path"]), "-").splitlines())
    assert width < 200, f"a line of {width} characters: something runs off the page"


def test_lab_handout(tmp_path):
    """One lab's student version (released by scripts/labs.py) printed as a PDF handout."""
    _need_tools()
    if importlib.util.find_spec("nbgrader") is None:
        pytest.fail("nbgrader is not installed (requirements.txt; make setup installs it)")
    labs = _load("labs")
    lab = labs.lab_ids()[0]
    notebook = labs.release(tmp_path / "release", [lab])[0]
    problems: list[str] = []
    written = book_pdf.make_handouts(book_pdf.find_notebooks([tmp_path / "release"]),
                                     problems=problems)
    assert not problems, "\n".join(problems)
    handout = notebook.with_suffix(".pdf")
    assert written == [handout] and handout.exists()
    text = _run("pdftotext", "-enc", "UTF-8", str(handout), "-")
    assert squeeze(book_pdf.notebook_title(notebook)) in squeeze(text)
    assert "NotImplementedError" in text, "the student version's stubs are not in the handout"
    assert "\\frac" not in text and "\\sum" not in text, "math left as TeX in the handout"
