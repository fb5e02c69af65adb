#!/usr/bin/env bash
# mmlearn's own message catalogue (widget feedback, playground labels, plot words; see
# mmlearn/_i18n.py), for a translator to run after the English messages change:
#
#   scripts/widget_messages.sh   1. extract every _("...") and N_("...") of mmlearn/widgets
#                                   (answer keys included) and mmlearn/viz into
#                                   mmlearn/locales/mmlearn.pot (pybabel extract);
#                                2. update mmlearn/locales/zh_CN/LC_MESSAGES/mmlearn.po from it
#                                   (pybabel update: new messages empty, changed ones fuzzy);
#                                3. compile the .po into mmlearn.mo beside it (fuzzy and empty
#                                   entries left out, so they stay English), and list what
#                                   still needs a translator; exit 1 if a translation uses a
#                                   {field} its English does not.
#
# Translate what is empty or marked "#, fuzzy" in the .po (keep every {field} and markup such
# as <code>, and delete the fuzzy flag), then run it again. tests/test_i18n.py fails on an
# untranslated or fuzzy entry, or a .mo that does not match its .po.
#
# Step 3 is babel's own write_mo (what `pybabel compile` calls) without pybabel's %-format
# check: Babel takes "80% of" for a %-placeholder ("% o"), and mmlearn formats with
# str.format only, so the {field} check below replaces it.
# The book's pages have their catalogues elsewhere (scripts/book_i18n.py).
set -euo pipefail

cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
PYTHON=${PYTHON:-.venv/bin/python}
LOCALES=mmlearn/locales
POT=$LOCALES/mmlearn.pot
LOCALE=zh_CN
PO=$LOCALES/$LOCALE/LC_MESSAGES/mmlearn.po

mkdir -p "$LOCALES"
# babel skips folders whose names start with "_" unless they are named: hence _keys
"$PYBABEL" extract --no-default-keywords -k _ -k N_ --add-location=file --sort-by-file \
    --project=mmlearn --version="$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)" \
    --copyright-holder="The mmlearn authors" -w 79 -o "$POT" \
    mmlearn/widgets mmlearn/widgets/_keys mmlearn/viz
if [ -f "$PO" ]; then
    "$PYBABEL" update -D mmlearn -l "$LOCALE" -i "$POT" -d "$LOCALES" -w 79 --ignore-obsolete
else
    "$PYBABEL" init -D mmlearn -l "$LOCALE" -i "$POT" -d "$LOCALES" -w 79
fi

"$PYTHON" - "$PO" <<'PY'
import string
import sys

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


def fields(text):
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


po = sys.argv[1]
with open(po, "rb") as f:
    catalog = read_po(f)
messages = [m for m in catalog if m.id]
todo = [m for m in messages if not m.string or m.fuzzy]
bad = [m for m in messages if m.string and not fields(m.string) <= fields(m.id)]
with open(po[:-3] + ".mo", "wb") as f:
    write_mo(f, catalog, use_fuzzy=False)
print(f"{len(messages) - len(todo)} of {len(messages)} messages translated; compiled "
      f"{po[:-3]}.mo")
for m in todo:
    print(f"  {'fuzzy' if m.fuzzy else 'untranslated'}: {m.id[:70]!r}")
for m in bad:
    print(f"  placeholders: {m.id[:50]!r} has {sorted(fields(m.id))}, its translation "
          f"{sorted(fields(m.string))}")
sys.exit(1 if bad else 0)
PY
