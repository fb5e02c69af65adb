"""mmlearn._i18n: the active language and its checks, the message catalogue (every marked
message extracted, translated, with the same {fields}; the .mo compiled from the .po), and
the CJK font a Chinese figure is drawn in. Widget behaviour in Chinese is in
tests/test_widgets.py, the Voilà case in tests/test_widgets_browser.py.

tests/conftest.py puts every test back in English.
"""

from __future__ import annotations

import inspect
import io
import re
import string
import warnings
from pathlib import Path

import matplotlib
import pytest
from _figures import plt
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import mmlearn as mm
from mmlearn import _i18n
from mmlearn.viz import _fonts

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mmlearn"
LOCALES = PACKAGE / "locales"
PO = LOCALES / "zh_CN" / "LC_MESSAGES" / "mmlearn.po"
MO = PO.with_suffix(".mo")
POT = LOCALES / "mmlearn.pot"
# what scripts/widget_messages.sh extracts (babel skips folders named _*: _keys is named)
SOURCES = [PACKAGE / "widgets", PACKAGE / "widgets" / "_keys", PACKAGE / "viz"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _catalogue(path: Path):
    with open(path, "rb") as f:
        return read_po(f)


def _marked() -> set[str]:
    """Every string the code marks with _() or N_() (what pybabel extract finds)."""
    found = set()
    for folder in SOURCES:
        for _file, _line, message, _comments, _context in extract_from_dir(
                str(folder), keywords={"_": None, "N_": None}):
            found.add(message)
    return found


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


# -- the language ------------------------------------------------------------------------------
@pytest.mark.parametrize("spelling, language", [("en", "en"), ("zh", "zh"), ("zh_CN", "zh"),
                                                ("zh-CN", "zh")])
def test_set_language_accepts_the_four_spellings(spelling, language):
    mm.widgets.set_language(spelling)
    assert mm.widgets.get_language() == language
    assert mm.viz.get_language() == language           # one switch for widgets and plots


@pytest.mark.parametrize("bad", ["fr", "ZH", "zh_TW", "english", "", None, 1, ["zh"]])
def test_set_language_refuses_anything_else_and_says_what_it_got(bad):
    mm.widgets.set_language("zh")
    with pytest.raises(ValueError) as info:
        mm.widgets.set_language(bad)
    message = str(info.value)
    assert message.startswith("set_language: language must be one of 'en', 'zh', 'zh_CN', "
                              "'zh-CN', got ")
    assert message.endswith(repr(bad))
    assert mm.widgets.get_language() == "zh"           # a refused value changes nothing


@pytest.mark.parametrize("value, language", [("zh_CN", "zh"), ("zh", "zh"), ("en", "en"),
                                             ("", "en"), ("  zh-CN ", "zh")])
def test_the_first_language_comes_from_the_environment(monkeypatch, value, language):
    monkeypatch.setenv("MMLEARN_LANGUAGE", value)
    assert _i18n._initial_language() == language


def test_an_unknown_environment_language_warns_and_stays_english(monkeypatch):
    monkeypatch.setenv("MMLEARN_LANGUAGE", "klingon")
    with pytest.warns(RuntimeWarning, match="MMLEARN_LANGUAGE: language must be one of"):
        assert _i18n._initial_language() == "en"
    monkeypatch.delenv("MMLEARN_LANGUAGE")
    assert _i18n._initial_language() == "en"


def test_gettext_is_the_identity_in_english_and_the_catalogue_in_chinese():
    assert _i18n.gettext("Check") == "Check"
    assert _i18n._ is _i18n.gettext and _i18n.N_("Check") == "Check"
    mm.widgets.set_language("zh")
    assert _i18n.gettext("Check") == "检查"
    assert _i18n.gettext("no such message") == "no such message"
    assert _i18n.gettext("") == ""
    assert _i18n.translate_values({"a": "Check", "b": "{value} is too high."}) == {
        "a": "检查", "b": "{value} 太大了。"}


def test_a_missing_catalogue_warns_and_keeps_english(monkeypatch, tmp_path):
    monkeypatch.setattr(_i18n, "LOCALE_DIR", tmp_path)
    monkeypatch.setitem(_i18n._state, "translations", {})
    mm.widgets.set_language("zh")
    with pytest.warns(RuntimeWarning, match="no zh_CN message catalogue"):
        assert _i18n.gettext("Check") == "Check"


# -- the catalogue -----------------------------------------------------------------------------
def test_every_marked_message_is_in_the_catalogue_and_translated():
    marked = _marked()
    catalogue = _catalogue(PO)
    entries = {m.id: m for m in catalogue if m.id}
    assert len(marked) >= 250
    missing = sorted(marked - set(entries))
    assert not missing, f"not in {PO.name} (run scripts/widget_messages.sh): {missing[:5]}"
    stale = sorted(set(entries) - marked)
    assert not stale, f"in {PO.name} but no longer in the code: {stale[:5]}"
    untranslated = [m.id for m in entries.values() if not m.string]
    fuzzy = [m.id for m in entries.values() if m.fuzzy]
    assert not untranslated, f"untranslated: {untranslated[:5]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:5]}"
    assert {m.id for m in _catalogue(POT) if m.id} == marked


def test_every_translation_keeps_the_fields_of_its_english():
    wrong = [(m.id, m.string) for m in _catalogue(PO)
             if m.id and _fields(m.id) != _fields(m.string)]
    assert not wrong


def test_every_translation_is_chinese():
    latin_only = [m.id for m in _catalogue(PO) if m.id and not CJK.search(m.string)]
    assert not latin_only, latin_only


def test_the_mo_is_the_po_compiled():
    buffer = io.BytesIO()
    write_mo(buffer, _catalogue(PO), use_fuzzy=False)
    assert buffer.getvalue() == MO.read_bytes(), \
        f"{MO.name} is out of date: run scripts/widget_messages.sh"


def test_the_package_data_ships_the_catalogue():
    pyproject = (ROOT / "pyproject.toml").read_text()
    section = pyproject.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]
    for pattern in ("locales/*.pot", "locales/*/LC_MESSAGES/*.po",
                    "locales/*/LC_MESSAGES/*.mo"):
        assert pattern in section
        assert list(PACKAGE.glob(pattern)), pattern


