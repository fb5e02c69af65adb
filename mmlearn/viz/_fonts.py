"""Fonts for the active language: in Chinese, matplotlib draws words in a CJK font.

English changes nothing (matplotlib's own settings, so English figures are exactly as
before). In Chinese the first installed font of :data:`CJK_FONTS` goes first in
``font.sans-serif`` and ``axes.unicode_minus`` is turned off (CJK fonts often lack U+2212);
back in English, the settings as they were are restored. Without any CJK font, a warning
says what to install, once, and the words show as boxes.
"""

from __future__ import annotations

import sys
import warnings

from mmlearn import _i18n

__all__ = ["CJK_FONTS", "use_language_font"]

#: CJK fonts tried in order: Debian's fonts-wqy-microhei first, then common alternatives.
CJK_FONTS = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC",
             "Source Han Sans SC", "SimHei", "Microsoft YaHei", "PingFang SC")
_KEYS = ("font.family", "font.sans-serif", "axes.unicode_minus")
_state: dict = {"saved": None, "warned": False}


def _installed_cjk_font() -> str | None:
    from matplotlib import font_manager

    names = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in names), None)


def _apply(rc) -> None:
    _state["saved"] = {key: rc[key] for key in _KEYS}
    font = _installed_cjk_font()
    if font is None:
        if not _state["warned"]:
            warnings.warn("mmlearn: no CJK font found for Chinese plot labels (tried "
                          f"{', '.join(CJK_FONTS)}); they will show as boxes. Install one, "
                          "e.g. `apt-get install fonts-wqy-microhei`, then clear matplotlib's "
                          "font cache (~/.cache/matplotlib).", RuntimeWarning, stacklevel=4)
            _state["warned"] = True
    else:
        rc["font.family"] = ["sans-serif"]
        rc["font.sans-serif"] = [font, *[f for f in rc["font.sans-serif"] if f != font]]
    rc["axes.unicode_minus"] = False


def use_language_font(language: str | None = None) -> None:
    """Set matplotlib's fonts for ``language`` (default: the active one); imports
    matplotlib."""
    import matplotlib

    language = language or _i18n.get_language()
    rc = matplotlib.rcParams
    if language != "en" and _state["saved"] is None:
        _apply(rc)
    elif language == "en" and _state["saved"] is not None:
        rc.update(_state["saved"])
        _state["saved"] = None


def _on_language_change(language: str) -> None:
    """After ``set_language``: change the fonts now if matplotlib is already loaded (figures
    a notebook draws itself follow too); otherwise the next plot does it."""
    if "matplotlib" in sys.modules:
        use_language_font(language)


_i18n.on_language_change(_on_language_change)
