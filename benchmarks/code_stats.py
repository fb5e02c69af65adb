"""Size and shape of the mmlearn package (issue 13's before/after numbers).

    .venv/bin/python benchmarks/code_stats.py

Prints the module count, the largest modules and functions (in lines), the import cycles
and the upward imports (the graph and floors of tests/test_imports.py).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_imports import cycles, import_graph, module_names, upward_imports  # noqa: E402


def main() -> None:
    modules = module_names()
    lines = {m: len(p.read_text().splitlines()) for m, p in modules.items()}
    functions = []
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions.append((node.end_lineno - node.lineno + 1, f"{module}:{node.name}"))
    functions.sort(reverse=True)
    print(f"modules: {len(modules)}")
    print("largest modules: " + ", ".join(
        f"{m} ({n})" for m, n in sorted(lines.items(), key=lambda kv: -kv[1])[:5]))
    print("largest functions: " + ", ".join(f"{name} ({n})" for n, name in functions[:5]))
    print(f"modules over 400 lines: {sum(n > 400 for n in lines.values())}; "
          f"functions over 60 lines: {sum(n > 60 for n, _ in functions)}")
    graph = import_graph()
    found = cycles(graph)
    print(f"import cycles (strongly connected groups): {len(found)}")
    for group in found:
        print("    " + " <-> ".join(group))
    up = upward_imports(graph)
    print(f"upward imports: {len(up)}")
    for line in up:
        print("    " + line)


if __name__ == "__main__":
    main()
