"""Each chapter reads as a course: cells a student can follow, no selection on the test set.

The issue "The book as a course" asks for cells of one step each (about 30 lines, 32 at most),
code that fits the page (79 characters; the browser test checks the rendered width too) and
sound method: a model, an epoch count or a threshold is chosen on a validation split carved
from the training data, never on the test set, which is scored once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
CHAPTERS = sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))
MAX_CELL_LINES = 32          # "about 30 lines": a class that reads as one piece may take 32
MAX_LINE = 79
# fit(..., validation_data=(x_test, y_test)) or EarlyStopping fed by the test set.
TEST_AS_VALIDATION = re.compile(r"validation_data\s*=\s*[(\[]?\s*[\w\[\]\"']*test", re.I)


def _code_cells(path: Path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(i, "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_code_cells_are_one_step_each(path):
    long = [f"cell {i}: {len(src.splitlines())} lines" for i, src in _code_cells(path)
            if len(src.splitlines()) > MAX_CELL_LINES]
    assert not long, f"{path.name}: split these into steps of <= {MAX_CELL_LINES} lines: {long}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_code_fits_the_page(path):
    wide = [f"cell {i}: {line.strip()[:50]!r}... ({len(line)} characters)"
            for i, src in _code_cells(path) for line in src.splitlines() if len(line) > MAX_LINE]
    assert not wide, f"{path.name}: wrap at {MAX_LINE} characters:\n" + "\n".join(wide)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_nothing_is_selected_on_the_test_set(path):
    found = [f"cell {i}: {m.group()!r}" for i, src in _code_cells(path)
             for m in TEST_AS_VALIDATION.finditer(src)]
    assert not found, (f"{path.name} validates on the test set; carve a validation split from "
                       f"the training data and score the test set once: {found}")


def test_the_pattern_catches_test_set_selection():
    assert TEST_AS_VALIDATION.search("fit(x, y, validation_data=(x_test, y_test))")
    assert TEST_AS_VALIDATION.search("validation_data=(X_test, y_test)")
    assert not TEST_AS_VALIDATION.search("validation_data=(x_val, y_val)")
