"""Print the book, or notebooks, to PDF with headless Chromium: offline, math typeset.

    python scripts/book_pdf.py book [-o _build/pdf/book.pdf]   # what `make pdf` runs
    python scripts/book_pdf.py handouts release                # release/<lab>/<lab>.pdf (make labs)
    python scripts/book_pdf.py handouts NB.ipynb ...           # NB.pdf next to each notebook

``book``: Jupyter Book 1 builds the whole book as one HTML page (``--builder singlehtml``)
from the outputs committed in the notebooks (execution off, through scripts/book_config.py,
as the book-build test does), under ``unshare -n`` where that is permitted. The page is served
on 127.0.0.1 and opened in Debian's Chromium (/usr/bin/chromium, driven by Playwright); every
request for another host is refused. Once MathJax has typeset the page and the widgets have
drawn their saved state, the page is made into a book (a title page; a table of contents; each
chapter on a new page; solutions unfolded; a line under each widget saying it is interactive
online) and printed on A4 with page numbers. The print is made twice: the first one tells on
which page each heading landed (``pdftotext``, Debian's poppler-utils) and the second one
prints those numbers in the table of contents. Without pdftotext the contents have no page
numbers (the PDF's bookmarks and links still work) and the script says so.

``handouts``: each notebook becomes HTML with nbconvert (its ``lab`` template, with MathJax
from _vendor/ instead of a CDN and no require.js) and is printed the same way, with its
title and page numbers on every page.

Both need _vendor/ (``make vendor``: the book's MathJax and widget manager) and Chromium.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import yaml

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--font-render-hinting=none"]
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PRINT_PAGE = "_print.html"       # the book's single page, moved to the site's root
BUILD_TIMEOUT_S = 900
PAGE_TIMEOUT_MS = 120_000
ONLINE_NOTE = ("Interactive widget, printed in the state it was saved in: run this chapter's "
               "notebook in Jupyter (see the online book) to move its controls.")

# Chromium's header and footer: their own tiny documents; the classes are filled by Chromium.
_BAND = ("font-size:8px;width:100%;padding:0 14mm;box-sizing:border-box;color:#666;"
         "font-family:sans-serif;")
HEADER = f'<div style="{_BAND}">{{title}}</div>'
FOOTER = (f'<div style="{_BAND}text-align:right;"><span class="pageNumber"></span> / '
          '<span class="totalPages"></span></div>')
MARGIN = {"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}
# The window is as wide as the printed column (A4's 210 mm less the margins, at 96 px per
# inch): the theme's layout and its media queries then see the width the print has.
PRINT_WIDTH_PX = round((210 - 2 * 14) / 25.4 * 96)


# --- the toc -------------------------------------------------------------------------------

def toc_parts(root: Path = REPO) -> tuple[str, list[dict]]:
    """The toc's root document and its parts: ``[{caption, numbered, files}]``, files in
    reading order and without suffix (sections of a chapter follow it)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))

    def files(node: object) -> list[str]:
        found: list[str] = []
        if isinstance(node, dict):
            if "file" in node:
                found.append(str(Path(node["file"]).with_suffix("")))
            for key in ("chapters", "sections"):
                found += files(node.get(key, []))
        elif isinstance(node, list):
            for item in node:
                found += files(item)
        return found

    parts = [{"caption": part.get("caption", ""), "numbered": bool(part.get("numbered")),
              "files": files(part.get("chapters", []))}
             for part in toc.get("parts", [])]
    if not parts and toc.get("chapters"):
        parts = [{"caption": "", "numbered": False, "files": files(toc["chapters"])}]
    return str(Path(toc["root"]).with_suffix("")), parts


def source_of(doc: str, root: Path = REPO) -> Path | None:
    for suffix in (".ipynb", ".md", ".rst"):
        if (root / f"{doc}{suffix}").exists():
            return root / f"{doc}{suffix}"
    return None


def widget_state(docs: Sequence[str], root: Path = REPO) -> dict:
    """The saved widget state of every notebook in ``docs``, merged (model ids are unique).

    The single-page build keeps only the root document's state, so without this no widget of
    a chapter would be drawn."""
    merged: dict = {"version_major": 2, "version_minor": 0, "state": {}}
    for doc in docs:
        path = source_of(doc, root)
        if path is None or path.suffix != ".ipynb":
            continue
        metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        state = (metadata.get("widgets") or {}).get(WIDGET_STATE) or {}
        merged["state"].update(state.get("state") or {})
    return merged


