"""Repository-level rules: lint clean, dependencies bounded and pinned, the reference
libraries (torch, keras) kept out of what mmlearn and the book need at run time."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
REFERENCE_ONLY = {"torch", "keras", "tensorflow", "jax", "jaxlib"}
# A requirement: name[extras] specifiers ; marker
REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(?P<spec>[^;]*)")


def normalize(name: str) -> str:
    """PEP 503 name normalisation: Array_API.strict -> array-api-strict."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #")[0].strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def parse(line: str) -> tuple[str, str]:
    match = REQUIREMENT.match(line)
    assert match, f"not a requirement line: {line!r}"
    return normalize(match["name"]), match["spec"].strip()


def has_upper_bound(spec: str) -> bool:
    """True when the specifier set caps the version: <, <=, ~=, == or ===."""
    clauses = [c.strip() for c in spec.split(",") if c.strip()]
    return any(c.startswith(("<", "~=", "==")) for c in clauses)


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_ruff_is_clean():
    """`ruff check .` (config in pyproject.toml) passes on the whole repository: library,
    tests, scripts, benchmarks and the book's notebooks."""
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("spec,bounded", [
    (">=2,<3", True), ("~=1.4", True), ("==1.2.3", True), (">=1.0", False), ("", False),
    ("==1.*", True), (">=1,!=1.5", False), ("<=2", True), (">1", False),
])
def test_upper_bound_rule(spec, bounded):
    """The rule the next test applies, checked on examples."""
    assert has_upper_bound(spec) is bounded


def test_every_requirement_has_an_upper_bound():
    lines = requirement_lines(REPO / "requirements.txt")
    assert len(lines) >= 10, "requirements.txt looks truncated"
    unbounded = [line for line in lines if not has_upper_bound(parse(line)[1])]
    assert not unbounded, f"requirements without an upper bound: {unbounded}"


def test_runtime_dependencies_have_upper_bounds(pyproject):
    deps = list(pyproject["project"]["dependencies"])
    for extra_deps in pyproject["project"].get("optional-dependencies", {}).values():
        deps += extra_deps
    unbounded = [d for d in deps if not has_upper_bound(parse(d)[1])]
    assert not unbounded, f"pyproject.toml dependencies without an upper bound: {unbounded}"


def test_reference_libraries_are_not_runtime_dependencies(pyproject):
    """torch and keras are the `ref` extra only: neither requirements.txt nor mmlearn's own
    dependencies pull them in."""
    required = {parse(line)[0] for line in requirement_lines(REPO / "requirements.txt")}
    runtime = {parse(d)[0] for d in pyproject["project"]["dependencies"]}
    assert not required & REFERENCE_ONLY, required & REFERENCE_ONLY
    assert not runtime & REFERENCE_ONLY, runtime & REFERENCE_ONLY
    ref = {parse(d)[0] for d in pyproject["project"]["optional-dependencies"]["ref"]}
    assert {"torch", "keras"} <= ref


def test_constraints_pin_every_requirement_exactly():
    """constraints.txt pins one exact version of each requirement (what CI installs), and
    each pin lies inside the range requirements.txt allows."""
    pins: dict[str, str] = {}
    for line in requirement_lines(REPO / "constraints.txt"):
        name, spec = parse(line)
        assert re.fullmatch(r"==[0-9][0-9A-Za-z.+!-]*", spec), f"not an exact pin: {line!r}"
        assert name not in pins, f"{name} pinned twice"
        pins[name] = spec[2:]
    for line in requirement_lines(REPO / "requirements.txt"):
        if ";" in line and "python_version" in line:
            continue  # backports for older Pythons than CI's
        name, spec = parse(line)
        assert name in pins, f"{name} is in requirements.txt but not pinned in constraints.txt"
        assert SpecifierSet(spec).contains(pins[name], prereleases=True), \
            f"constraints.txt pins {name}=={pins[name]}, outside requirements.txt's {spec}"


def test_torch_pin_matches_the_ref_extra(pyproject):
    """.ci/run installs the `ref` extra with constraints.txt: the two must agree on torch."""
    ref = dict(parse(d) for d in pyproject["project"]["optional-dependencies"]["ref"])
    pins = dict(parse(line) for line in requirement_lines(REPO / "constraints.txt"))
    for name in ("torch", "keras"):
        assert name in pins, f"constraints.txt does not pin {name}"
        assert SpecifierSet(ref[name]).contains(pins[name][2:]), (name, ref[name], pins[name])
