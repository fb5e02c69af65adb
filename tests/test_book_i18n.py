"""scripts/book_i18n.py, the Chinese edition's catalogue tool: the markup lint that stops a
translation from breaking a formula, a role or a link, and the counts of what a translator
still has to do. (The real catalogues are checked by tests/test_book_build.py, which runs
``book_i18n.py check``; these tests prove the checks can fail.)"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "book_i18n.py"


@pytest.fixture(scope="module")
def i18n():
    spec = importlib.util.spec_from_file_location("book_i18n", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["book_i18n"] = module
    spec.loader.exec_module(module)
    return module


GOOD = [
    ("The neuron computes $y = f(w x + b)$ with `mm.layers.Dense`.",
     "神经元用 `mm.layers.Dense` 计算 $y = f(w x + b)$。"),
    ("See {doc}`chapter 4 <04_neuron_math>` and {cite}`c4-rosenblatt1958`.",
     "参见 {doc}`第 4 章 <04_neuron_math>` 和 {cite}`c4-rosenblatt1958`。"),
    ("Read [the seed](https://example.org/seed) first[^1].",
     "先读[种子文章](https://example.org/seed)[^1]。"),
    ("A **bold** word.", "一个**加粗**的词。"),
]

BAD = [
    # a formula changed, dropped, or its code renamed
    ("The neuron computes $y = f(w x + b)$.", "神经元计算 $y = f(wx)$。", "math"),
    ("Call `mm.set_seed(0)` first.", "先调用 `mm.set_seed(1)`。", "code"),
    ("Use `fit`.", "使用 fit。", "code"),
    # a role's target changed (its text may be translated, not where it points)
    ("See {doc}`chapter 4 <04_neuron_math>`.", "参见 {doc}`第 4 章 <05_project_practice>`。",
     "role"),
    ("As {cite}`c4-rosenblatt1958` showed.", "正如文献所示。", "role"),
    # a link target or a footnote lost, a bold left open
    ("Read [the seed](https://example.org/seed).", "阅读[种子文章](https://example.org)。",
     "link"),
    ("True[^1].", "正确。", "footnote"),
    ("A **bold** word.", "一个**加粗的词。", "unpaired"),
]


@pytest.mark.parametrize("msgid, msgstr", GOOD)
def test_a_faithful_translation_passes_the_lint(i18n, msgid, msgstr):
    assert i18n.lint_message(msgid, msgstr) == []


@pytest.mark.parametrize("msgid, msgstr, kind", BAD)
def test_a_translation_that_breaks_markup_is_reported(i18n, msgid, msgstr, kind):
    problems = i18n.lint_message(msgid, msgstr)
    assert problems, f"not caught: {msgstr!r}"
    assert any(kind in problem for problem in problems), problems


def test_an_untranslated_message_is_not_a_markup_problem(i18n):
    """Empty translations are counted as untranslated (below), not linted."""
    assert i18n.lint_message("Use `fit`.", "") == []


PO = '''msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"

msgid "Neuron"
msgstr "神经元"

#, fuzzy
msgid "Activation function"
msgstr "激活"

msgid "Backpropagation"
msgstr ""

msgid "Uses `fit`."
msgstr "使用 fit。"
'''


def test_catalogue_stats_count_what_a_translator_must_do(i18n, tmp_path):
    po = tmp_path / "page.po"
    po.write_text(PO, encoding="utf-8")
    assert i18n.catalogue_stats(po) == {"translated": 2, "fuzzy": 1, "untranslated": 1}
    report = i18n.lint_file(po)
    assert len(report) == 1 and "fit" in report[0] and "page.po" in report[0]


def test_stale_entries_name_new_and_removed_english(i18n, tmp_path):
    pot = tmp_path / "page.pot"
    pot.write_text('msgid ""\nmsgstr ""\n\nmsgid "Neuron"\nmsgstr ""\n\n'
                   'msgid "Fusion"\nmsgstr ""\n', encoding="utf-8")
    po = tmp_path / "page.po"
    po.write_text(PO, encoding="utf-8")
    new, gone = i18n.stale_entries(pot, po)
    assert new == {"Fusion"}
    assert gone == {"Activation function", "Backpropagation", "Uses `fit`."}


# -- the figure words (figures.po): what the chapters' code writes on its figures -----------
FIGURE_CODE = '''%matplotlib inline
fig, ax = plt.subplots()
ax.plot(x, y, "o-", label="train")
ax.plot(x, z, label=name)                       # a name: not a word the code spells
ax.set_title("XOR: mistakes per epoch")
ax.set(xlabel="epoch", ylabel="$x_1$")          # no word of two letters: left out
fig.suptitle(f"seed {seed}")                    # an f-string: left out
ax.legend(["train", "validation"])
mm.viz.plot_seed_spread(acc, ax=ax, title="by case", labels=("text", "image"))
ax.text(0.5, 0.5, "the line", fontsize=8)
viz.plot_history(h, references={"expected ceiling": 0.8, key: 0.5}, names=["chance"],
                 ceiling_label="text only")
model.fit({"image": x}, y, verbose=0)           # a dict given to no plot: left out
names = ["plain", "modality dropout"]           # labels kept in a variable named for them
sizes = [32, "not labels"]                      # a variable named otherwise: left out
print("not a figure word")
'''


def test_the_figure_words_of_a_code_cell(i18n):
    assert i18n.code_figure_words(FIGURE_CODE) == [
        "train", "XOR: mistakes per epoch", "epoch", "validation", "by case", "text", "image",
        "the line", "text only", "expected ceiling", "chance", "plain", "modality dropout"]
    assert i18n.code_figure_words("this is not python (") == []


def test_the_figure_words_of_a_notebook_skip_markdown_and_keep_cell_ids(i18n, tmp_path):
    notebook = {"cells": [
        {"cell_type": "markdown", "id": "m1", "source": 'ax.set_title("prose")'},
        {"cell_type": "code", "id": "c1", "source": FIGURE_CODE.splitlines(keepends=True)},
        {"cell_type": "code", "id": "c2", "source": 'plt.xlabel("epoch")\n!ls\n'},
    ]}
    found = i18n.notebook_figure_words(notebook)
    assert found[:2] == [("train", "c1"), ("XOR: mistakes per epoch", "c1")]
    assert found[-1] == ("epoch", "c2") and all(word != "prose" for word, _ in found)
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    words = i18n.figure_words([path])
    assert words["epoch"] == [("nb.ipynb#c1", None), ("nb.ipynb#c2", None)]


def test_the_book_s_figure_words_come_from_its_chapters(i18n):
    words = i18n.figure_words()
    assert ("book/04_neuron_math.ipynb" in
            {where.split("#")[0] for where, _ in words["XOR: mistakes per epoch"]})
    assert i18n.toc_notebooks()[0].name == "01_background.ipynb"


def test_figures_po_follows_the_figure_words_and_check_holds_it(i18n, tmp_path):
    po = tmp_path / "figures.po"
    words = {"epoch": [("a.ipynb#c1", None)], "training loss": [("a.ipynb#c2", None)]}
    assert i18n.update_figures(po, words) == (2, 0)
    problems = i18n.check_figures(po, words)
    assert problems == ["figures.po: 2 untranslated, 0 fuzzy"]
    text = po.read_text(encoding="utf-8").replace(
        'msgid "epoch"\nmsgstr ""', 'msgid "epoch"\nmsgstr "轮次"').replace(
        'msgid "training loss"\nmsgstr ""', 'msgid "training loss"\nmsgstr "训练损失"')
    po.write_text(text, encoding="utf-8")
    assert i18n.check_figures(po, words) == []
    # a word no chapter draws any more goes, a new one comes in untranslated
    words = {"epoch": [("a.ipynb#c1", None)], "test accuracy": [("a.ipynb#c3", None)]}
    assert i18n.check_figures(po, words)[0].startswith(
        "figures.po: 1 figure words not in the catalogue, 1 no longer drawn")
    assert i18n.update_figures(po, words) == (1, 1)
    assert i18n.catalogue_stats(po) == {"translated": 1, "fuzzy": 0, "untranslated": 1}
    assert i18n.check_figures(tmp_path / "none.po", words)[0].startswith("none.po: no")
