"""mmlearn's import graph: no cycle, and no floor imports a higher one (DESIGN 3, issue 13).

The graph is read from the source with ``ast`` (every ``import`` statement, function-level
ones included, except those under ``if TYPE_CHECKING:``, which never run), so a lazy import
inside a function counts as much as one at the top of a file, and so does
``importlib.import_module("mmlearn.x")``.

Floors, from the ground up; a module may import its own floor and the ones below:

    0  backend, _validation, _i18n          where arrays live, argument checks, the language
    1  nn (and its public faces layers, activations, neuron, attention, _layer)
    2  fusion
    3  losses, metrics, optimizers, io      (io: weights of any Layer as .npz)
    4  data                                  (data imports no model)
    5  models, callbacks, contrastive
    6  viz, widgets, gradcheck               the book's tools
    7  mmlearn (the package's __init__)
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mmlearn"

FLOORS = {
    "_names": 0, "backend": 0, "_validation": 0, "_i18n": 0,
    "nn": 1, "_layer": 1, "layers": 1, "activations": 1, "neuron": 1, "attention": 1,
    "fusion": 2,
    "losses": 3, "metrics": 3, "optimizers": 3, "io": 3,
    "data": 4,
    "models": 5, "callbacks": 5, "contrastive": 5,
    "viz": 6, "widgets": 6, "gradcheck": 6,
}
TOP = 7


def module_names() -> dict[str, Path]:
    """``{"mmlearn.nn.dense": path, ...}`` for every module of the package."""
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _under_type_checking(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def _targets(node: ast.AST, module: str, is_package: bool, known: dict) -> list[str]:
    """The mmlearn modules an import statement loads (the most specific that exists)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "mmlearn"]
    base = node.module or ""
    if node.level:                                  # relative: from . / from ..x
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[:len(anchor) - node.level + 1]
        base = ".".join(anchor + ([base] if base else []))
    if base.split(".")[0] != "mmlearn":
        return []
    found = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
    return found or [base]


def _dynamic_import(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and ast.unparse(node.func).endswith("import_module")
            and bool(node.args) and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).startswith("mmlearn."))


def import_graph() -> dict[str, set[str]]:
    """``{module: {modules it imports}}``, within mmlearn only."""
    known = module_names()
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text(), str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        edges = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and not _under_type_checking(
                    node, parents):
                edges.update(_targets(node, module, path.name == "__init__.py", known))
            elif _dynamic_import(node):                 # importlib.import_module("mmlearn.x")
                edges.add(node.args[0].value)
        edges.discard(module)
        graph[module] = {e for e in edges if e in known}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def floor(module: str) -> int:
    parts = module.split(".")
    return TOP if len(parts) == 1 else FLOORS[parts[1]]


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} (floor {floor(a)}) imports {b} (floor {floor(b)})"
                  for a, targets in graph.items() for b in targets if floor(b) > floor(a))


def test_every_module_has_a_floor():
    assert all(floor(m) is not None for m in module_names())


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_no_floor_imports_a_higher_one():
    assert upward_imports(import_graph()) == []