def _word_defaults() -> list[tuple[str, str]]:
    """(function, default) for every word a public plot's signature gives as a default
    label, title or caption (text outside $...$ with a word of two letters or more)."""
    found = []
    for name in mm.viz.__all__:
        function = getattr(mm.viz, name)
        if not inspect.isfunction(function) or function.__module__ == "mmlearn._i18n":
            continue
        for parameter in inspect.signature(function).parameters.values():
            if not re.search(r"label|title|caption", parameter.name):
                continue
            default = parameter.default
            texts = default if isinstance(default, tuple) else (default,)
            for text in texts:
                if isinstance(text, str) and re.search(r"[A-Za-z]{2}",
                                                       re.sub(r"\$[^$]*\$", "", text)):
                    found.append((name, text))
    return found


def test_every_default_word_of_a_plot_is_in_the_catalogue():
    defaults = _word_defaults()
    assert ("plot_roc", "false positive rate") in defaults and len(defaults) >= 15
    msgids = {m.id for m in _catalogue(PO) if m.id}
    assert [d for d in defaults if d[1] not in msgids] == []


# -- plots in Chinese --------------------------------------------------------------------------
def test_english_plots_leave_matplotlib_settings_alone():
    keys = ("font.family", "font.sans-serif", "axes.unicode_minus")
    before = {k: matplotlib.rcParams[k] for k in keys}
    mm.viz.plot_roc([0, 1, 0, 1], [0.1, 0.9, 0.4, 0.3])
    assert {k: matplotlib.rcParams[k] for k in keys} == before
    mm.widgets.set_language("zh")
    mm.viz.plot_roc([0, 1, 0, 1], [0.1, 0.9, 0.4, 0.3])
    assert matplotlib.rcParams["axes.unicode_minus"] is False
    mm.widgets.set_language("en")                      # restored at once (pyplot is loaded)
    assert {k: matplotlib.rcParams[k] for k in keys} == before


