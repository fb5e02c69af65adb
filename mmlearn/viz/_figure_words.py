"""The words a notebook writes on its own figures, drawn in the active language.

A chapter's code writes English on its figures (``ax.set_title("XOR: mistakes per epoch")``,
``label="train"``); the code and its English outputs must stay as they are. In a language
other than English, :func:`follow_language` wraps matplotlib's
``FigureCanvasBase.print_figure`` (what ``savefig`` and the notebook's inline backend both
go through), once: before a figure is printed, every ``Text`` in it (titles, axis labels,
legend entries, annotations, ``fig.suptitle``) and every fixed tick label whose whole string
has a translation gets it (:func:`mmlearn._i18n.translate_figure_text`: mmlearn's catalogue,
then the figure words of ``MMLEARN_FIGURE_WORDS``), and the language's font is set. Back in
English the original ``print_figure`` is put back; an English session never wraps it, so
English figures are exactly matplotlib's.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

from mmlearn import _i18n
from mmlearn.viz._fonts import use_language_font

__all__ = ["follow_language", "translate_figure"]

_state: dict = {"original": None}


def translate_figure(figure: Any) -> None:
    """Put the active language's words on ``figure``'s texts, in place (a text without a
    translation, or in English every text, is left as it is)."""
    from matplotlib.text import Text

    for text in figure.findobj(Text):
        words = text.get_text()
        translated = _translated(words)
        if translated != words:
            text.set_text(translated)
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis, getattr(ax, "zaxis", None)):
            if axis is not None:
                _translate_tick_words(axis)


def _translate_tick_words(axis: Any) -> None:
    """Tick labels are remade from their formatter at every draw, so the words go there: a
    ``FixedFormatter`` (``set_xticklabels``) holds them in ``seq``, and
    ``set_xticks(..., labels=...)`` makes a ``FuncFormatter`` over a dict of them
    (matplotlib's ``_format_with_dict``)."""
    from matplotlib.ticker import FixedFormatter

    for formatter in (axis.get_major_formatter(), axis.get_minor_formatter()):
        if isinstance(formatter, FixedFormatter):
            formatter.seq = [_translated(label) for label in formatter.seq]
        func = getattr(formatter, "func", None)
        if (isinstance(func, functools.partial) and func.args
                and getattr(func.func, "__name__", "") == "_format_with_dict"
                and isinstance(func.args[0], dict)):
            labels = func.args[0]
            labels.update({loc: _translated(label) for loc, label in labels.items()})


def _translated(label: Any) -> Any:
    return _i18n.translate_figure_text(label) if isinstance(label, str) else label


def _wrap(print_figure):
    @functools.wraps(print_figure)
    def print_figure_in_language(self, *args, **kwargs):
        if _i18n.get_language() != "en":
            use_language_font()
            translate_figure(self.figure)
        return print_figure(self, *args, **kwargs)

    print_figure_in_language.__mmlearn_original__ = print_figure
    return print_figure_in_language


def follow_language(language: str | None = None) -> None:
    """Wrap ``print_figure`` in a language other than English (importing matplotlib, when it
    is installed), unwrap it in English (only if wrapped: nothing is imported)."""
    language = language or _i18n.get_language()
    if language == "en":
        original = _state["original"]
        if original is not None:
            sys.modules["matplotlib.backend_bases"].FigureCanvasBase.print_figure = original
            _state["original"] = None
        return
    if _state["original"] is not None:
        return
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:  # no matplotlib: there is nothing to draw
        return
    original = FigureCanvasBase.print_figure
    FigureCanvasBase.print_figure = _wrap(original)
    _state["original"] = original


# Follow every set_language from now on, and a session that starts in another language
# (MMLEARN_LANGUAGE) at once.
_i18n.on_language_change(follow_language)
if _i18n.get_language() != "en":
    follow_language()
