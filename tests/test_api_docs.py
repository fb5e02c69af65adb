"""The appendices stay complete and consistent with the code, the seed and the preface.

* API reference (book/appendix_api.md): every public name of every public module of mmlearn
  (its ``__all__``, or the public functions and classes it defines) is named by an autodoc
  directive, so the reference cannot silently miss one; every directive names a real, public
  object, once. The sources are inspected, not a build (the book-build test builds it).
* Notation (book/appendix_notation.md): every row of the preface's notation table appears
  unchanged.
* Glossary (book/appendix_glossary.md): every seed term the book glosses is there, with its
  Chinese exactly as the seed writes it, a definition and a chapter.
* scripts/sphinx_api_docs.py: the docstring rewriting the reference relies on.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

import pytest

import mmlearn

ROOT = Path(__file__).resolve().parent.parent
API = ROOT / "book" / "appendix_api.md"
NOTATION = ROOT / "book" / "appendix_notation.md"
GLOSSARY = ROOT / "book" / "appendix_glossary.md"
PREFACE = ROOT / "book" / "index.md"
SEED = ROOT.parent / "shared" / "seed" / "000_960e1536a9c6ac03.txt"

EVAL_RST = re.compile(r"^```\{eval-rst\}\n(.*?)^```", re.S | re.M)
DIRECTIVE = re.compile(r"^\.\. (auto(?:module|class|function|data|exception)):: ([\w.]+)", re.M)


# -- API reference ---------------------------------------------------------------------------
def _directives() -> list[tuple[str, str]]:
    """(directive, fully qualified name) of every autodoc directive of the API page, with
    names resolved against the module of the last ``automodule`` as autodoc does."""
    found = []
    module = None
    for block in EVAL_RST.findall(API.read_text(encoding="utf-8")):
        for kind, name in DIRECTIVE.findall(block):
            if kind == "automodule":
                module = name
                found.append((kind, name))
            else:
                assert module is not None, f"{kind}:: {name} comes before any automodule"
                found.append((kind, f"{module}.{name}" if "." not in name else name))
    return found


def _resolve(qualname: str) -> object:
    """The object a dotted name denotes (``mmlearn.layers.Dense`` -> the class)."""
    parts = qualname.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(qualname)


def _public_modules() -> list[str]:
    names = ["mmlearn"]
    for info in pkgutil.walk_packages(mmlearn.__path__, "mmlearn."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def _public_names(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, obj in vars(module).items()
            if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module_name]


def _documented() -> dict[int, str]:
    """id(object) -> the name the reference documents it under."""
    return {id(_resolve(name)): name for _, name in _directives()}


def test_the_api_page_has_directives():
    kinds = {kind for kind, _ in _directives()}
    assert {"automodule", "autoclass", "autofunction"} <= kinds


@pytest.mark.parametrize("module_name", _public_modules())
def test_every_public_name_is_documented(module_name):
    documented = _documented()
    modules = {name for kind, name in _directives() if kind == "automodule"}
    module = importlib.import_module(module_name)
    missing = []
    for name in _public_names(module_name):
        obj = getattr(module, name)
        if inspect.ismodule(obj):
            if obj.__name__ not in modules:
                missing.append(f"{name} (no automodule:: {obj.__name__})")
        elif id(obj) not in documented:
            missing.append(name)
    assert not missing, f"{API.name} does not document {module_name}: {', '.join(missing)}"


def test_every_submodule_has_a_section():
    modules = {name for kind, name in _directives() if kind == "automodule"}
    wanted = {f"mmlearn.{name}" for name in mmlearn.__all__
              if inspect.ismodule(getattr(mmlearn, name))} | {"mmlearn", "mmlearn.attention"}
    assert wanted <= modules, f"no automodule for {sorted(wanted - modules)}"


def test_every_directive_names_one_public_object_once():
    seen: dict[int, str] = {}
    for kind, name in _directives():
        assert not any(part.startswith("_") for part in name.split(".")), name
        obj = _resolve(name)                 # raises if the name does not exist
        if kind == "automodule":
            assert inspect.ismodule(obj), name
            continue
        want = inspect.isclass if kind == "autoclass" else inspect.isfunction
        assert want(obj), f"{kind}:: {name} is a {type(obj).__name__}"
        assert id(obj) not in seen, f"{name} is documented twice (also as {seen[id(obj)]})"
        seen[id(obj)] = name


def test_a_name_missing_from_the_page_is_caught(monkeypatch):
    """The check above can fail: a new public function is reported as missing."""
    module = importlib.import_module("mmlearn.gradcheck")
    monkeypatch.setattr(module, "check_everything", lambda: None, raising=False)
    module.check_everything.__module__ = "mmlearn.gradcheck"
    with pytest.raises(AssertionError, match="check_everything"):
        test_every_public_name_is_documented("mmlearn.gradcheck")


def test_every_api_section_opens_with_an_intro():
    """Each module section: a heading, then a line of prose before the autodoc block."""
    text = API.read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    assert len(sections) >= 15
    for section in sections:
        heading, _, body = section.partition("\n")
        prose = body.split("```{eval-rst}")[0].strip()
        assert prose, f"section {heading!r} has no introduction"


# -- notation --------------------------------------------------------------------------------
def _table_rows(text: str, after: str) -> list[str]:
    """The body rows of the first Markdown table after the heading ``after``."""
    part = text.split(after, 1)[1]
    rows = []
    for line in part.splitlines():
        if line.startswith("|"):
            rows.append(line.strip())
        elif rows:
            break
    return rows[2:]     # header and separator


def test_notation_keeps_every_row_of_the_preface():
    rows = _table_rows(PREFACE.read_text(encoding="utf-8"), "## Notation")
    assert len(rows) >= 10
    notation = NOTATION.read_text(encoding="utf-8").splitlines()
    missing = [row for row in rows if row not in notation]
    assert not missing, f"rows of the preface's notation table missing or changed: {missing}"


def test_notation_defines_each_symbol_once():
    symbols = [line.split("|")[1].strip() for line in
               NOTATION.read_text(encoding="utf-8").splitlines()
               if line.startswith("| ")
               and not line.startswith(("| symbol", "| in a docstring", "| ---"))]
    assert len(symbols) >= 40
    assert len(symbols) == len(set(symbols)), [s for s in symbols if symbols.count(s) > 1]


# -- glossary --------------------------------------------------------------------------------
GLOSSARY_BLOCK = re.compile(r"^## (.+?)\n.*?^```\{glossary\}\n(.*?)^```", re.S | re.M)
HAN = re.compile(r"[\u4e00-\u9fff]")
# The seed's terms the chapters gloss and the book's brief names: each must be an entry.
SEED_TERMS = [
    "多模态学习", "多模态大模型", "深度学习", "大规模神经网络", "迁移学习", "神经元", "权重",
    "偏置", "激活函数", "输入", "输出", "数据源", "文本", "图像", "音频", "视频", "预处理",
    "训练", "参数", "预测", "情感分析", "机器翻译", "文本生成", "图像分类", "目标检测",
    "图像生成", "推荐系统", "解释性", "可靠性", "数据的获取", "模型的训练和优化", "计算资源",
    "自然语言处理", "计算机视觉", "深度学习框架", "机器学习", "学习性能", "训练数据",
    "神经网络", "数学模型", "深度学习库", "多模态数据", "整合", "大规模的神经网络",
]
PROPER_NAMES = {"TensorFlow", "PyTorch", "OpenAI", "Google AI"}


def _glossaries() -> dict[str, list[tuple[list[str], str]]]:
    """{section heading: [(terms, definition), ...]} of the glossary page."""
    out = {}
    for heading, body in GLOSSARY_BLOCK.findall(GLOSSARY.read_text(encoding="utf-8")):
        entries: list[tuple[list[str], str]] = []
        for line in body.splitlines():
            if not line.strip() or line.startswith(":"):
                continue
            if line.startswith(" "):
                terms, definition = entries[-1]
                entries[-1] = (terms, f"{definition} {line.strip()}".strip())
            elif entries and not entries[-1][1]:
                entries[-1][0].append(line.strip())
            else:
                entries.append(([line.strip()], ""))
        out[heading] = entries
    return out


def test_glossary_has_two_parts():
    assert list(_glossaries()) == ["Terms from the seed", "More terms used in the book"]


def test_glossary_entries_are_english_then_chinese_with_a_chapter():
    for entries in _glossaries().values():
        for terms, definition in entries:
            english, chinese = terms[0], terms[1:]
            assert not HAN.search(english), f"{terms}: the first term must be the English one"
            if english not in PROPER_NAMES:
                assert chinese, f"{english}: no Chinese term"
            assert all(HAN.search(t) for t in chinese), terms
            assert definition, f"{english}: no definition"
            assert re.search(r"\bChapters? \d", definition), f"{english}: no chapter named"


def test_glossary_sections_are_sorted_and_terms_unique():
    terms = []
    for entries in _glossaries().values():
        english = [t[0] for t, _ in entries]
        assert english == sorted(english, key=str.lower), "entries out of alphabetical order"
        terms += [term for t, _ in entries for term in t]
    assert len(terms) == len(set(terms)), [t for t in terms if terms.count(t) > 1]


def test_seed_terms_are_written_as_the_seed_writes_them():
    if not SEED.exists():
        pytest.skip(f"the seed article is not at {SEED}")   # outside this workspace
    seed = SEED.read_text(encoding="utf-8")
    entries = _glossaries()["Terms from the seed"]
    not_in_seed = [t for terms, _ in entries for t in terms[1:] if t not in seed]
    assert not not_in_seed, f"not written so in the seed: {not_in_seed}"


def test_every_listed_seed_term_has_an_entry():
    chinese = {t for terms, _ in _glossaries()["Terms from the seed"] for t in terms[1:]}
    missing = [t for t in SEED_TERMS if t not in chinese]
    assert not missing, f"seed terms without an entry: {missing}"


def test_chapter_glosses_agree_with_the_glossary():
    """Where a chapter glosses a glossary term, "term (中文)", it uses the glossary's Chinese."""
    import json

    english_to_chinese = {terms[0].lower(): set(terms[1:])
                          for entries in _glossaries().values() for terms, _ in entries}
    gloss = re.compile(r"([A-Za-z][A-Za-z\- ]*?) \(([\u4e00-\u9fff]+)\)")
    # A one-word term counts only after one of these (or first): in "a cross-attention
    # fusion (跨模态注意力)" the gloss is for the whole phrase, not for "fusion".
    function_words = {"a", "an", "the", "in", "of", "and", "or", "with", "to", "its", "their",
                      "is", "as", "for", "by", "on", "from", "into", "plus", "called"}
    conflicts = []
    for notebook in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        text = " ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        for words, chinese in gloss.findall(text.replace("\n", " ")):
            words = words.lower().split()
            for start in range(len(words)):      # the longest glossary term ending the words
                term = " ".join(words[start:])
                if term in english_to_chinese:
                    if start > 0 and start == len(words) - 1 \
                            and words[start - 1] not in function_words:
                        break
                    if chinese not in english_to_chinese[term]:
                        conflicts.append(f"{notebook.name}: {term} ({chinese})")
                    break
    assert not conflicts, conflicts


