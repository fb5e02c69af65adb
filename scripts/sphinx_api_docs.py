"""Sphinx glue for the book's API reference (book/appendix_api.md), loaded as a local extension
(_config.yml: ``sphinx.local_extensions``). It loads ``sphinx.ext.autodoc`` and
``sphinx.ext.napoleon`` and adapts mmlearn's docstrings, which are written to be read with
``help()``, to reStructuredText, without changing them:

* An indented block after a paragraph (a formula, a usage example) is shown as it is in
  ``help()``: preformatted. reST would otherwise read it as a block quote, or as a
  definition list that warns. Blocks after ``::``, after a directive, inside a Google
  section (``Args:`` ...; napoleon formats those) or holding a role (``:class:`...```) are
  left alone.
* ``*name`` in a shape such as ``(batch, *input)`` is Python's star, not the start of an
  emphasis, and ``|z|`` is an absolute value, not a substitution: both are escaped.
* A widget class (an ipywidgets box) shows its ``__init__`` signature: traitlets'
  ``HasDescriptors.__new__(*args, **kwargs)`` would hide it. A dataclass field with a
  ``default_factory`` shows the value it makes (``{}``), not ``<factory>``.
* A class whose base is documented under another name or is private itself
  (``mmlearn.nn.layer.Layer``, ``mmlearn.fusion._Fusion``) shows the name the reference
  documents (``mmlearn.layers.Layer``).
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Any

# Google-style section headers napoleon turns into fields or rubrics: leave their blocks alone.
NAPOLEON_SECTIONS = {
    "args", "arguments", "attention", "attributes", "caution", "danger", "error", "example",
    "examples", "hint", "important", "keyword args", "keyword arguments", "methods", "note",
    "notes", "other parameters", "parameters", "receive", "receives", "references", "return",
    "returns", "raise", "raises", "see also", "tip", "todo", "warning", "warnings", "warn",
    "warns", "yield", "yields",
}
# A star that starts a name and is followed by ")" or ",": Python's unpacking, as in shapes.
STAR_NAME = re.compile(r"(?<=[(\s])\*(?=\w+[),])")
LITERAL_MIN_INDENT = 4    # list-item continuations are indented 2 or 3
ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`")   # :class:`Adam`: a block meant as reST prose


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_header(line: str) -> bool:
    text = line.strip()
    return text.endswith(":") and text[:-1].strip().lower() in NAPOLEON_SECTIONS


def literal_blocks(lines: list[str]) -> list[str]:
    """Mark every indented block that follows a top-level paragraph as a literal block.

    A block qualifies when a blank line separates it from the paragraph before it, every
    non-blank line of it is indented by at least four spaces, it holds no reST role
    (``:class:`...```: then it was written as reST), and that paragraph neither ends with
    ``::``, nor is a directive (``.. name::``), nor is a Google section header.
    The paragraph's final ``:`` becomes ``::`` (reST prints one colon); a paragraph that does
    not end with a colon gets a ``::`` paragraph of its own, which reST does not print.
    """
    out: list[str] = []
    para_start: int | None = None   # index in `out` of the current top-level paragraph
    para_end: int | None = None     # index in `out` of its last line
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            out.append(line)
            i += 1
            continue
        if _indent(line) == 0:
            if not out or not out[-1].strip() or _indent(out[-1]) > 0:
                para_start = len(out)       # a new top-level paragraph starts here
            para_end = len(out)
            out.append(line)
            i += 1
            continue
        # an indented line: find the whole block (blank lines inside it included)
        j = i
        while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > 0):
            j += 1
        while j > i and not lines[j - 1].strip():
            j -= 1
        block = lines[i:j]
        after_blank = bool(out) and not out[-1].strip()
        qualifies = (
            para_end is not None and after_blank
            and min(_indent(s) for s in block if s.strip()) >= LITERAL_MIN_INDENT
        )
        if qualifies:
            first, last = out[para_start], out[para_end].rstrip()
            if last.endswith("::") or first.startswith("..") or _is_header(first) \
                    or any(ROLE.search(s) for s in block):
                qualifies = False
        if qualifies:
            if last.endswith(":"):
                out[para_end] = last + ":"
            else:
                out += ["::", ""]
        out += block
        i = j
    return out


def _escape(text: str) -> str:
    """Escape Python's star and every bar: in mmlearn's prose ``|x|`` is an absolute value,
    never a reST substitution."""
    return STAR_NAME.sub(r"\\*", text).replace("|", "\\|")


def escape_prose(lines: list[str]) -> list[str]:
    """Escape ``*name`` before ``)`` or ``,`` and the bars of ``|x|``, outside literal blocks,
    inline literals and tables (a line that starts with ``|`` or ``+``)."""
    out = []
    literal_indent: int | None = None
    for line in lines:
        if literal_indent is not None and line.strip() and _indent(line) <= literal_indent:
            literal_indent = None
        if literal_indent is None and line.strip():
            parts = line.split("``")
            if not line.lstrip().startswith(("|", "+")):
                parts[::2] = [_escape(p) for p in parts[::2]]
            line = "``".join(parts)
            if line.rstrip().endswith("::"):
                literal_indent = _indent(line)
        out.append(line)
    return out


def process_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    lines[:] = escape_prose(literal_blocks(lines))


class _Default:
    """A default value shown as ``text`` in a signature."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _init_signature(obj: type) -> inspect.Signature | None:
    """The signature to show for class ``obj``, when autodoc's would be wrong; else None."""
    from sphinx.util.inspect import signature as sphinx_signature

    try:
        from traitlets.traitlets import HasDescriptors
    except ImportError:
        HasDescriptors = ()   # noqa: N806
    if HasDescriptors and issubclass(obj, HasDescriptors) and "__init__" in vars(obj):
        return sphinx_signature(obj.__init__, bound_method=True)
    if dataclasses.is_dataclass(obj):
        factories = {f.name: f.default_factory for f in dataclasses.fields(obj)
                     if f.default_factory is not dataclasses.MISSING}
        if factories:
            sig = sphinx_signature(obj)
            return sig.replace(parameters=[
                p.replace(default=_Default(repr(factories[p.name]())))
                if p.name in factories else p for p in sig.parameters.values()])
    return None


