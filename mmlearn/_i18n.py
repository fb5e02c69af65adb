"""The language mmlearn speaks to a reader: widget feedback, playground labels, plot words.

English is the source language: every message is written in English in the code, and an
English session never looks anything up (``gettext`` returns its argument itself), so
English output is exactly what the code says. Other languages come from a gettext
catalogue, ``mmlearn/locales/<locale>/LC_MESSAGES/mmlearn.mo``, compiled from the ``.po``
beside it (``scripts/widget_messages.sh`` extracts, updates and compiles it)::

    import mmlearn as mm
    mm.widgets.set_language("zh")       # or "zh_CN", "zh-CN"; back with "en"
    mm.widgets.exercise("ch4-weight-scaling")   # question, options and feedback in Chinese

The language a session starts in comes from the environment variable ``MMLEARN_LANGUAGE``
when it is set (so a Voilà server or the Chinese book's build can choose it), else English.

The words a notebook writes on its own figures (``ax.set_title("XOR: mistakes per epoch")``,
``label="train"``) are not mmlearn's messages. For them a session can name one more compiled
catalogue, in the environment variable ``MMLEARN_FIGURE_WORDS`` (the path of a ``.mo`` for
the active language; the Chinese book's build compiles ``book/locales/zh_CN/LC_MESSAGES/
figures.po`` and sets it, see scripts/book_zh.py). In a language other than English,
``mmlearn.viz`` then translates the words of every figure as it is printed (saved, or shown
by the notebook's inline backend): each text whose whole string has a translation, in
mmlearn's catalogue first, then in that one (:func:`translate_figure_text`). The code and
its English output stay as they are; in English nothing is looked up or changed. A file
that is missing or not a catalogue warns once and the words stay English.

How the code marks its messages: ``_("...")`` translates now; ``N_("...")`` only marks a
string for extraction (a class's message templates, defaults), to be translated with
``_()`` where it is used. A template is translated first and formatted after:
``_("{value} is too high.").format(value=...)``.

The ground floor: imports nothing of mmlearn's.
"""

from __future__ import annotations

import gettext as _gettext
import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["N_", "_", "get_language", "gettext", "on_language_change", "set_language",
           "translate_figure_text", "translate_values"]

#: The spellings ``set_language`` accepts, and the language each one means.
LANGUAGES = {"en": "en", "zh": "zh", "zh_CN": "zh", "zh-CN": "zh"}
#: The environment variable a session's first language is read from.
ENVIRONMENT_VARIABLE = "MMLEARN_LANGUAGE"
#: The environment variable naming the compiled catalogue (.mo) of a book's figure words.
FIGURE_WORDS_VARIABLE = "MMLEARN_FIGURE_WORDS"
DOMAIN = "mmlearn"
LOCALE_DIR = Path(__file__).resolve().parent / "locales"
#: The catalogue's locale for each language other than English.
CATALOGUE_LOCALES = {"zh": "zh_CN"}

_state: dict = {"language": "en", "translations": {}, "figure_words": {}}
_listeners: list[Callable[[str], None]] = []


def _canonical(language: object, who: str) -> str:
    if isinstance(language, str) and language in LANGUAGES:
        return LANGUAGES[language]
    accepted = ", ".join(repr(name) for name in LANGUAGES)
    raise ValueError(f"{who}: language must be one of {accepted}, got {language!r}")


def set_language(language: str) -> None:
    """Speak ``language`` from now on: ``"en"`` (English, the default) or ``"zh"`` (also
    ``"zh_CN"``, ``"zh-CN"``; Simplified Chinese).

    It applies to what is built or drawn afterwards: an exercise made by
    ``mmlearn.widgets.exercise`` speaks the language active when it was made, and a plot
    of ``mmlearn.viz`` the one active when it is drawn (in Chinese with a CJK font, when
    one is installed). Anything else raises ``ValueError``.
    """
    canonical = _canonical(language, "set_language")
    _state["language"] = canonical
    for listener in list(_listeners):
        listener(canonical)


def get_language() -> str:
    """The active language: ``"en"`` or ``"zh"``."""
    return _state["language"]


def on_language_change(listener: Callable[[str], None]) -> None:
    """Call ``listener(language)`` after every ``set_language`` (viz sets its fonts so)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _translations(language: str) -> _gettext.NullTranslations:
    """The catalogue of ``language``, read once; a missing one warns and changes nothing."""
    cached = _state["translations"].get(language)
    if cached is not None:
        return cached
    locale = CATALOGUE_LOCALES[language]
    try:
        catalogue: _gettext.NullTranslations = _gettext.translation(
            DOMAIN, localedir=str(LOCALE_DIR), languages=[locale])
    except OSError:
        warnings.warn(f"mmlearn: no {locale} message catalogue under {LOCALE_DIR} "
                      f"({DOMAIN}.mo); messages stay in English. Run "
                      "scripts/widget_messages.sh to compile it.", RuntimeWarning, stacklevel=3)
        catalogue = _gettext.NullTranslations()
    _state["translations"][language] = catalogue
    return catalogue


def gettext(message: str) -> str:
    """``message`` in the active language (itself in English, or when it has no
    translation)."""
    language = _state["language"]
    if language == "en" or not message:
        return message
    return _translations(language).gettext(message)


_ = gettext


def _figure_words() -> _gettext.NullTranslations:
    """The catalogue ``MMLEARN_FIGURE_WORDS`` names (read once per path), or an empty one."""
    path = os.environ.get(FIGURE_WORDS_VARIABLE, "").strip()
    cached = _state["figure_words"].get(path)
    if cached is not None:
        return cached
    catalogue: _gettext.NullTranslations = _gettext.NullTranslations()
    if path:
        try:
            with open(path, "rb") as handle:
                catalogue = _gettext.GNUTranslations(handle)
        except Exception as err:  # missing, unreadable, not a .mo: never break a figure
            warnings.warn(f"mmlearn: cannot read the figure words catalogue {path} "
                          f"({FIGURE_WORDS_VARIABLE}): {err}; figure words stay in English.",
                          RuntimeWarning, stacklevel=3)
            catalogue = _gettext.NullTranslations()
    _state["figure_words"][path] = catalogue
    return catalogue


def translate_figure_text(text: str) -> str:
    """A text drawn on a figure, in the active language: its translation in mmlearn's
    catalogue, else in the figure words catalogue (``MMLEARN_FIGURE_WORDS``), else itself.
    In English, always itself."""
    if _state["language"] == "en" or not text:
        return text
    translated = gettext(text)
    if translated != text:
        return translated
    return _figure_words().gettext(text)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (translate where it is used)."""
    return message


def translate_values(messages: Mapping[str, str]) -> dict[str, str]:
    """A copy of a dict of message templates with every value translated."""
    return {key: gettext(text) for key, text in messages.items()}


def _initial_language() -> str:
    value = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not value:
        return "en"
    try:
        return _canonical(value, ENVIRONMENT_VARIABLE)
    except ValueError as err:
        warnings.warn(f"mmlearn: {err}; using 'en'", RuntimeWarning, stacklevel=2)
        return "en"


_state["language"] = _initial_language()
