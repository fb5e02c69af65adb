"""Sphinx fixes the book needs, loaded as a local extension (_config.yml: sphinx.local_extensions).

* One copy of each inline script per page. Sphinx 7.4 registers an inline script added after
  the builder started (sphinx-thebe and sphinx-togglebutton add theirs on
  ``env-before-read-docs``) once with ``filename=None`` and once with ``filename=''``, so
  every page carried it twice, and sphinx-thebe's ``const THEBE_JS_URL`` declared twice is a
  SyntaxError in the browser console.
"""

from __future__ import annotations

from typing import Any


def _script_key(js: Any) -> tuple:
    attributes = getattr(js, "attributes", {}) or {}
    return (str(getattr(js, "filename", js) or ""), getattr(js, "priority", 500),
            tuple(sorted((str(k), str(v)) for k, v in attributes.items())))


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop the second and later copies of the same script from this page."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique = []
    for js in scripts:
        key = _script_key(js)
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def setup(app) -> dict[str, Any]:
    app.connect("html-page-context", dedupe_scripts, priority=900)  # after the others add theirs
    return {"parallel_read_safe": True, "parallel_write_safe": True}