# -- the docstring rewriting of scripts/sphinx_api_docs.py ------------------------------------
@pytest.fixture(scope="module")
def ext():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        yield importlib.import_module("sphinx_api_docs")
    finally:
        sys.path.remove(str(ROOT / "scripts"))


def test_indented_block_after_a_colon_becomes_literal(ext):
    lines = ["Backward:", "", "    dL/dW = xᵀ δ", "", "More text."]
    assert ext.literal_blocks(lines) == ["Backward::", "", "    dL/dW = xᵀ δ", "",
                                         "More text."]


def test_indented_block_after_a_sentence_gets_its_own_marker(ext):
    lines = ["An example.", "", "    model.fit(x, y)"]
    assert ext.literal_blocks(lines) == ["An example.", "", "::", "", "    model.fit(x, y)"]


@pytest.mark.parametrize("lines", [
    ["Shapes::", "", "    x (batch, d)"],                 # already literal
    [".. math:: x", "", "    y"],                         # a directive's content
    ["Args:", "    x: the input.", "", "    More on x."],  # a Google section
    ["Term", "    definition right below"],               # no blank line: left to reST
    ["* item", "", "  continued item"],                   # a list item's second paragraph
    ["Then:", "", "    the step of :class:`Adam`."],     # a role: written as reST prose
])
def test_blocks_that_are_not_literal_are_left_alone(ext, lines):
    assert ext.literal_blocks(lines) == lines


def test_stars_and_bars_are_escaped_outside_literals(ext):
    lines = ["x (batch, *input) and e^{-|z|}, *Emphasis* kept, ``|a|`` kept.", "",
             "Code::", "", "    f(*args) |x|"]
    assert ext.escape_prose(lines) == [
        r"x (batch, \*input) and e^{-\|z\|}, *Emphasis* kept, ``|a|`` kept.", "",
        "Code::", "", "    f(*args) |x|"]


def test_private_bases_show_their_public_name(ext):
    from mmlearn import fusion, layers
    bases = [fusion.Concat.__mro__[1]]         # mmlearn.fusion._Fusion
    ext.public_bases(None, "Concat", fusion.Concat, {}, bases)
    assert bases == [":py:class:`~mmlearn.layers.Layer`"]
    bases = [layers.Layer]
    ext.public_bases(None, "Dense", layers.Dense, {}, bases)
    assert bases == [":py:class:`~mmlearn.layers.Layer`"]