# --- building the single page ----------------------------------------------------------------

def netns_prefix() -> tuple[str, ...]:
    """``unshare -n`` (or ``-rn``) where permitted: the build then has no network at all."""
    if shutil.which("unshare") is None:
        return ()
    for prefix in (("unshare", "-n"), ("unshare", "-rn")):
        if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix
    return ()


def build_singlehtml(work: Path, root: Path = REPO, config: Path | None = None) -> Path:
    """Build the book as one HTML page into ``work/_build/singlehtml`` (execution off) and
    return that folder. Warnings are shown, not fatal: the book-build test is the strict one."""
    work.mkdir(parents=True, exist_ok=True)
    if config is None:
        config = work / "_config.pdf.yml"
        subprocess.run([sys.executable, str(REPO / "scripts" / "book_config.py"),
                        "--source", str(root / "_config.yml"), "--execute", "off",
                        "-o", str(config)], check=True)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    cmd = [*netns_prefix(), "timeout", str(BUILD_TIMEOUT_S), str(jupyter_book), "build",
           str(root), "--builder", "singlehtml", "--path-output", str(work),
           "--config", str(config)]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    log = re.sub(r"\x1b\[[0-9;]*m", "", log)  # Sphinx colours its messages
    problems = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    if problems:
        print(f"book_pdf: the build reported {len(problems)} warning(s):", *problems[:10],
              sep="\n  ", file=sys.stderr)
    if proc.returncode != 0:
        tail = "\n".join(log.splitlines()[-40:])
        raise RuntimeError(f"jupyter-book build --builder singlehtml failed "
                           f"(exit {proc.returncode}):\n{tail}")
    return work / "_build" / "singlehtml"


def prepare_page(site: Path, root: Path = REPO) -> dict:
    """Write ``site/_print.html``: the single page moved to the site's root (its links are
    written relative to the root, not to ``book/``), with internal links made local and every
    chapter's widget state and the widget manager added. Returns the book's outline (what
    the page script needs)."""
    root_doc, parts = toc_parts(root)
    page = (site / f"{root_doc}.html").read_text(encoding="utf-8")
    # Links into the same page written with its file name ("book/index.html#x") stay in the PDF.
    page = page.replace(f'href="{root_doc}.html#', 'href="#')
    # The search index is not written for a single page; its script would only fail.
    page = re.sub(r'<script[^>]*src="searchindex\.js"[^>]*></script>', "", page)
    docs = [doc for part in parts for doc in part["files"]]
    state = widget_state([root_doc, *docs], root)
    if state["state"] and (site / "widgets" / "embed.js").exists():
        body = json.dumps(state).replace("</", "<\\/")
        scripts = [f'<script type="{WIDGET_STATE}">{body}</script>']
        if (site / "widgets" / "mathjax3-bridge.js").exists():
            scripts.append('<script src="widgets/mathjax3-bridge.js"></script>')
        scripts.append('<script src="widgets/embed.js"></script>')
        page = page.replace("</head>", "\n".join(scripts) + "\n</head>", 1)
    (site / PRINT_PAGE).write_text(page, encoding="utf-8")
    return {"root": root_doc, "parts": parts}


# --- serving and printing ---------------------------------------------------------------------

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 at a free port; yields the base URL."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


WAIT_FOR_MATHJAX = """async () => {
    const start = Date.now();
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
        if (!document.querySelector('script[src*="mathjax"]') || Date.now() - start > 60000)
            return false;
        await new Promise(r => setTimeout(r, 100));
    }
    await MathJax.startup.promise;
    return true;
}"""

# Widget views: how many have no saved state (they cannot be drawn), and whether every other
# one has been drawn by the widget manager.
WIDGETS = f"""() => {{
    const state = {{}};
    document.querySelectorAll('script[type="{WIDGET_STATE}"]').forEach(s => {{
        try {{ Object.assign(state, JSON.parse(s.textContent).state); }} catch (e) {{}}
    }});
    const views = Array.from(document.querySelectorAll('script[type="{WIDGET_VIEW}"]'));
    const saved = views.filter(s => {{
        try {{ return JSON.parse(s.textContent).model_id in state; }} catch (e) {{ return false; }}
    }});
    return {{unsaved: views.length - saved.length,
             drawn: saved.every(s => s.parentElement.querySelector('.jupyter-widgets'))}};
}}"""

