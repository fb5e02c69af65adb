"""Shared fixtures: a clean backend and seed per test, both array backends, and the
reference libraries (PyTorch, Keras 3 on its torch backend).

Reference tests skip with a reason when torch or keras is absent, unless
``MMLEARN_REQUIRE_REF=1`` (set by .ci/run): then their absence is a failure.
"""

from __future__ import annotations

import importlib
import os
import sys

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")  # must precede any import of keras

import mmlearn as mm  # noqa: E402

BACKENDS = ["numpy", "array_api_strict"]


@pytest.fixture(autouse=True)
def _fresh_state():
    mm.set_backend("numpy")
    mm.set_seed(0)
    mm.set_floatx("float32")
    yield
    mm.set_backend("numpy")
    mm.set_floatx("float32")


@pytest.fixture(autouse=True)
def _english():
    """Every test starts and ends in English (whatever MMLEARN_LANGUAGE says), so a test that
    switches to Chinese leaves no trace; tests/test_i18n.py checks the switching itself."""
    mm.widgets.set_language("en")
    yield
    mm.widgets.set_language("en")


@pytest.fixture(autouse=True)
def _close_figures():
    """Figures a test drew are closed after it, so hundreds of plots do not pile up."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture
def float64():
    """Layers and data made in the test compute in float64 (``mm.set_floatx``), as gradient
    checks by central differences need."""
    mm.set_floatx("float64")


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Run the test once per array backend; yields the backend's namespace."""
    mm.set_backend(request.param)
    yield mm.get_namespace()


def _require(module: str):
    try:
        return importlib.import_module(module)
    except ImportError as err:
        if os.environ.get("MMLEARN_REQUIRE_REF") == "1":
            pytest.fail(f"{module} is required here (MMLEARN_REQUIRE_REF=1) but missing: {err}")
        pytest.skip(f"{module} not installed: `pip install -e .[ref]` runs the reference tests")


@pytest.fixture(scope="session")
def torch():
    torch = _require("torch")
    torch.set_num_threads(2)
    return torch


@pytest.fixture(scope="session")
def keras():
    keras = _require("keras")
    if keras.backend.backend() != "torch":
        pytest.fail(f"Keras must run on its torch backend, got {keras.backend.backend()}")
    return keras


@pytest.fixture
def no_gpu():
    """For tests of what happens without a GPU: skip where CuPy has a usable one."""
    try:
        import cupy
    except ImportError:
        return
    if cupy.cuda.is_available():
        pytest.skip("a CUDA GPU is present; this test is for machines without one")
