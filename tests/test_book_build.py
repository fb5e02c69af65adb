"""The book builds offline, with no warning, from the committed notebook outputs, and every page
it produces loads only what lies beside it: no script, stylesheet, font or image from a CDN.

One build per session (tests/_bookbuild.py, shared with tests/test_browser_book.py), under
``unshare -n`` where permitted: see that module for how it is made.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from _bookbuild import ROOT, BookBuild, build_book, interfaces_under, source_of, toc_files

pytestmark = pytest.mark.book

# Tags whose attributes the browser fetches by itself (an <a href> is only followed on a click).
FETCHED = {
    "script": ("src",), "link": ("href",), "img": ("src", "srcset"), "iframe": ("src",),
    "source": ("src", "srcset"), "video": ("src", "poster"), "audio": ("src",),
    "track": ("src",), "embed": ("src",), "object": ("data",), "input": ("src",),
}
NOT_A_FILE = ("data:", "blob:", "javascript:", "mailto:", "about:")
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MATHJAX = "mathjax/tex-chtml-full.js"
WIDGETS_JS = "widgets/embed.js"


def off_machine(url: str) -> bool:
    """True for a URL that leaves the machine: any scheme with a host, or protocol-relative."""
    url = url.strip()
    return url.startswith("//") or bool(urlsplit(url).netloc)


class Page(HTMLParser):
    """What a built page fetches, its text (outside <script>/<style>) and its prose (the text
    outside <pre> and <code> too)."""

    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.fetched: list[tuple[str, str]] = []       # (tag, url)
        self.scripts: list[str] = []                   # src of every <script src>
        self.inline_css: list[str] = []
        self.text: list[str] = []
        self.prose: list[str] = []
        self._skip = 0
        self._code = 0
        self._in_style = False
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in FETCHED.get(tag, ()):
            value = attrs.get(name)
            if not value:
                continue
            urls = [part.split()[0] for part in value.split(",") if part.strip()] \
                if name == "srcset" else [value]
            self.fetched += [(tag, url) for url in urls]
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        if attrs.get("style"):
            self.inline_css.append(attrs["style"])
        if tag in ("script", "style"):
            self._skip += 1
            self._in_style = tag == "style"
        elif tag in ("pre", "code"):
            self._code += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
            self._in_style = False
        elif tag in ("pre", "code") and self._code:
            self._code -= 1

    def handle_data(self, data):
        if self._in_style:
            self.inline_css.append(data)
        elif not self._skip:
            self.text.append(data)
            if not self._code:
                self.prose.append(data)

    def resolve(self, url: str, html_root: Path) -> Path | None:
        """The file a relative URL points to (None for data:, #anchors, ...)."""
        if url.startswith(NOT_A_FILE) or url.startswith("#"):
            return None
        path = urlsplit(url).path
        if not path:
            return None
        if path.startswith("/"):
            return html_root / path.lstrip("/")
        return (self.path.parent / path).resolve()


@pytest.fixture(scope="module")
def book() -> BookBuild:
    return build_book()


@pytest.fixture(scope="module")
def built(book) -> BookBuild:
    """The build, which must have succeeded for the checks on its HTML to mean anything."""
    if book.returncode != 0:
        pytest.fail(f"the book build failed (exit {book.returncode}):\n{book.tail()}")
    return book


@pytest.fixture(scope="module")
def pages(built) -> dict[Path, Page]:
    """Every page of the build, both editions (not the theme's Jinja templates that sit in
    each edition's _static/, nor the HTML that ships inside the vendored packages)."""
    skip = [built.html / folder for folder in ("mathjax", "widgets")]
    return {path: Page(path) for path in sorted(built.html.rglob("*.html"))
            if not any(path.is_relative_to(folder) for folder in skip)
            and "_static" not in path.relative_to(built.html).parts}


def test_book_builds_with_no_warning(book):
    """`jupyter-book build -W -n --keep-going`: a warning anywhere (a broken reference, a
    missing toc file, a bad citation, an unknown directive) fails the build."""
    assert book.returncode == 0, f"exit {book.returncode}:\n{book.tail()}"
    assert "build succeeded" in book.log
    assert "WARNING" not in book.log, book.tail()
    print(f"book built in {book.seconds:.1f} s under {' '.join(book.netns or ('no netns',))}")


def test_build_ran_without_network(book):
    """The build ran in a network namespace with no interface but loopback: it needs nothing
    from the network. Required in CI; elsewhere only where namespaces are permitted."""
    if book.netns is None:
        assert not os.environ.get("CI"), "CI must build the book under unshare -n"
        pytest.skip("unshare -n / -rn not permitted here: offline build not proven on this machine")
    assert interfaces_under(book.netns) == ["lo"]


def test_committed_outputs_are_rendered_not_reexecuted(built):
    """The test build renders the outputs stored in each notebook: nothing is executed (nbval
    has run the notebooks in the same session), and stored stdout appears on the page."""
    assert "Executing notebook" not in built.log and "Executing:" not in built.log
    for doc in toc_files():
        source = source_of(doc)
        if source.suffix != ".ipynb":
            continue
        nb = json.loads(source.read_text(encoding="utf-8"))
        page = Page(built.html / f"{doc}.html")
        text = "".join(page.text)
        for cell in nb["cells"]:
            tags = cell.get("metadata", {}).get("tags", [])
            if cell["cell_type"] != "code" or {"remove-output", "remove-cell"} & set(tags):
                continue
            for output in cell.get("outputs", []):
                if output["output_type"] != "stream":
                    continue
                stream = "".join(output["text"])
                lines = [line.strip() for line in stream.splitlines()
                         if line.strip() and "\x1b" not in line and "\r" not in line]
                for line in lines[:3]:
                    assert line in text, f"{doc}: stored output line {line!r} not on the page"


def test_every_toc_document_is_a_page(built):
    missing = [doc for doc in toc_files() if not (built.html / f"{doc}.html").is_file()]
    assert not missing, f"toc documents with no HTML page: {missing}"
    assert (built.html / "index.html").is_file()


def test_no_page_fetches_anything_from_off_the_machine(built, pages):
    """No <script src>, <link href>, <img src>, ... nor CSS url()/@import points off the
    machine, on any page or in any stylesheet of the build (links in <a> are fine)."""
    offenders = []
    for path, page in pages.items():
        rel = path.relative_to(built.html)
        offenders += [f"{rel}: <{tag}> {url}" for tag, url in page.fetched if off_machine(url)]
        for css in page.inline_css:
            offenders += [f"{rel}: inline CSS {url}" for url in CSS_URL.findall(css)
                          if off_machine(url)]
    for css_file in built.html.rglob("*.css"):
        css = css_file.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{css_file.relative_to(built.html)}: {url}"
                      for url in CSS_URL.findall(css) if off_machine(url)]
    assert not offenders, "fetched from off the machine:\n" + "\n".join(offenders)


