"""The built book in a real browser: every page of the toc loads from 127.0.0.1 alone, with no
failed request and no console error; math is typeset by the local MathJax; saved widgets render.

Headless Debian Chromium (/usr/bin/chromium; `apt-get install chromium`) driven by Playwright's
Python API. Playwright's own browser download (`playwright install`) is never used. Every
request for another host than 127.0.0.1 is blocked and recorded as a failure, so a page that
would reach for a CDN fails here even on a machine with internet. A screenshot of chapter 4
is saved to artifacts/ (gitignored).

The Chinese edition (zh/) is held to the same checks, page by page, and to its own: the
language switch leads to the same page and back, Chinese search finds chapter 4, and its
text is drawn in a CJK font rather than as boxes (artifacts/chapter04_zh.png).
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from _bookbuild import REPO, build_book, toc_files

pytestmark = [pytest.mark.book, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO / "artifacts"
DOCS = toc_files()
EDITIONS = ["", "zh/"]   # the English book's root, and the Chinese edition under it
CHAPTER4 = next((doc for doc in DOCS if Path(doc).name.startswith("04_")), None)

WAIT_FOR_MATHJAX = """async () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        await MathJax.startup.promise;
        return true;
    }
    return false;
}"""
UNTYPESET_MATH = """() => Array.from(document.querySelectorAll('.math'))
    .filter(e => !e.querySelector('mjx-container'))
    .map(e => e.textContent.trim().slice(0, 80))"""
# Text nodes a reader sees as prose (not code, not MathJax's own output) holding raw TeX.
RAW_TEX = r"""() => {
    const skip = 'PRE,CODE,SCRIPT,STYLE,TEXTAREA,MJX-CONTAINER,MJX-ASSISTIVE-MML';
    const tex = /\\(sum|frac|sigma|cdot|mathbf|begin|left|right)\b|\\\(|\\\[|\$\$/;
    const found = [];
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walk.nextNode(); node; node = walk.nextNode()) {
        if (node.parentElement.closest(skip)) continue;
        if (tex.test(node.textContent)) found.push(node.textContent.trim().slice(0, 80));
    }
    return found;
}"""

# What runs off the page at the test's 1280-px window: a code cell, its printed output or a
# display equation wider than the column it sits in (the reader would get a scrollbar).
TOO_WIDE = r"""() => {
    const wide = [];
    const label = (el) => (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 70);
    for (const el of document.querySelectorAll(
            'div.cell div.highlight pre, div.cell_output pre, div.output pre')) {
        if (el.scrollWidth > el.clientWidth + 1)
            wide.push(`code ${el.scrollWidth}px in ${el.clientWidth}px: ${label(el)}`);
    }
    for (const box of document.querySelectorAll('mjx-container[display="true"]')) {
        const math = box.querySelector('mjx-math');
        const column = box.closest('div.math, section, article') || box.parentElement;
        if (math && math.getBoundingClientRect().width > column.clientWidth + 1)
            wide.push(`equation ${Math.round(math.getBoundingClientRect().width)}px in `
                      + `${column.clientWidth}px: ${label(box)}`);
    }
    return wide;
}"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The built HTML served on 127.0.0.1 at a free port; yields the base URL."""
    book = build_book()
    if book.returncode != 0:
        pytest.fail(f"the book build failed (exit {book.returncode}):\n{book.tail()}")
    handler = functools.partial(QuietHandler, directory=str(book.html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: `apt-get install chromium` (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """One page opened in a fresh browser context, with everything that went wrong on the way."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("requestfailed", self._failed)
        self.page.on("response", lambda r: r.status >= 400
                     and self.problems.append(f"HTTP {r.status}: {r.url}"))
        self.page.on("console", lambda m: m.type == "error"
                     and self.problems.append(f"console error: {m.text} ({m.location})"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")
        self.mathjax = self.page.evaluate(WAIT_FOR_MATHJAX)
        self.page.wait_for_load_state("networkidle")  # fonts MathJax asked for

    def _route(self, route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.problems.append(f"off-machine request blocked: {route.request.url}")
            route.abort()

    def _failed(self, request):
        if urlsplit(request.url).hostname == "127.0.0.1":  # blocked ones are reported above
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, site):
    opened: list[Visit] = []

    def open_doc(doc: str) -> Visit:
        opened.append(Visit(browser, site + doc))
        return opened[-1]

    yield open_doc
    for v in opened:
        v.close()


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("doc", DOCS)
def test_page_loads_cleanly_offline(visit, doc, edition):
    """No blocked or failed request, no HTTP error, no console error; all math typeset; no
    code cell, output or display equation wider than the page; saved widget state rendered
    as widgets. In both editions: English at the root, Chinese in zh/."""
    v = visit(f"{edition}{doc}.html")
    assert not v.problems, f"{doc}:\n" + "\n".join(v.problems)
    has_math = v.page.locator(".math").count() > 0
    if has_math:
        assert v.mathjax, f"{doc} has math but MathJax did not start"
        untypeset = v.page.evaluate(UNTYPESET_MATH)
        assert not untypeset, f"{doc}: math left as raw TeX: {untypeset}"
    assert not v.page.evaluate(RAW_TEX), f"{doc}: raw TeX in the text"
    too_wide = v.page.evaluate(TOO_WIDE)
    assert not too_wide, (f"{doc}: wider than the page at 1280 px (wrap code at ~80 "
                          "characters, break long equations):\n" + "\n".join(too_wide))
    if v.page.locator('script[type="application/vnd.jupyter.widget-state+json"]').count():
        v.page.wait_for_selector(".jupyter-widgets", state="attached", timeout=15_000)


def test_root_redirects_to_the_preface(visit):
    v = visit("index.html")
    v.page.wait_for_url(f"**/{DOCS[0]}.html", timeout=10_000)
    assert not v.problems, "\n".join(v.problems)


def test_chapter4_formula_is_typeset(visit):
    """The seed's neuron formula y = f(sum_i w_i x_i + b) is typeset by MathJax: an
    mjx-container holds a summation sign (U+2211, CHTML class mjx-c2211), and no raw \\sum
    shows. Screenshot: artifacts/chapter04.png."""
    assert CHAPTER4, "_toc.yml has no chapter 4 (book/04_neuron_math)"
    v = visit(f"{CHAPTER4}.html")
    ARTIFACTS.mkdir(exist_ok=True)
    v.page.screenshot(path=str(ARTIFACTS / "chapter04.png"), full_page=True)
    assert v.mathjax, "MathJax did not start"
    assert v.page.locator("mjx-container").count() > 0
    assert v.page.locator("mjx-container mjx-c.mjx-c2211").count() > 0, \
        "no typeset summation sign in chapter 4"
    assert not v.page.evaluate(RAW_TEX)
    assert not v.problems, "\n".join(v.problems)


def test_search_works_offline(visit):
    """The search page finds chapter 4 from the local search index."""
    word = "neuron"
    v = visit(f"search.html?q={word}")
    results = v.page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=15_000)
    hrefs = [results.nth(i).locator("a").first.get_attribute("href")
             for i in range(results.count())]
    assert CHAPTER4 is None or any(CHAPTER4 in (h or "") for h in hrefs), hrefs
    assert not v.problems, "\n".join(v.problems)


def test_chinese_root_redirects_to_the_chinese_preface(visit):
    v = visit("zh/index.html")
    v.page.wait_for_url(f"**/zh/{DOCS[0]}.html", timeout=10_000)
    assert not v.problems, "\n".join(v.problems)


def test_the_language_switch_goes_to_the_same_page_and_back(visit):
    """From chapter 4 in English, the switch opens chapter 4 in Chinese (a Chinese heading,
    lang zh-CN), and its switch comes back to the English chapter 4."""
    v = visit(f"{CHAPTER4}.html")
    v.page.locator("a.book-language-switch").first.click()
    v.page.wait_for_url(f"**/zh/{CHAPTER4}.html", timeout=10_000)
    assert v.page.evaluate("document.documentElement.lang") == "zh-CN"
    assert v.page.locator("h1").first.inner_text().startswith("神经元")
    v.page.locator("a.book-language-switch").first.click()
    v.page.wait_for_url(lambda url: url.endswith(f"/{CHAPTER4}.html") and "/zh/" not in url,
                        timeout=10_000)
    assert v.page.evaluate("document.documentElement.lang") == "en"
    assert not v.problems, "\n".join(v.problems)


def test_chinese_search_finds_chapter_4(visit):
    """Searching the Chinese edition for 神经元 (neuron), offline, lists chapter 4."""
    v = visit("zh/search.html?q=神经元")
    results = v.page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=15_000)
    hrefs = [results.nth(i).locator("a").first.get_attribute("href")
             for i in range(results.count())]
    assert any(CHAPTER4 in (h or "") for h in hrefs), hrefs
    assert not v.problems, "\n".join(v.problems)


# Each character of the heading drawn alone, in the heading's own font, next to a character
# no font has (U+E000, private use): a missing glyph is drawn as the same empty box whatever
# the character, so boxes make every drawing equal to that one.
GLYPHS = """(selector) => {
    const el = document.querySelector(selector);
    const font = getComputedStyle(el).font;
    const draw = (ch) => {
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 64;
        const ctx = canvas.getContext('2d');
        ctx.font = font.replace(/\\d+(\\.\\d+)?px/, '48px');
        ctx.fillStyle = '#000';
        ctx.fillText(ch, 4, 52);
        return canvas.toDataURL();
    };
    const chars = Array.from(el.textContent.trim()).filter(c => /[\\u4e00-\\u9fff]/.test(c));
    return {font, chars, drawings: chars.map(draw), box: draw('\\ue000')};
}"""


def test_chinese_chapter_4_shows_cjk_text_not_boxes(visit):
    """Chapter 4 in Chinese, screenshot in artifacts/chapter04_zh.png; its heading's
    characters render as distinct glyphs, none of them the missing-glyph box."""
    v = visit(f"zh/{CHAPTER4}.html")
    ARTIFACTS.mkdir(exist_ok=True)
    v.page.screenshot(path=str(ARTIFACTS / "chapter04_zh.png"))
    glyphs = v.page.evaluate(GLYPHS, "main h1")
    assert len(glyphs["chars"]) >= 4, glyphs["chars"]
    distinct = set(glyphs["drawings"])
    assert len(distinct) == len(set(glyphs["chars"])), f"identical glyphs in {glyphs['font']}"
    assert glyphs["box"] not in distinct, f"boxes, not characters, in {glyphs['font']}"
    assert v.page.locator("mjx-container mjx-c.mjx-c2211").count() > 0
    assert not v.problems, "\n".join(v.problems)