# Images loaded eagerly and decoded, and web fonts (MathJax's) in, before printing.
SETTLE = """async () => {
    for (const img of document.images) img.loading = 'eager';
    await Promise.all(Array.from(document.images).map(img => img.decode().catch(() => null)));
    await document.fonts.ready;
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    return Array.from(document.images).filter(img => !img.complete || !img.naturalWidth)
        .map(img => img.getAttribute('src'));
}"""

# Make the single page a book: title page, contents, chapter breaks, unfolded solutions,
# a note under each widget. `outline` comes from prepare_page(); it returns the headings the
# contents list, each with a marker id (for finding its page in the first print).
MAKE_BOOK = r"""([outline, note, title, author]) => {
    const el = (tag, cls, text) => {
        const e = document.createElement(tag);
        if (cls) e.className = cls;
        if (text !== undefined) e.textContent = text;
        return e;
    };
    const article = document.querySelector('article.bd-article');
    // The theme's own print-only contents (chapters only, no pages) is replaced below.
    document.querySelectorAll('#jb-print-docs-body').forEach(e => e.remove());
    // Folded content: solutions (togglebutton) and hidden cells (<details>).
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
    document.querySelectorAll('.dropdown .toggle-button, button.toggle-button')
        .forEach(b => b.remove());
    // Widgets: the saved state is drawn; say that it moves only in Jupyter.
    document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')
        .forEach(s => {
            const out = s.closest('.cell_output') || s.parentElement;
            if (out.querySelector('.pdf-widget-note')) return;
            out.appendChild(el('p', 'pdf-widget-note', note));
        });
    // Chapters: the heading of the section that follows each document's anchor.
    const entries = [];
    let mark = 0;
    const marker = (h) => {
        const id = `pdfmark${String(++mark).padStart(4, '0')}`;
        const m = el('span', 'pdf-marker', `[[${id}]]`);
        h.insertBefore(m, h.firstChild);
        return id;
    };
    const headingText = (h) => {
        const c = h.cloneNode(true);
        c.querySelectorAll('.headerlink, .pdf-marker, mjx-assistive-mml').forEach(e => e.remove());
        return c;
    };
    const docs = [[outline.root, '', null]];
    outline.parts.forEach(part => {
        const letters = !part.numbered && /^appendi/i.test(part.caption);
        part.files.forEach((f, i) => docs.push([f, part.caption,
            letters ? String.fromCharCode(65 + i) : null]));
    });
    let lastCaption = '';
    for (const [doc, caption, letter] of docs) {
        const anchor = doc === outline.root ? null : document.getElementById('document-' + doc);
        const section = anchor ? anchor.nextElementSibling
                               : article.querySelector('section');
        if (!section) continue;
        const h = section.querySelector('h1, h2');
        if (!h) continue;
        if (letter) {
            const n = el('span', 'section-number', `Appendix ${letter}. `);
            h.insertBefore(n, h.firstChild);
        }
        section.classList.add('pdf-chapter');
        if (caption && caption !== lastCaption) {
            entries.push({level: 0, caption});
            lastCaption = caption;
        }
        const id = section.id || ('pdfdoc' + entries.length);
        section.id = id;
        entries.push({level: 1, href: '#' + id, node: headingText(h), mark: marker(h)});
        // Its sections: the next heading level down, inside this document only.
        const sub = h.tagName === 'H1' ? 'h2' : 'h3';
        section.querySelectorAll(`:scope > section > ${sub}`).forEach(s => {
            entries.push({level: 2, href: '#' + s.parentElement.id, node: headingText(s),
                          mark: marker(s)});
        });
    }
    // Title page and contents, before the first chapter.
    const front = el('div', 'pdf-front');
    const cover = el('div', 'pdf-title-page');
    cover.appendChild(el('h1', 'pdf-title', title));
    if (author) cover.appendChild(el('p', 'pdf-author', author));
    front.appendChild(cover);
    const toc = el('nav', 'pdf-toc');
    toc.appendChild(el('p', 'pdf-toc-title', 'Contents'));
    const list = el('ol', 'pdf-toc-list');
    for (const e of entries) {
        const li = el('li', `pdf-toc-l${e.level}`);
        if (e.level === 0) {
            li.textContent = e.caption;
        } else {
            const a = el('a');
            a.href = e.href;
            const label = el('span', 'pdf-toc-label');
            label.append(...e.node.childNodes);
            const page = el('span', 'pdf-toc-page', '');
            page.dataset.mark = e.mark;
            a.append(label, page);
            li.appendChild(a);
        }
        list.appendChild(li);
    }
    toc.appendChild(list);
    front.appendChild(toc);
    article.insertBefore(front, article.firstChild);
    document.documentElement.classList.add('pdf-book');
    return entries.filter(e => e.mark).map(e => e.mark);
}"""

