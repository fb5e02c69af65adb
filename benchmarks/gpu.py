"""mmlearn on a GPU: correctness on the CuPy backend, then speed against PyTorch on CUDA.

    python benchmarks/gpu.py              # on a machine with an NVIDIA GPU and CuPy
    python benchmarks/gpu.py --dry-run    # the same script on the CPU, to check it here

Part 1, checks (on ``mm.set_backend("cupy")``):
  - gradient checks: every layer family, the fusion layers and the losses, in float64,
    through ``mmlearn.gradcheck`` (central differences), max relative error < 1e-6;
  - backend agreement: the same seeded models and data on NumPy and on CuPy give the
    same forward pass, loss and every gradient (float32, relative error < 1e-5, as
    ``gradcheck.relative_error`` measures it), and Adam, fed the same gradients,
    makes the same updates.
Part 2, speed: the cases of ``benchmarks/bench.py`` (one training step = forward +
softmax cross-entropy + backward + Adam), mmlearn on CuPy vs PyTorch eager on CUDA vs
the GEMM floor on CuPy, interleaved, with device-synchronised timing
(``cupy.cuda.Device().synchronize()``, ``torch.cuda.synchronize()``).

Exit status: 0 every check passed; 1 a check failed; 2 no usable GPU or no CuPy
(nothing was run; the message says what is missing). Needs ``pip install -e .[gpu]``
(CuPy) and, for the comparison, a CUDA build of PyTorch (without one, part 2 times
mmlearn alone). About a minute on a recent GPU; ``--quick`` for a smoke run.

``--dry-run`` runs everything on the CPU instead (checks on NumPy and array_api_strict,
timing on NumPy vs CPU PyTorch, quick settings): it tests this script where there is
no GPU, and is what the test suite can call.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import bench  # noqa: E402  (benchmarks/bench.py: cases, models, timing harness)

import mmlearn as mm  # noqa: E402
from mmlearn.backend import asarray, to_numpy  # noqa: E402
from mmlearn.gradcheck import check_layer, check_loss, relative_error  # noqa: E402

GRAD_TOL = 1e-6
AGREE_TOL = 1e-5
EXIT_OK, EXIT_FAILED, EXIT_NO_GPU = 0, 1, 2


# =====================================================================================
# Is there a GPU?
# =====================================================================================
def gpu_status() -> tuple[bool, str]:
    """(usable, description): CuPy importable and a CUDA device that answers."""
    try:
        import cupy
    except ImportError:
        return False, ("CuPy is not installed, so mmlearn cannot use a GPU here. On a machine "
                       "with an NVIDIA GPU: pip install -e .[gpu]  (cupy-cuda12x)")
    try:
        if not cupy.cuda.is_available():
            return False, ("CuPy is installed but finds no CUDA GPU "
                           "(cupy.cuda.is_available() is False)")
        props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
        name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        return True, f"{name}, CuPy {cupy.__version__}, CUDA runtime " \
                     f"{cupy.cuda.runtime.runtimeGetVersion()}"
    except Exception as err:  # a broken driver raises instead of answering
        return False, f"CuPy cannot reach a CUDA GPU: {type(err).__name__}: {err}"


def torch_cuda() -> Any | None:
    """The torch module if it has a usable CUDA device, else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


# =====================================================================================
# Part 1: checks
# =====================================================================================
L = mm.layers
F = mm.fusion