def test_a_chinese_figure_uses_the_cjk_font():
    font = _fonts._installed_cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (scripts/system_deps.sh installs "
                    "fonts-wqy-microhei)")
    _, ax = plt.subplots()                  # made before the switch: its texts follow too
    mm.viz.set_language("zh")
    mm.viz.plot_roc([0, 1, 0, 1], [0.1, 0.9, 0.4, 0.3], ax=ax)
    assert ax.get_xlabel() == "假正例率"
    assert ax.get_legend().get_texts()[-1].get_text() == "随机猜测"
    from matplotlib import font_manager

    for text in (ax.xaxis.label, ax.get_legend().get_texts()[-1]):
        path = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
        assert font_manager.get_font(path).family_name == font
    assert matplotlib.rcParams["axes.unicode_minus"] is False
    assert font == "WenQuanYi Micro Hei" or font in _fonts.CJK_FONTS


def test_without_a_cjk_font_a_chinese_figure_warns_once(monkeypatch):
    monkeypatch.setattr(_fonts, "_installed_cjk_font", lambda: None)
    monkeypatch.setitem(_fonts._state, "warned", False)
    with pytest.warns(RuntimeWarning, match="no CJK font found.*fonts-wqy-microhei"):
        mm.viz.set_language("zh")                      # pyplot is loaded: fonts set now
    assert matplotlib.rcParams["axes.unicode_minus"] is False
    mm.viz.set_language("en")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mm.viz.set_language("zh")                      # the second time: no warning
        mm.viz.plot_activation("relu")


def test_a_chinese_plot_has_chinese_words_and_keeps_the_notation():
    mm.viz.set_language("zh")
    ax = mm.viz.plot_decision_boundary(lambda X: X[:, 0], [[0.0, 0.0], [1.0, 1.0]], [0, 1])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("$x_1$", "$x_2$")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["类别 0", "类别 1"]
    axes = mm.viz.plot_modalities([[0.0, 1.0]], [0.0, 1.0, 0.5], [[0.0, 1.0]])
    assert [a.get_title() for a in axes] == ["图像", "音频", "频谱图"]
    # a word the catalogue does not know is drawn as given
    ax = mm.viz.plot_roc([0, 1], [0.2, 0.8], xlabel="my own label")
    assert ax.get_xlabel() == "my own label"


# -- the words a notebook writes on its own figures (MMLEARN_FIGURE_WORDS) ---------------------
FIGURE_WORDS = {"XOR: mistakes per epoch": "XOR：每轮次的错误数",
                "mistakes in the epoch": "本轮次中的错误数",
                "training loss": "训练损失", "the first step, $\\epsilon = 10^{-7}$":
                "第一步，$\\epsilon = 10^{-7}$"}


