"""The Chinese edition's catalogues: extract, update, check, and lint translations.

    python scripts/book_i18n.py po        # extract the English messages, update the .po files,
                                          # print what is new (untranslated) or fuzzy
    python scripts/book_i18n.py check     # exit 1 on a missing catalogue, an untranslated,
                                          # fuzzy or stale entry, or a translation whose markup
                                          # differs from its English (what CI runs)
    python scripts/book_i18n.py lint FILE.po ...   # the markup check alone, for a translator

The English pages are the source. Sphinx's gettext builder turns each page's text (markdown
cells, headings, table cells, captions) into messages, one catalogue per page under
``book/locales/zh_CN/LC_MESSAGES/book/``; code, outputs and figures are never messages, so
they are shared by both editions. Extraction renders the committed notebooks without
executing them (a few seconds).

The words the chapters' code writes on its figures (``ax.set_title("XOR: mistakes per
epoch")``, ``label="train"``, ...) are code, so Sphinx never sees them; ``po`` also collects
them into one more catalogue, ``book/locales/zh_CN/LC_MESSAGES/figures.po`` (see
:func:`figure_words` for what counts as a figure word), and ``check`` holds it to the same
standard. scripts/book_zh.py compiles it for the Chinese build, where mmlearn puts the
translations on the figures as they are drawn (``MMLEARN_FIGURE_WORDS``, mmlearn/_i18n.py);
the notebooks and their English outputs stay as they are.

A translation must keep what Sphinx and MyST read as structure: inline code, math, roles
(``{ref}``, ``{cite}``, ``{py:class}``, ...), link targets and footnote references, each
exactly as in the English. Otherwise the Chinese build warns (an inconsistent reference) or,
worse, silently shows a broken formula; ``lint`` finds those before a build does.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "book" / "locales"
LANGUAGE = "zh_CN"
CATALOGUES = LOCALES / LANGUAGE / "LC_MESSAGES"
POT_DIR = ROOT / "_build" / "gettext"
TOC = ROOT / "_toc.yml"
#: The catalogue of the words the chapters' code draws on its figures (not a page's).
FIGURES_PO = CATALOGUES / "figures.po"

# What must survive translation unchanged (the counts of each kind must match too).
_CODE = re.compile(r"(`+)(.+?)\1", re.S)
_ROLE = re.compile(r"\{[\w:.-]+\}`[^`]+`")
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\s][^$]*?\$", re.S)
_LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
_FOOTNOTE = re.compile(r"\[\^[^\]]+\]")
_SUBSTITUTION = re.compile(r"\{\{[^}]+\}\}")


def _role_target(role: str) -> str:
    """``{ref}`text <label>``` -> ``{ref}label``: the text of a role may be translated."""
    kind, _, body = role.partition("`")
    body = body.rstrip("`")
    label = re.search(r"<([^<>]+)>\s*$", body)
    return kind + (label.group(1) if label else body)


def markup(text: str) -> Counter:
    """The structural pieces of one message, as a multiset."""
    pieces: Counter = Counter()
    rest = text
    for role in _ROLE.findall(rest):
        target = _role_target(role)
        # A role whose text is translatable keeps only its target; others stay verbatim.
        pieces["role " + target] += 1
    rest = _ROLE.sub(" ", rest)
    for match in _CODE.finditer(rest):
        pieces["code " + match.group(2)] += 1
    rest = _CODE.sub(" ", rest)
    for math in _MATH.findall(rest):
        pieces["math " + math] += 1
    for target in _LINK_TARGET.findall(rest):
        pieces["link " + target] += 1
    for note in _FOOTNOTE.findall(rest):
        pieces["footnote " + note] += 1
    for sub in _SUBSTITUTION.findall(rest):
        pieces["substitution " + sub] += 1
    return pieces


def lint_message(msgid: str, msgstr: str) -> list[str]:
    """What differs between the markup of ``msgid`` and of its translation."""
    if not msgstr:
        return []
    source, target = markup(msgid), markup(msgstr)
    problems = []
    for piece in sorted((source - target) + (target - source)):
        side = "missing from the translation" if source[piece] > target[piece] else "added"
        problems.append(f"{piece!r} {side}")
    if msgstr.count("**") % 2:
        problems.append("an unpaired ** in the translation")
    return problems


def lint_file(path: Path) -> list[str]:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    report = []
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        for problem in lint_message(message.id, message.string or ""):
            report.append(f"{path.name}: {message.id[:60]!r}...: {problem}")
    return report


def translation_problems(po: Path) -> list[str]:
    """What is left to translate in one catalogue, and translations that break markup."""
    stats = catalogue_stats(po)
    problems = []
    if stats["fuzzy"] or stats["untranslated"]:
        problems.append(f"{po.name}: {stats['untranslated']} untranslated, "
                        f"{stats['fuzzy']} fuzzy")
    return problems + lint_file(po)


def catalogue_stats(path: Path) -> dict[str, int]:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    stats = {"translated": 0, "fuzzy": 0, "untranslated": 0}
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            stats["fuzzy"] += 1
        elif message.string:
            stats["translated"] += 1
        else:
            stats["untranslated"] += 1
    return stats


# The figure words: string constants given to these calls (positionally) or keywords.
FIGURE_CALLS = frozenset({"set_title", "set_xlabel", "set_ylabel", "suptitle", "title",
                          "xlabel", "ylabel", "text", "annotate", "set_text", "legend"})
FIGURE_KEYWORDS = frozenset({"title", "xlabel", "ylabel", "label", "suptitle"})
# mmlearn.viz draws the keys of the dicts it is given as legend or group labels
# (``viz.plot_history(h, references={"expected ceiling, text only": 0.8})``).
PLOT_LIST_KEYWORDS = frozenset({"labels", "names", "titles", "classes", "class_names"})
_WORD = re.compile(r"[A-Za-z]{2,}")


def _strings(node: ast.expr) -> list[str]:
    """The plain string constant ``node`` is, or none (an f-string or a name is not one)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    return []