# Formulas MathJax did not typeset (printed as TeX source).
UNTYPESET = """() => Array.from(document.querySelectorAll('.math'))
    .filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.trim().slice(0, 60))"""

FILL_PAGES = """(pages) => {
    document.querySelectorAll('.pdf-toc-page').forEach(p => {
        p.textContent = pages[p.dataset.mark] ?? '';
    });
    document.querySelectorAll('.pdf-marker').forEach(m => m.remove());
}"""

# Print-only layout of the book; general print rules (code wrapping) are in _static/book.css.
BOOK_CSS = """
@page { size: A4; }
/* Chromium rasterises every soft shadow into the PDF (slow, and megabytes of images). */
.pdf-book *, .pdf-book *::before, .pdf-book *::after {
  box-shadow: none !important; text-shadow: none !important; }
.pdf-marker { position: absolute; left: 0; top: 0; font-size: 1px; color: transparent; }
.pdf-book h1, .pdf-book h2, .pdf-book h3 { position: relative; }
.pdf-title-page { height: 230mm; display: flex; flex-direction: column;
                  justify-content: center; text-align: center; break-after: page; }
.pdf-title-page .pdf-title { font-size: 2.4rem; margin-bottom: 1.5rem; }
.pdf-title-page .pdf-author { font-size: 1.2rem; color: #444; }
.pdf-toc { break-after: page; }
.pdf-toc-title { font-size: 1.8rem; font-weight: 600; margin: 0 0 1rem; }
.pdf-toc-list { list-style: none; padding: 0; margin: 0; }
.pdf-toc-list li { margin: 0; padding: 0; break-inside: avoid; }
.pdf-toc-l0 { font-weight: 600; margin-top: 0.9rem !important; text-transform: uppercase;
              font-size: 0.8rem; letter-spacing: 0.05em; color: #555; }
.pdf-toc-l1 { font-weight: 600; margin-top: 0.45rem !important; }
.pdf-toc-l2 { padding-left: 1.8rem !important; font-size: 0.88rem; }
.pdf-toc a { display: flex; color: inherit !important; text-decoration: none !important; }
.pdf-toc-label { flex: 1 1 auto; }
.pdf-toc-label::after { content: ""; }
.pdf-toc-page { flex: 0 0 auto; padding-left: 0.8rem; min-width: 2.5rem; text-align: right; }
.pdf-chapter { break-before: page; }
.pdf-book .headerlink, .pdf-book .copybtn, .pdf-book #searchbox,
.pdf-book .bd-header-article, .pdf-book .prev-next-footer, .pdf-book footer,
.pdf-book .toggle-button { display: none !important; }
.pdf-book details > summary { display: none; }
/* The theme hides every first <h1> in print (it prints its own title instead). */
.pdf-book .bd-main .bd-content .bd-article h1:first-of-type { display: block; }
.pdf-book body, .pdf-book .bd-container, .pdf-book .bd-container__inner, .pdf-book .bd-main,
.pdf-book .bd-content, .pdf-book .bd-article-container, .pdf-book .bd-article {
  display: block !important; margin: 0 !important; padding: 0 !important;
  max-width: none !important; width: auto !important; }
"""


