"""The book's side of the package keeps its shape (issue 13): data, viz, widgets, io and
gradcheck hold no function over about 60 lines and no module over about 400; importing
the widgets needs neither ipywidgets nor matplotlib, without a module ``__getattr__``;
a playground displays as the ipywidgets box it holds."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mmlearn"
FILES = sorted([*(PACKAGE / "data").rglob("*.py"), *(PACKAGE / "viz").rglob("*.py"),
                *(PACKAGE / "widgets").rglob("*.py"), PACKAGE / "io.py",
                PACKAGE / "gradcheck.py"])
MAX_FUNCTION = 62          # lines, docstring included: "about 60"
MAX_MODULE = 410           # lines: "about 400"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_long_function_or_module(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION]
    assert not long, f"{path.name}: {', '.join(long)}"


def test_importing_the_widgets_loads_no_ipywidgets_nor_matplotlib():
    code = ("import sys, mmlearn.widgets, mmlearn.viz, mmlearn.data\n"
            "print('ipywidgets' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_packages_have_no_module_getattr():
    for package in ("data", "viz", "widgets"):
        tree = ast.parse((PACKAGE / package / "__init__.py").read_text(encoding="utf-8"))
        names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert "__getattr__" not in names, package


def test_a_playground_displays_as_its_box():
    pytest.importorskip("ipywidgets")
    import ipywidgets

    from mmlearn.widgets import learning_rate_explorer

    explorer = learning_rate_explorer(0.05, steps=5)
    assert isinstance(explorer.widget, ipywidgets.VBox)
    assert explorer.children == explorer.widget.children
    assert "mm-widget" in explorer.widget._dom_classes
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == "LearningRateExplorer()"
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == explorer.widget.model_id