def code_figure_words(source: str) -> list[str]:
    """The figure words of one code cell, in order of appearance, each once.

    A figure word is a plain string constant (not an f-string) holding a word of two or more
    ASCII letters, which a cell gives a figure in one of these ways:

    * a positional argument of a call named as in :data:`FIGURE_CALLS`
      (``ax.set_title("...")``, ``plt.xlabel("...")``, ``ax.legend(["...", ...])``);
    * the value of a keyword of :data:`FIGURE_KEYWORDS`, or of one ending in ``_label`` or
      ``_title``, in any call (``label="train"``, ``ceiling_label="..."``; ``labels=[...]``
      for each of its strings);
    * a string key of a dict, or a string of a list keyword, given to a plot call
      (``viz.plot_history(h, references={"chance": 0.5})``);
    * a string of a list, tuple or dict literal assigned to a variable named for labels
      (``names = ["plain", ...]``).

    Lines of IPython magic (``%``, ``!``) are dropped first; a cell that is still not Python
    gives nothing.
    """
    lines = [line for line in source.splitlines()
             if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    nodes = sorted((node for node in ast.walk(tree) if isinstance(node, ast.Call | ast.Assign)),
                   key=lambda node: (node.lineno, node.col_offset))
    words: list[str] = []
    for node in nodes:
        found = (_call_labels(node) if isinstance(node, ast.Call)
                 else _assigned_labels(node))
        for word in found:
            if _WORD.search(word) and word not in words:
                words.append(word)
    return words


def _call_labels(call: ast.Call) -> list[str]:
    """The label strings one call gives a figure (see :func:`code_figure_words`)."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    found: list[str] = []
    if name in FIGURE_CALLS:
        for arg in call.args:
            found += _strings(arg)
            if name == "legend" and isinstance(arg, ast.List | ast.Tuple):
                found += [word for element in arg.elts for word in _strings(element)]
    for keyword in call.keywords:
        if keyword.arg in FIGURE_KEYWORDS or (keyword.arg or "").endswith(("_label",
                                                                             "_title")):
            found += _strings(keyword.value)
        elif keyword.arg == "labels" and isinstance(keyword.value, ast.List | ast.Tuple):
            found += [word for element in keyword.value.elts for word in _strings(element)]
    if _is_plot_call(func, name):
        found += _plot_labels(call)
    return found


# A list, tuple or dict of labels kept in a variable before it reaches a plot
# (``names = ["plain", "modality dropout"]``): the variable's name says what it holds.
LABEL_VARIABLES = re.compile(r"name|label|title|legend|curve")


def _assigned_labels(node: ast.Assign) -> list[str]:
    """The strings of a list/tuple literal, or the string keys of a dict literal, assigned
    to a variable whose name says it holds labels (:data:`LABEL_VARIABLES`)."""
    if not any(isinstance(target, ast.Name) and LABEL_VARIABLES.search(target.id.lower())
               for target in node.targets):
        return []
    value = node.value
    if isinstance(value, ast.List | ast.Tuple):
        return [word for element in value.elts for word in _strings(element)]
    if isinstance(value, ast.Dict):
        return [word for key in value.keys if key is not None for word in _strings(key)]
    return []


def _is_plot_call(func: ast.expr, name: str | None) -> bool:
    """``viz.anything(...)`` or ``plot_...(...)``: a call that draws the labels it is given."""
    owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(
        func.value, ast.Name) else None
    return owner == "viz" or (name or "").startswith("plot")


def _plot_labels(call: ast.Call) -> list[str]:
    """The string keys of every dict literal in a plot call's arguments, and the strings of
    its list keywords (:data:`PLOT_LIST_KEYWORDS`)."""
    found: list[str] = []
    for value in [*call.args, *(keyword.value for keyword in call.keywords)]:
        for node in ast.walk(value):
            if isinstance(node, ast.Dict):
                found += [word for key in node.keys if key is not None
                          for word in _strings(key)]
    for keyword in call.keywords:
        if keyword.arg in PLOT_LIST_KEYWORDS and isinstance(keyword.value,
                                                             ast.List | ast.Tuple):
            found += [word for element in keyword.value.elts for word in _strings(element)]
    return found


def notebook_figure_words(notebook: dict) -> list[tuple[str, str]]:
    """``(word, cell id)`` for the figure words of a notebook's code cells, in order."""
    out = []
    for number, cell in enumerate(notebook.get("cells", []), 1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        cell_id = cell.get("id") or f"cell{number}"
        out += [(word, cell_id) for word in code_figure_words(source)]
    return out


def toc_notebooks(toc: Path = TOC) -> list[Path]:
    """The book's notebooks, in the order of the table of contents."""
    import yaml

    def files(node) -> list[str]:
        if isinstance(node, dict):
            own = [node[key] for key in ("root", "file") if isinstance(node.get(key), str)]
            return own + [f for key in ("parts", "chapters", "sections")
                          for f in files(node.get(key, []))]
        if isinstance(node, list):
            return [f for item in node for f in files(item)]
        return []

    paths = [(toc.parent / name).with_suffix(".ipynb") for name in files(yaml.safe_load(
        toc.read_text(encoding="utf-8")))]
    return [path for path in paths if path.exists()]


def figure_words(notebooks: list[Path] | None = None) -> dict[str, list[tuple[str, None]]]:
    """Every figure word of the book's notebooks (:func:`code_figure_words`), first seen
    first, with where it is written (``book/04_neuron_math.ipynb#cell-id``)."""
    words: dict[str, list[tuple[str, None]]] = {}
    for path in toc_notebooks() if notebooks is None else notebooks:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        try:
            name = path.resolve().relative_to(ROOT).as_posix()
        except ValueError:
            name = path.name
        for word, cell_id in notebook_figure_words(notebook):
            words.setdefault(word, []).append((f"{name}#{cell_id}", None))
    return words


def figures_template(words: dict[str, list[tuple[str, None]]]) -> Catalog:
    template = Catalog(locale=LANGUAGE, domain="figures", project="mmlearn book figure words",
                       fuzzy=False)
    for word, locations in words.items():
        template.add(word, locations=locations)
    return template


def update_figures(po: Path = FIGURES_PO, words=None) -> tuple[int, int]:
    """Bring ``figures.po`` to the figure words of the chapters: a new word comes in
    untranslated, a word no chapter writes any more goes (no fuzzy matching: a changed word
    is a new one). Returns (added, removed); the file is rewritten only when it changes."""
    words = figure_words() if words is None else words
    template = figures_template(words)
    if po.exists():
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=LANGUAGE)
    else:
        catalog = figures_template({})
    before = [(m.id, list(m.locations)) for m in catalog if m.id]
    catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
    catalog.obsolete.clear()
    after = [(m.id, list(m.locations)) for m in catalog if m.id]
    old_ids, new_ids = {i for i, _ in before}, {i for i, _ in after}
    added, removed = len(new_ids - old_ids), len(old_ids - new_ids)
    if before != after or not po.exists():
        po.parent.mkdir(parents=True, exist_ok=True)
        with po.open("wb") as handle:
            write_po(handle, catalog, width=76, omit_header=False)
    return added, removed


def check_figures(po: Path = FIGURES_PO, words=None) -> list[str]:
    """What keeps ``figures.po`` from matching the chapters' figure words, translated."""
    words = figure_words() if words is None else words
    if not po.exists():
        return [f"{po.name}: no catalogue of the figure words (run make po)"]
    with po.open("rb") as handle:
        present = {m.id for m in read_po(handle) if m.id}
    problems = []
    new, gone = set(words) - present, present - set(words)
    if new or gone:
        problems.append(f"{po.name}: {len(new)} figure words not in the catalogue, "
                        f"{len(gone)} no longer drawn by any chapter (run make po)")
    return problems + translation_problems(po)


def extract(pot_dir: Path = POT_DIR) -> list[Path]:
    """Run Sphinx's gettext builder on the committed notebooks (no execution)."""
    config = ROOT / "_build" / "_config.gettext.yml"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "book_config.py"), "--execute", "off",
                    "-o", str(config)], check=True)
    out = ROOT / "_build" / "gettext_run"
    subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
                    "--config", str(config), "--builder", "custom", "--custom-builder",
                    "gettext", "--path-output", str(out), "-W", "-n", "--keep-going"],
                   check=True, stdout=subprocess.DEVNULL)
    built = out / "_build" / "gettext"
    if pot_dir.exists():
        for old in pot_dir.rglob("*.pot"):
            old.unlink()
    pot_dir.mkdir(parents=True, exist_ok=True)
    pots = []
    for pot in sorted(built.rglob("*.pot")):
        target = pot_dir / pot.relative_to(built)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pot.read_bytes())
        pots.append(target)
    return pots