def _data(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


# name: (factory, input feature shapes {modality: dims} or dims, training, zero-grad params)
LAYER_CHECKS: dict[str, tuple[Callable[[], Any], Any, bool, tuple[str, ...]]] = {
    "Dense relu": (lambda: L.Dense(4, activation="relu"), (5,), False, ()),
    "Dense tanh": (lambda: L.Dense(4, activation="tanh"), (5,), False, ()),
    "Dense sigmoid": (lambda: L.Dense(4, activation="sigmoid"), (5,), False, ()),
    "Dense gelu": (lambda: L.Dense(4, activation="gelu"), (5,), False, ()),
    "Dense softmax": (lambda: L.Dense(4, activation="softmax"), (5,), False, ()),
    "Dense on tokens": (lambda: L.Dense(3), (4, 5), False, ()),
    "LayerNorm": (lambda: L.LayerNorm(), (6,), False, ()),
    "Dropout (training)": (lambda: L.Dropout(0.3), (6,), True, ()),
    "GlobalAveragePooling1D": (lambda: L.GlobalAveragePooling1D(), (4, 3), False, ()),
    "MultiHeadAttention": (lambda: L.MultiHeadAttention(2, 3), (4, 5), False, ("bk",)),
    "Concat": (lambda: F.Concat(), {"image": (5,), "text": (4,)}, False, ()),
    "Late learned": (lambda: F.Late("learned"), {"image": (4,), "text": (4,)}, False, ()),
    "Gated": (lambda: F.Gated(4), {"image": (5,), "text": (3,)}, False, ()),
    "Tensor": (lambda: F.Tensor(4), {"image": (5,), "text": (3,)}, False, ()),
    "LowRank": (lambda: F.LowRank(4, rank=3), {"image": (5,), "text": (3,)}, False, ()),
    "FiLM": (lambda: F.FiLM(), {"text": (5,), "image": (4,)}, False, ()),
    "CrossAttention": (lambda: F.CrossAttention(2, 3), {"text": (4, 5), "image": (6, 4)},
                       False, ("bk",)),
}


def _loss_checks() -> dict[str, tuple[Any, Any, Any]]:
    """name: (loss, y_true, y_pred), NumPy; moved to the backend when run."""
    g = np.random.default_rng(11)
    logits = g.standard_normal((5, 4))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = g.integers(0, 4, 5)
    onehot = np.eye(4)[labels]
    binary = g.integers(0, 2, (5, 3)).astype(np.float64)
    p01 = 1 / (1 + np.exp(-g.standard_normal((5, 3))))
    losses = mm.losses
    return {
        "MeanSquaredError": (losses.MeanSquaredError(), g.standard_normal((5, 3)),
                             g.standard_normal((5, 3))),
        "BinaryCrossentropy": (losses.BinaryCrossentropy(), binary, p01),
        "BinaryCrossentropy logits": (losses.BinaryCrossentropy(from_logits=True), binary,
                                      g.standard_normal((5, 3))),
        "CategoricalCrossentropy": (losses.CategoricalCrossentropy(), onehot, probs),
        "SparseCategoricalCrossentropy": (losses.SparseCategoricalCrossentropy(), labels,
                                          probs),
        "SparseCategoricalCrossentropy logits": (
            losses.SparseCategoricalCrossentropy(from_logits=True), labels, logits),
    }


def _to64(layer: Any) -> None:
    for k, v in layer.params.items():
        xp = mm.backend.array_namespace(v)
        layer.params[k] = xp.astype(v, xp.float64)


def gradient_checks(batch: int = 3) -> list[tuple[str, float, bool]]:
    """(name, max relative error, passed) for every layer and loss, on the active backend."""
    rows = []
    for name, (factory, dims, training, zero) in LAYER_CHECKS.items():
        try:
            mm.set_seed(0)
            layer = factory()
            if isinstance(dims, dict):
                x: Any = {k: asarray(_data((batch, *d), i), "float64")
                          for i, (k, d) in enumerate(dims.items())}
            else:
                x = asarray(_data((batch, *dims), 0), "float64")
            layer(x, training=training)                      # build
            if layer.params:                                 # off the initial point
                g = np.random.default_rng(7)
                layer.set_weights([0.5 * g.standard_normal(w.shape)
                                   for w in layer.get_weights()])
            _to64(layer)
            errors = check_layer(layer, x, training=training)
            for key in zero:                                 # 0 by symmetry: skip the ratio
                errors.pop(key, None)
            worst = max(errors.values()) if errors else 0.0
            rows.append((name, worst, worst < GRAD_TOL))
        except Exception as err:
            rows.append((f"{name} ({type(err).__name__}: {err})", math.nan, False))
    for name, (loss, y_true, y_pred) in _loss_checks().items():
        try:
            yt = asarray(y_true) if y_true.dtype.kind == "i" else asarray(y_true, "float64")
            err = check_loss(loss, yt, asarray(y_pred, "float64"))
            rows.append((f"loss {name}", err, err < GRAD_TOL))
        except Exception as e:
            rows.append((f"loss {name} ({type(e).__name__}: {e})", math.nan, False))
    return rows


def _agreement_models() -> dict[str, Callable[[], tuple[Any, Any, np.ndarray]]]:
    """name: factory of (model, x, y); every call makes the same data."""

    def mlp() -> tuple[Any, Any, np.ndarray]:
        g = np.random.default_rng(3)
        model = mm.Sequential([L.Dense(32, activation="relu", input_shape=(20,)),
                               L.LayerNorm(), L.Dense(16, activation="gelu"),
                               L.Dense(5, activation="softmax")])
        return model, g.standard_normal((64, 20)).astype(np.float32), g.integers(0, 5, 64)

    def two_tower() -> tuple[Any, Any, np.ndarray]:
        g = np.random.default_rng(4)
        model = mm.MultimodalModel(
            encoders={"image": L.Dense(16, activation="relu", input_shape=(30,)),
                      "text": L.Dense(16, activation="tanh", input_shape=(12,))},
            fusion=F.Gated(8), head=L.Dense(4, activation="softmax"))
        x = {"image": g.standard_normal((64, 30)).astype(np.float32),
             "text": g.standard_normal((64, 12)).astype(np.float32)}
        return model, x, g.integers(0, 4, 64)

    def cross() -> tuple[Any, Any, np.ndarray]:
        g = np.random.default_rng(5)
        model = mm.MultimodalModel(
            encoders={"text": L.Dense(16, activation="relu"), "image": L.Dense(16)},
            fusion=F.CrossAttention(2, 8, query="text", context="image"),
            head=L.Dense(4, activation="softmax"))
        x = {"text": g.standard_normal((32, 6, 16)).astype(np.float32),
             "image": g.standard_normal((32, 9, 16)).astype(np.float32)}
        return model, x, g.integers(0, 4, 32)

    return {"Sequential MLP": mlp, "two-tower Gated": two_tower, "cross-attention": cross}


def _one_pass(backend: str, make: Callable[[], tuple[Any, Any, np.ndarray]],
              seed: int) -> dict[str, np.ndarray]:
    """Forward, loss and every gradient of one batch, as NumPy (the host side)."""
    mm.set_backend(backend)
    mm.set_seed(seed)
    model, x, y = make()
    xb = {k: asarray(v) for k, v in x.items()} if isinstance(x, dict) else asarray(x)
    yb = asarray(y)
    if not model.built:
        model.build({k: (None, *v.shape[1:]) for k, v in x.items()}
                    if isinstance(x, dict) else (None, *x.shape[1:]))
    model_w = model.get_weights()                      # same seed: same weights everywhere
    loss = mm.losses.SparseCategoricalCrossentropy()
    out = model.forward(xb, training=True)
    value = loss(yb, out)
    model.backward(loss.backward())
    result = {"forward": to_numpy(out), "loss": to_numpy(value)}
    # by position: layer names (dense_3, ...) differ between the two models
    result.update({f"gradient {i} {tuple(g.shape)}": to_numpy(g)
                   for i, g in enumerate(model.grads.values())})
    result["_weights"] = np.concatenate([w.ravel() for w in model_w])
    return result


def agreement_checks(backend: str) -> list[tuple[str, float, bool]]:
    """``backend`` vs NumPy on the same seeded models: forward, loss, gradients, Adam."""
    rows = []
    try:
        for name, make in _agreement_models().items():
            ref = _one_pass("numpy", make, seed=5)
            got = _one_pass(backend, make, seed=5)
            if not np.array_equal(ref.pop("_weights"), got.pop("_weights")):
                rows.append((f"{name}: initial weights differ between backends", math.nan,
                             False))
                continue
            worst = max(relative_error(got[k], ref[k]) for k in ref)
            missing = set(ref) ^ set(got)
            rows.append((f"{name}: forward, loss, {len(ref) - 2} gradients", worst,
                         worst < AGREE_TOL and not missing))
        rows.append(_adam_agreement(backend))
    finally:
        mm.set_backend("numpy")
    return rows


def _adam_agreement(backend: str, steps: int = 5) -> tuple[str, float, bool]:
    g = np.random.default_rng(9)
    w0 = g.standard_normal((40, 30)).astype(np.float32)
    grads = [g.standard_normal((40, 30)).astype(np.float32) for _ in range(steps)]
    finals = {}
    for b in ("numpy", backend):
        mm.set_backend(b)
        w = asarray(w0)
        opt = mm.optimizers.Adam(learning_rate=0.01)
        for gr in grads:
            opt.apply_gradients([(asarray(gr), w)])
        finals[b] = to_numpy(w)
    mm.set_backend("numpy")
    err = relative_error(finals[backend], finals["numpy"])
    return f"Adam, {steps} steps on the same gradients", err, err < AGREE_TOL


# =====================================================================================
# Part 2: speed
# =====================================================================================
def time_cases(backend: str, torch_device: str, quick: bool,
               cases: list[str] | None = None) -> list[dict[str, Any]]:
    """Per case: median ms per training step of mmlearn on ``backend``, PyTorch on
    ``torch_device`` and the GEMM floor on ``backend``'s array library."""
    import torch

    mm.set_backend(backend)
    if backend == "cupy":
        import cupy

        floor_xp: Any = cupy

        def sync() -> None:
            cupy.cuda.Device().synchronize()
            if torch_device == "cuda":
                torch.cuda.synchronize()
    else:
        floor_xp = np

        def sync() -> None:
            pass

    settings = (dict(repeats=3, block_s=0.01, settle_s=0.0, warmup_s=0.02) if quick else
                dict(repeats=15, block_s=0.1, settle_s=0.02, warmup_s=0.3))
    rows = []
    try:
        for case in bench.CASES:
            if cases and case.key not in cases:
                continue
            print(f"[gpu] {case.title} ...", flush=True)
            x, y = bench.make_data(case)
            steps: dict[str, Any] = {}
            errors = {}
            try:
                call, units, _ = bench.mmlearn_step(case, *bench.to_backend(x, y))
                steps["mmlearn"] = (call, units)
            except Exception as err:
                errors["mmlearn"] = f"{type(err).__name__}: {err}"
            try:
                steps["torch"] = bench.torch_step(case, x, y, device=torch_device)
            except Exception as err:
                errors["torch"] = f"{type(err).__name__}: {err}"
            steps["floor"] = bench.gemm_floor_step(case, xp=floor_xp)
            timings = bench.time_interleaved(steps, sync=sync, **settings)
            ms = {k: t.median * 1e3 for k, t in timings.items()}
            rows.append({"case": case, "ms": ms, "errors": errors})
    finally:
        mm.set_backend("numpy")
    return rows


# =====================================================================================
# Report and main
# =====================================================================================
def _ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or b is None else f"{a / b:.2f}×"


def render(device: str, checks: dict[str, list[tuple[str, float, bool]]],
           timing: list[dict[str, Any]], torch_label: str) -> str:
    lines = ["# mmlearn on the GPU", "", f"Device: {device}", ""]
    for title, rows in checks.items():
        lines += [f"## {title}", "", "| check | max relative error | |", "| --- | ---: | --- |"]
        for name, err, ok in rows:
            lines.append(f"| {name} | {err:.2e} | {'ok' if ok else '**FAILED**'} |")
        lines.append("")
    if timing:
        lines += ["## One training step (ms, median, device-synchronised)", "",
                  f"| case | mmlearn | {torch_label} | mmlearn / PyTorch | GEMM floor | "
                  "mmlearn / floor |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for r in timing:
            ms = r["ms"]
            mmv, tv, fv = ms.get("mmlearn"), ms.get("torch"), ms.get("floor")
            lines.append(f"| {r['case'].title} | {bench._fmt_ms(mmv)} | {bench._fmt_ms(tv)} | "
                         f"{_ratio(mmv, tv)} | {bench._fmt_ms(fv)} | {_ratio(mmv, fv)} |")
            for who, msg in r["errors"].items():
                lines.append(f"|  ↳ {who} could not run: `{msg}` | | | | | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dry-run", action="store_true",
                   help="run on the CPU (NumPy / array_api_strict, CPU PyTorch) to test "
                        "the script where there is no GPU")
    p.add_argument("--quick", action="store_true", help="short timing (smoke run)")
    p.add_argument("--no-timing", action="store_true", help="checks only")
    p.add_argument("--cases", nargs="+", choices=[c.key for c in bench.CASES])
    p.add_argument("--output", type=Path, help="also write the report (Markdown) here")
    cfg = p.parse_args(argv)

    t0 = time.perf_counter()
    if cfg.dry_run:
        device = "CPU dry run (no GPU used): checks on numpy and array_api_strict"
        check_backends = ["numpy", "array_api_strict"]
        time_backend, torch_device, quick = "numpy", "cpu", True
    else:
        ok, device = gpu_status()
        if not ok:
            print(f"benchmarks/gpu.py: no usable GPU, nothing was run.\n  {device}",
                  file=sys.stderr)
            return EXIT_NO_GPU
        check_backends = ["cupy"]
        time_backend, quick = "cupy", cfg.quick
        torch_device = "cuda" if torch_cuda() is not None else "cpu"
    print(f"[gpu] {device}", flush=True)

    checks: dict[str, list[tuple[str, float, bool]]] = {}
    for b in check_backends:
        mm.set_backend(b)
        try:
            checks[f"Gradient checks on {b} (float64, < {GRAD_TOL:g})"] = gradient_checks()
        finally:
            mm.set_backend("numpy")
        if b != "numpy":
            checks[f"{b} agrees with numpy (float32, < {AGREE_TOL:g})"] = agreement_checks(b)
    timing = [] if cfg.no_timing else time_cases(time_backend, torch_device, quick, cfg.cases)
    torch_label = "PyTorch CUDA" if torch_device == "cuda" else "PyTorch CPU"
    report = render(device, checks, timing, torch_label)
    print(report)
    if cfg.output:
        cfg.output.write_text(report)
    failed = [name for rows in checks.values() for name, _, ok in rows if not ok]
    print(f"[gpu] {sum(len(r) for r in checks.values())} checks, {len(failed)} failed; "
          f"{time.perf_counter() - t0:.0f} s")
    return EXIT_FAILED if failed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