class Printer:
    """One headless Chromium for several prints. Every request for another host than
    127.0.0.1 is refused and reported; console errors are reported too."""

    def __init__(self):
        if not CHROMIUM.exists():
            raise RuntimeError(f"{CHROMIUM} not found: apt-get install chromium")
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        self.problems: list[str] = []

    def close(self):
        self.browser.close()
        self._playwright.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def open(self, url: str):
        """A page of ``url`` loaded, MathJax done, widgets drawn, images and fonts in."""
        context = self.browser.new_context(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)

        def route(r):
            if urlsplit(r.request.url).hostname == "127.0.0.1":
                r.continue_()
            else:
                self.problems.append(f"off-machine request blocked: {r.request.url}")
                r.abort()

        page.route("**/*", route)
        page.on("requestfailed", lambda r: urlsplit(r.url).hostname == "127.0.0.1"
                and self.problems.append(f"request failed: {r.url}"))
        page.on("response", lambda r: r.status >= 400
                and self.problems.append(f"HTTP {r.status}: {r.url}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        # Not "networkidle": with the widget manager running, Playwright sometimes never
        # sees it. What printing needs is awaited instead: widgets, MathJax, images, fonts.
        page.goto(url, wait_until="load")
        widgets = page.evaluate(WIDGETS)
        if widgets["unsaved"]:
            self.problems.append(f"{widgets['unsaved']} widget(s) have no saved state: "
                                 "only their note is printed")
        if not widgets["drawn"]:
            try:
                page.wait_for_function(f"() => ({WIDGETS})().drawn", timeout=60_000,
                                       polling=250)
            except PlaywrightTimeout:
                self.problems.append("some widgets were not drawn from their saved state")
        if not page.evaluate(WAIT_FOR_MATHJAX) and page.locator(".math").count():
            self.problems.append("MathJax did not start: math is printed as TeX")
        broken = page.evaluate(SETTLE)
        if broken:
            self.problems.append(f"{len(broken)} image(s) did not load, e.g. {broken[0]}")
        return page

    @staticmethod
    def pdf(page, path: Path | None, header: str) -> bytes:
        return page.pdf(path=str(path) if path else None, format="A4", print_background=True,
                        display_header_footer=True, margin=MARGIN, outline=True,
                        header_template=HEADER.format(title=html.escape(header)),
                        footer_template=FOOTER)


def pages_of_markers(pdf: bytes, marks: Sequence[str]) -> dict[str, int] | None:
    """The page (1-based) on which each marker landed, from the PDF's text; None without
    pdftotext."""
    if shutil.which("pdftotext") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "pass1.pdf"
        src.write_bytes(pdf)
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(src), "-"], check=True,
                              capture_output=True, text=True).stdout
    found: dict[str, int] = {}
    for number, page_text in enumerate(text.split("\f"), start=1):
        for mark in re.findall(r"\[\[(pdfmark\d+)\]\]", page_text):
            found.setdefault(mark, number)
    return {m: found[m] for m in marks if m in found}


def print_book(site: Path, outline: dict, out: Path, title: str, author: str) -> dict:
    """Print ``site/_print.html`` to ``out``; returns what happened (pages, problems)."""
    with serve(site) as base, Printer() as printer:
        page = printer.open(base + PRINT_PAGE)
        page.add_style_tag(content=BOOK_CSS)
        untypeset = page.evaluate(UNTYPESET)
        if untypeset:
            printer.problems.append(f"{len(untypeset)} formula(s) left as TeX, e.g. "
                                    f"{untypeset[0]!r}")
        marks = page.evaluate(MAKE_BOOK, [outline, ONLINE_NOTE, title, author])
        page.evaluate(SETTLE)
        # Same margins, so the same pages, as the final print; without header, footer and
        # bookmarks it is quicker.
        first = page.pdf(format="A4", print_background=True, margin=MARGIN)
        pages = pages_of_markers(first, marks)
        if pages is None:
            print("book_pdf: pdftotext not found (Debian: apt-get install poppler-utils): the "
                  "contents are printed without page numbers", file=sys.stderr)
            pages = {}
        elif len(pages) < len(marks):
            print(f"book_pdf: {len(marks) - len(pages)} heading(s) not found in the first "
                  "print: their page numbers are left out", file=sys.stderr)
        page.evaluate(FILL_PAGES, pages)
        out.parent.mkdir(parents=True, exist_ok=True)
        Printer.pdf(page, out, title)
        page.context.close()
        return {"headings": len(marks), "numbered": len(pages), "problems": printer.problems}


def make_book_pdf(out: Path, work: Path, root: Path = REPO) -> dict:
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    start = time.perf_counter()
    site = build_singlehtml(work, root)
    built = time.perf_counter()
    outline = prepare_page(site, root)
    report = print_book(site, outline, out, config.get("title", "Book"),
                        config.get("author", ""))
    report.update(build_s=built - start, print_s=time.perf_counter() - built)
    return report


# --- handouts -----------------------------------------------------------------------------