def stale_entries(pot: Path, po: Path) -> tuple[set[str], set[str]]:
    """Messages the English has that the catalogue lacks, and the catalogue's leftovers."""
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with po.open("rb") as handle:
        present = {m.id for m in read_po(handle) if m.id}
    return wanted - present, present - wanted


def update(pots: list[Path]) -> None:
    subprocess.run([str(Path(sys.executable).parent / "sphinx-intl"), "update", "-p",
                    str(POT_DIR), "-l", LANGUAGE, "-d", str(LOCALES)], check=True,
                   stdout=subprocess.DEVNULL)
    # sphinx-intl keeps catalogues of pages that no longer exist; a removed page loses its own.
    wanted = {CATALOGUES / pot.relative_to(POT_DIR).with_suffix(".po") for pot in pots}
    for po in CATALOGUES.rglob("*.po"):
        if po not in wanted and po != FIGURES_PO:
            po.unlink()
            print(f"removed {po.relative_to(ROOT)}: its page is gone")
    for po in sorted(wanted):
        _drop_obsolete(po)


def _drop_obsolete(po: Path) -> None:
    """Remove ``#~`` entries (English since deleted): the fuzzy ones already show the old text."""
    with po.open("rb") as handle:
        catalog = read_po(handle)
    if catalog.obsolete:
        catalog.obsolete.clear()
        with po.open("wb") as handle:
            write_po(handle, catalog, width=76, omit_header=False)


