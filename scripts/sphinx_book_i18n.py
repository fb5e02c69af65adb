"""The book in two languages, loaded as a local extension (_config.yml: sphinx.local_extensions).

The English book is the source; the Chinese edition is the same build with ``language=zh_CN``
and the gettext catalogues under ``book/locales/`` (scripts/book_i18n.py drives both).

* The API reference's docstrings are not messages to translate. They are the library's
  ``help()`` text, one language in the code, and they change with it; the appendix's own
  prose is translated, the signatures and docstrings under it are shown as Python prints them.
* Every page links to the same page in the other edition (``book_languages``: the editions,
  each with the path from one HTML root to the other's), so a reader can switch mid-chapter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import docname_to_domain

#: Each edition, by Sphinx language: the switch's label, its HTML lang, and the path from
#: the other edition's HTML root to this one's (English at the root, Chinese in zh/).
EDITIONS = {
    "en": {"label": "English", "lang": "en", "root_from_other": ".."},
    "zh_CN": {"label": "中文", "lang": "zh-CN", "root_from_other": "zh"},
}


TEMPLATES = Path(__file__).resolve().parent / "book_templates"


def _edition(language: str | None) -> str:
    return "zh_CN" if (language or "en").lower().startswith("zh") else "en"


def _from_docstring(node: nodes.Element) -> bool:
    return ":docstring of " in (node.source or "")


def keep_docstrings_untranslated(app, doctree: nodes.document) -> None:
    """Mark what autodoc wrote (signatures, and text whose source is a docstring) as not
    translatable."""
    for desc in doctree.findall(addnodes.desc):
        for node in desc.findall(nodes.Element):
            node["translatable"] = False
    for node in doctree.findall(nodes.Element):
        if _from_docstring(node):
            node["translatable"] = False


def language_switch(app, pagename: str, templatename: str, context: dict,
                    doctree: Any) -> None:
    """Give the page template the link to this page in the other edition."""
    other = EDITIONS["en" if _edition(app.config.language) == "zh_CN" else "zh_CN"]
    up = "../" * pagename.count("/")
    context["book_language_switch"] = {"href": f"{up}{other['root_from_other']}/{pagename}.html",
                                       "label": other["label"], "lang": other["lang"]}


def add_switch_to_header(app, config) -> None:
    """Put the switch first in the article header, beside the theme's own buttons."""
    config.templates_path = [*config.templates_path, str(TEMPLATES)]
    options = dict(config.html_theme_options or {})
    end = options.get("article_header_end") or ["article-header-buttons.html"]
    if isinstance(end, str):
        end = [item.strip() for item in end.split(",") if item.strip()]
    if "language-switch.html" not in end:
        options["article_header_end"] = ["language-switch.html", *end]
    config.html_theme_options = options


class TranslateTocCaptions(SphinxTransform):
    """Translate the captions of the toctrees sphinx-external-toc inserts ("Chapters",
    "Appendices"): it inserts them (priority 100) after Sphinx's own Locale transform (20)
    has translated the page, so without this the sidebar would stay English. The captions
    are in the page's catalogue already (the gettext builder extracts them)."""

    default_priority = 110

    def apply(self, **kwargs: Any) -> None:
        if _edition(self.config.language) == "en":
            return
        toctrees = [node for node in self.document.findall(addnodes.toctree)
                    if node.get("caption")]
        if not toctrees:
            return
        dirs = [str(Path(self.env.srcdir) / folder) for folder in self.config.locale_dirs]
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        catalogue, found = init_locale(dirs, self.config.language, domain)
        if not found:
            return
        for node in toctrees:
            node["caption"] = catalogue.gettext(node["caption"])


def edition_title(app, config) -> None:
    """The book's title in this edition's language (``book_edition_titles`` in _config.yml)."""
    title = (config.book_edition_titles or {}).get(config.language)
    if title:
        config.html_title = title


def setup(app) -> dict[str, Any]:
    app.add_config_value("book_edition_titles", {}, "html", dict)
    app.add_transform(TranslateTocCaptions)
    app.connect("config-inited", edition_title)
    app.connect("config-inited", add_switch_to_header)
    app.connect("doctree-read", keep_docstrings_untranslated)
    app.connect("html-page-context", language_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