HANDOUT_TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
        processEscapes: true, processEnvironments: true},
  options: {skipHtmlTags: ['script', 'noscript', 'style', 'textarea', 'pre', 'code']}
};
</script>
<script defer src="mathjax/tex-chtml-full.js"></script>
{%- endblock html_head_js_mathjax -%}
{%- block extra_css -%}
<style>
@page { size: A4; }
body { margin: 0; padding: 0; }
.jp-Notebook { padding: 0 !important; }
.jp-InputArea, .jp-InputArea-editor, .jp-OutputArea-output { overflow: visible !important; }
.jp-InputArea-editor pre, .jp-OutputArea-output pre, .highlight pre {
  white-space: pre-wrap !important; overflow-wrap: anywhere; word-break: break-word; }
.jp-InputPrompt, .jp-OutputPrompt { display: none !important; }
.jp-Cell { break-inside: avoid-page; }
.jp-MarkdownOutput { padding-left: 0 !important; }
</style>
{%- endblock extra_css -%}
"""


def notebook_html(notebook: Path, out: Path) -> Path:
    """``notebook`` as a standalone HTML page (MathJax from ``mathjax/`` beside it)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab",
                            extra_loaders=[DictLoader({"handout.html.j2": HANDOUT_TEMPLATE})],
                            template_file="handout.html.j2")
    body, _ = exporter.from_filename(str(notebook))
    out.write_text(body, encoding="utf-8")
    return out


def notebook_title(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return notebook.stem


def make_handouts(notebooks: Sequence[Path], vendor: Path = REPO / "_vendor",
                  problems: list[str] | None = None) -> list[Path]:
    """Print each notebook to ``<notebook>.pdf`` beside it; returns the PDFs. What went wrong
    in the browser (a refused request, a page error) is added to ``problems``, or printed."""
    mathjax = vendor / "mathjax"
    if not (mathjax / "tex-chtml-full.js").exists():
        raise RuntimeError(f"{mathjax} is missing: run `make vendor` (npm) first")
    written = []
    with tempfile.TemporaryDirectory(prefix="mmlearn-handouts-") as tmp, \
            serve(Path(tmp)) as base, Printer() as printer:
        os.symlink(mathjax.resolve(), Path(tmp) / "mathjax")
        for i, notebook in enumerate(notebooks):
            name = f"handout{i}.html"
            notebook_html(notebook, Path(tmp) / name)
            page = printer.open(base + name)
            out = notebook.with_suffix(".pdf")
            Printer.pdf(page, out, notebook_title(notebook))
            page.context.close()
            written.append(out)
        if problems is not None:
            problems += printer.problems
        elif printer.problems:
            print("book_pdf:", *printer.problems, sep="\n  ", file=sys.stderr)
    return written


def find_notebooks(paths: Sequence[Path]) -> list[Path]:
    """The notebooks named, and those one folder down in each folder named
    (``release/<lab>/<lab>.ipynb``)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.glob("*/*.ipynb")
                            if ".ipynb_checkpoints" not in p.parts)
            found += sorted(path.glob("*.ipynb"))
        elif path.suffix == ".ipynb" and path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: not a notebook or a folder")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    book = sub.add_parser("book", help="the whole book as one PDF")
    book.add_argument("-o", "--output", type=Path, default=REPO / "_build" / "pdf" / "book.pdf")
    book.add_argument("--work", type=Path, default=None,
                      help="build folder (default: the output's folder/site)")
    book.add_argument("--strict", action="store_true",
                      help="fail on a blocked request, a failed load or an undrawn widget")
    hand = sub.add_parser("handouts", help="each notebook as a PDF beside it")
    hand.add_argument("paths", nargs="+", type=Path,
                      help="notebooks, or folders holding <lab>/<lab>.ipynb")
    args = parser.parse_args(argv)

    if args.command == "book":
        out = args.output.resolve()
        work = (args.work or out.parent / "site").resolve()
        report = make_book_pdf(out, work)
        for problem in report["problems"]:
            print("book_pdf:", problem, file=sys.stderr)
        print(f"book_pdf: wrote {out} (build {report['build_s']:.0f} s, print "
              f"{report['print_s']:.0f} s; {report['numbered']}/{report['headings']} "
              "contents entries with page numbers)")
        return 1 if args.strict and report["problems"] else 0
    notebooks = find_notebooks(args.paths)
    if not notebooks:
        print(f"book_pdf: no notebooks in {' '.join(map(str, args.paths))}", file=sys.stderr)
        return 1
    for pdf in make_handouts(notebooks):
        print(f"book_pdf: wrote {pdf}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