def check(pots: list[Path]) -> list[str]:
    problems = []
    pages = {pot.relative_to(POT_DIR).with_suffix(".po") for pot in pots}
    present = {po.relative_to(CATALOGUES) for po in CATALOGUES.rglob("*.po")
               if po != FIGURES_PO}
    for missing in sorted(pages - present):
        problems.append(f"{missing}: no catalogue for this page (run make po)")
    for extra in sorted(present - pages):
        problems.append(f"{extra}: a catalogue for a page that does not exist")
    for pot in pots:
        po = CATALOGUES / pot.relative_to(POT_DIR).with_suffix(".po")
        if not po.exists():
            continue
        new, gone = stale_entries(pot, po)
        if new or gone:
            problems.append(f"{po.name}: {len(new)} English messages not in the catalogue, "
                            f"{len(gone)} no longer in the English (run make po)")
        problems.extend(translation_problems(po))
    problems.extend(check_figures())
    return problems


def print_stats() -> None:
    total = Counter()
    for po in sorted(CATALOGUES.rglob("*.po")):
        stats = catalogue_stats(po)
        total.update(stats)
        flag = "" if not (stats["fuzzy"] or stats["untranslated"]) else "   <- to translate"
        print(f"{po.relative_to(CATALOGUES)}: {stats['translated']} translated, "
              f"{stats['fuzzy']} fuzzy, {stats['untranslated']} untranslated{flag}")
    print(f"all: {total['translated']} translated, {total['fuzzy']} fuzzy, "
          f"{total['untranslated']} untranslated")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("po", help="extract and update the catalogues, then show what to translate")
    sub.add_parser("check", help="fail on anything missing, untranslated, fuzzy or broken")
    lint = sub.add_parser("lint", help="check the markup of translations")
    lint.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "lint":
        report = [line for path in args.files for line in lint_file(path)]
        print("\n".join(report) or "markup consistent")
        return 1 if report else 0
    pots = extract()
    if args.command == "po":
        update(pots)
        added, removed = update_figures()
        print(f"{FIGURES_PO.relative_to(ROOT)}: {added} new figure words, {removed} gone")
        print_stats()
        return 0
    problems = check(pots)
    print("\n".join(problems)
          or f"{len(pots)} page catalogues and {FIGURES_PO.name} complete and consistent")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