def test_every_local_asset_a_page_fetches_exists(built, pages):
    broken = []
    for path, page in pages.items():
        for tag, url in page.fetched:
            if off_machine(url):
                continue
            target = page.resolve(url, built.html)
            if target is not None and not target.exists():
                broken.append(f"{path.relative_to(built.html)}: <{tag}> {url}")
    assert not broken, "missing assets:\n" + "\n".join(broken)


def test_mathjax_and_widget_manager_are_served_locally(built, pages):
    """MathJax 3 and the ipywidgets embed manager are copied into the build, and every page
    with math (or with saved widget state) loads them from there."""
    for asset in (MATHJAX, WIDGETS_JS):
        assert (built.html / asset).stat().st_size > 100_000, f"{asset} missing or truncated"
    assert (built.html / "mathjax/output/chtml/fonts/woff-v2").is_dir()
    math_pages = widget_pages = 0
    for path, page in pages.items():
        raw = path.read_text(encoding="utf-8")
        scripts = {page.resolve(src, built.html) for src in page.scripts}
        if 'class="math' in raw:
            math_pages += 1
            assert (built.html / MATHJAX).resolve() in scripts, f"{path}: math without MathJax"
        if WIDGET_STATE in raw:
            widget_pages += 1
            assert (built.html / WIDGETS_JS).resolve() in scripts, f"{path}: widgets, no manager"
    chapter4 = [doc for doc in toc_files() if Path(doc).name.startswith("04_")]
    assert chapter4, "_toc.yml has no chapter 4 (book/04_neuron_math)"
    assert 'class="math' in (built.html / f"{chapter4[0]}.html").read_text(encoding="utf-8"), \
        "chapter 4 has no math: the seed's formula y = f(sum_i w_i x_i + b) belongs there"
    print(f"{math_pages} pages with math, {widget_pages} with saved widget state")


def test_pages_carry_no_build_machine_paths(built, pages):
    """Nothing from the build machine (its source path, the temporary output folder) leaks
    into a page."""
    leaks = [str(path.relative_to(built.html)) for path in pages
             if str(ROOT) in (text := path.read_text(encoding="utf-8"))
             or str(built.html.parent.parent) in text]
    assert not leaks, f"pages containing local paths: {leaks}"


def test_page_text_has_no_unescaped_markup(built, pages):
    """A MyST/Markdown mistake shows up as literal markup in the prose of a page."""
    bad = re.compile(r"```|:::\{|\{(?:math|cite|ref|doc|numref|eq)\}`")
    offenders = [f"{path.relative_to(built.html)}: {m.group(0)!r}"
                 for path, page in pages.items()
                 for m in [bad.search(html.unescape("".join(page.prose)))] if m]
    assert not offenders, "\n".join(offenders)


# -- the Chinese edition (html/zh/) ------------------------------------------------------------
SWITCH = re.compile(r'<a class="[^"]*book-language-switch[^"]*" href="([^"]+)"')


def edition_pages(root: Path) -> set[str]:
    """The pages of one edition, relative to its root (the other edition's folder, the theme
    and the vendored packages left out)."""
    skip = ("_static/", "mathjax/", "widgets/", "_sources/", "zh/")
    return {rel for path in root.rglob("*.html")
            if not (rel := path.relative_to(root).as_posix()).startswith(skip)}