@pytest.fixture
def figure_words(monkeypatch, tmp_path):
    """A small compiled figure-words catalogue, named by MMLEARN_FIGURE_WORDS."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="zh_CN", domain="figures")
    for english, chinese in FIGURE_WORDS.items():
        catalog.add(english, chinese)
    mo = tmp_path / "figures.mo"
    with open(mo, "wb") as f:
        write_mo(f, catalog)
    monkeypatch.setenv(_i18n.FIGURE_WORDS_VARIABLE, str(mo))
    monkeypatch.setitem(_i18n._state, "figure_words", {})
    return mo


def _figure_with_words():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0], label="training loss")
    ax.plot([0, 1], [0, 1], label="a word nobody translated")
    ax.set_title("XOR: mistakes per epoch")
    ax.set_xlabel("mistakes in the epoch")
    ax.set_ylabel("the first step, $\\epsilon = 10^{-7}$")
    ax.legend()
    return fig, ax


def _words(ax) -> list[str]:
    return [ax.get_title(), ax.get_xlabel(), ax.get_ylabel(),
            *[t.get_text() for t in ax.get_legend().get_texts()]]


def test_a_chinese_figure_is_printed_with_its_figure_words(figure_words):
    mm.widgets.set_language("zh")
    fig, ax = _figure_with_words()
    assert ax.get_title() == "XOR: mistakes per epoch"          # the code's words, until...
    fig.savefig(io.BytesIO(), format="png")                     # ...it is printed
    assert _words(ax) == ["XOR：每轮次的错误数", "本轮次中的错误数",
                          "第一步，$\\epsilon = 10^{-7}$", "训练损失", "a word nobody translated"]
    # mmlearn's own catalogue is read first, then the figure words
    ax.set_xlabel("false positive rate")
    fig.savefig(io.BytesIO(), format="png")
    assert ax.get_xlabel() == "假正例率"


def test_tick_labels_given_as_words_are_printed_in_chinese(figure_words):
    """Tick labels are remade from their formatter at every draw: both ways a chapter can
    give them words (``set_yticks(ticks, labels=...)``, ``set_xticklabels``) follow."""
    mm.widgets.set_language("zh")
    fig, ax = plt.subplots()
    ax.set_yticks([0, 1], labels=["training loss", "a word nobody translated"])
    ax.set_xticks([0, 1])
    ax.set_xticklabels(["XOR: mistakes per epoch", "1"])
    fig.savefig(io.BytesIO(), format="png")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["训练损失",
                                                            "a word nobody translated"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["XOR：每轮次的错误数", "1"]


def test_an_english_figure_keeps_its_words_and_print_figure(figure_words):
    from matplotlib.backend_bases import FigureCanvasBase

    original = FigureCanvasBase.__dict__["print_figure"]
    fig, ax = _figure_with_words()
    before = _words(ax)
    fig.savefig(io.BytesIO(), format="png")
    assert _words(ax) == before
    mm.widgets.set_language("zh")
    assert FigureCanvasBase.__dict__["print_figure"] is not original      # wrapped, once
    wrapped = FigureCanvasBase.__dict__["print_figure"]
    mm.widgets.set_language("zh")
    assert FigureCanvasBase.__dict__["print_figure"] is wrapped
    mm.widgets.set_language("en")                                       # back: unwrapped
    assert FigureCanvasBase.__dict__["print_figure"] is original
    fig.savefig(io.BytesIO(), format="png")
    assert _words(ax) == before


@pytest.mark.parametrize("content", [None, b"not a catalogue"])
def test_an_unreadable_figure_words_file_warns_once_and_keeps_english(monkeypatch, tmp_path,
                                                                      content):
    path = tmp_path / "figures.mo"
    if content is not None:
        path.write_bytes(content)
    monkeypatch.setenv(_i18n.FIGURE_WORDS_VARIABLE, str(path))
    monkeypatch.setitem(_i18n._state, "figure_words", {})
    mm.widgets.set_language("zh")
    fig, ax = _figure_with_words()
    with pytest.warns(RuntimeWarning, match="cannot read the figure words catalogue"):
        fig.savefig(io.BytesIO(), format="png")
    assert ax.get_title() == "XOR: mistakes per epoch"
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                  # once only
        fig.savefig(io.BytesIO(), format="png")
    assert ax.get_xlabel() == "mistakes in the epoch"


def test_a_session_without_figure_words_translates_only_mmlearn_words(monkeypatch):
    monkeypatch.delenv(_i18n.FIGURE_WORDS_VARIABLE, raising=False)
    mm.widgets.set_language("zh")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _i18n.translate_figure_text("XOR: training loss") == "XOR: training loss"
        assert _i18n.translate_figure_text("false positive rate") == "假正例率"
    mm.widgets.set_language("en")
    assert _i18n.translate_figure_text("false positive rate") == "false positive rate"
