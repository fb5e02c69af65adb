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

A translation must keep what Sphinx and MyST read as structure: inline code, math, roles
(``{ref}``, ``{cite}``, ``{py:class}``, ...), link targets and footnote references, each
exactly as in the English. Otherwise the Chinese build warns (an inconsistent reference) or,
worse, silently shows a broken formula; ``lint`` finds those before a build does.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "book" / "locales"
LANGUAGE = "zh_CN"
CATALOGUES = LOCALES / LANGUAGE / "LC_MESSAGES"
POT_DIR = ROOT / "_build" / "gettext"

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
        if po not in wanted:
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
    present = {po.relative_to(CATALOGUES) for po in CATALOGUES.rglob("*.po")}
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
        stats = catalogue_stats(po)
        if stats["fuzzy"] or stats["untranslated"]:
            problems.append(f"{po.name}: {stats['untranslated']} untranslated, "
                            f"{stats['fuzzy']} fuzzy")
        problems.extend(lint_file(po))
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
        print_stats()
        return 0
    problems = check(pots)
    print("\n".join(problems) or f"{len(pots)} catalogues complete and consistent")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