@pytest.fixture(scope="module")
def built_zh(built) -> BookBuild:
    if built.zh_returncode != 0:
        pytest.fail(f"the Chinese build failed (exit {built.zh_returncode}):\n"
                    f"{built.tail(log=built.zh_log)}")
    return built


def test_chinese_edition_builds_with_no_warning(built):
    """The same sources with language zh_CN, `-W -n --keep-going`: a translation that breaks
    a reference, a role or a formula fails here."""
    assert built.zh_returncode == 0, f"exit {built.zh_returncode}:\n{built.tail(log=built.zh_log)}"
    assert "build succeeded" in built.zh_log
    assert "WARNING" not in built.zh_log, built.tail(log=built.zh_log)
    print(f"Chinese edition built in {built.zh_seconds:.1f} s (English: {built.seconds:.1f} s)")


def test_every_page_has_its_counterpart_in_the_other_language(built_zh):
    english, chinese = edition_pages(built_zh.html), edition_pages(built_zh.zh)
    assert {f"{doc}.html" for doc in toc_files()} <= english
    assert english == chinese, (f"only in English: {sorted(english - chinese)}; "
                                f"only in Chinese: {sorted(chinese - english)}")


def test_the_language_switch_leads_to_the_same_page(built_zh):
    """Every page of each edition links to itself in the other, and the Chinese pages say
    they are Chinese (lang="zh-CN", which also picks CJK fonts and Chinese search)."""
    for doc in toc_files():
        for root, other in ((built_zh.html, built_zh.zh), (built_zh.zh, built_zh.html)):
            page = root / f"{doc}.html"
            text = page.read_text(encoding="utf-8")
            links = SWITCH.findall(text)
            assert len(links) == 1, f"{page}: {len(links)} language switches"
            target = (page.parent / links[0]).resolve()
            assert target == (other / f"{doc}.html").resolve(), f"{page} -> {links[0]}"
        assert '<html lang="zh-CN"' in (built_zh.zh / f"{doc}.html").read_text(encoding="utf-8")
        assert '<html lang="en"' in (built_zh.html / f"{doc}.html").read_text(encoding="utf-8")


def test_chinese_pages_are_in_chinese(built_zh):
    """The prose of every Chinese page is mostly Chinese (a build that silently fell back to
    the English text would pass every other check)."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    latin_word = re.compile(r"[A-Za-z]{3,}")
    for doc in toc_files():
        if doc.endswith("appendix_api"):
            continue  # mostly signatures and docstrings, which stay as help() prints them
        prose = html.unescape(" ".join(Page(built_zh.zh / f"{doc}.html").prose))
        prose = re.sub(r"\$[^$]*\$|\\\(.*?\\\)", " ", prose)
        chinese, english = len(cjk.findall(prose)), len(latin_word.findall(prose))
        assert chinese > english, f"{doc}: {chinese} CJK characters, {english} English words"


def test_chinese_search_index_finds_neuron_in_chapter_4(built_zh):
    """Sphinx's Chinese search (jieba) indexes 神经元 as a word, and chapter 4 has it."""
    raw = (built_zh.zh / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(raw[raw.index("(") + 1:raw.rindex(")")])
    chapter4 = index["docnames"].index(next(d for d in toc_files() if "/04_" in d))
    hits = set(index["titleterms"].get("神经元", [])) | set(index["terms"].get("神经元", []))
    assert chapter4 in hits


def test_the_chinese_catalogues_are_complete_and_consistent():
    """scripts/book_i18n.py check: every page has a catalogue, every English message is in it
    and translated (nothing fuzzy, nothing stale), and each translation keeps the markup of
    its English (code, math, roles, links)."""
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "book_i18n.py"), "check"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_config_variants(tmp_path):
    """scripts/book_config.py: `--execute off` (this test's build) only switches execution off;
    `--cdn` (make book without npm) drops exactly the local-asset settings; both keep the
    local extension loadable from wherever the derived config is written."""
    script = Path(__file__).resolve().parent.parent / "scripts" / "book_config.py"
    source = ROOT / "_config.yml"
    original = yaml.safe_load(source.read_text(encoding="utf-8"))
    variants = {}
    for name, args in {"off": ["--execute", "off"], "cdn": ["--cdn"]}.items():
        out = tmp_path / f"{name}.yml"
        subprocess.run([sys.executable, str(script), "--source", str(source), *args,
                        "-o", str(out)], check=True)
        variants[name] = yaml.safe_load(out.read_text(encoding="utf-8"))

    assert original["execute"]["execute_notebooks"] == "force"
    assert variants["off"]["execute"]["execute_notebooks"] == "off"
    assert variants["cdn"]["execute"] == original["execute"]
    local_assets = {"html_extra_path", "mathjax_path", "nb_ipywidgets_js"}
    assert local_assets <= set(original["sphinx"]["config"])
    assert variants["off"]["sphinx"]["config"] == original["sphinx"]["config"]
    assert set(original["sphinx"]["config"]) - set(variants["cdn"]["sphinx"]["config"]) \
        == local_assets
    for config in variants.values():
        for path in config["sphinx"]["local_extensions"].values():
            assert Path(path).is_absolute() and Path(path).is_dir(), path