def class_signature(app, what, name, obj, options, signature, return_annotation):
    """Two signatures autodoc gets wrong. A widget class (an ipywidgets box) shows traitlets'
    ``HasDescriptors.__new__(*args, **kwargs)`` instead of its ``__init__``; a dataclass field
    with a ``default_factory`` shows ``= <factory>``, which is not Python, so the whole
    signature is printed unparsed. The first gets ``__init__``'s signature, the second the
    value the factory makes (``extras: dict = {}``: a fresh dict for each instance)."""
    if what != "class" or not inspect.isclass(obj):
        return None
    sig = _init_signature(obj)
    if sig is None:
        return None
    from sphinx.util.inspect import stringify_signature

    short = app.config.autodoc_typehints_format == "short"
    shown = app.config.autodoc_typehints in ("both", "signature")
    return stringify_signature(sig, show_annotation=shown, show_return_annotation=False,
                               unqualified_typehints=short), None


# Classes documented under another name than their home's, by the name the reference uses.
PUBLIC_NAMES = {
    "mmlearn.nn.layer.Layer": "mmlearn.layers.Layer",
    "mmlearn.widgets._common.Feedback": "mmlearn.widgets.Feedback",
}


def _public(cls: type) -> Any:
    """``cls``, its public name, or its first public ancestor's, for the "Bases:" line."""
    for klass in cls.__mro__:
        full = f"{klass.__module__}.{klass.__qualname__}"
        if full in PUBLIC_NAMES:
            return f":py:class:`~{PUBLIC_NAMES[full]}`"
        private = any(part.startswith("_") for part in full.split("."))
        if not private or klass is object:
            return klass
    return cls


def public_bases(app, name, obj, options, bases: list) -> None:
    bases[:] = [_public(b) if inspect.isclass(b) else b for b in bases]


def setup(app) -> dict[str, Any]:
    app.setup_extension("sphinx.ext.autodoc")
    app.setup_extension("sphinx.ext.napoleon")
    app.connect("autodoc-process-docstring", process_docstring, priority=400)  # before napoleon
    app.connect("autodoc-process-signature", class_signature)
    app.connect("autodoc-process-bases", public_bases)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
