"""Smoke tests of the benchmark scripts: they run, report, and say plainly when no GPU is there.

The timings themselves are never asserted (speed is measured in benchmarks/, not tested).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_bench_quick_writes_a_report_with_every_contender(torch, tmp_path):
    report = tmp_path / "results.md"
    done = run("benchmarks/bench.py", "--quick", "--no-keras", "--no-fit", "--cases",
               "seed_b32", "--output", str(report))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    text = report.read_text()
    assert "seed MLP 32-64-64-10, batch 32" in text
    assert "mmlearn / PyTorch" in text and "GEMM floor" in text
    assert "kernel/corearch" in text                    # which BLAS kernel ran


def test_gpu_script_exits_2_with_a_reason_without_a_gpu(no_gpu):
    done = run("benchmarks/gpu.py")
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    assert "GPU" in done.stdout + done.stderr


def test_gpu_script_checks_pass_in_a_cpu_dry_run(torch):
    done = run("benchmarks/gpu.py", "--dry-run", "--no-timing")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_bare_numpy_contender_does_the_same_training_as_mmlearn():
    """The bench's hand-written NumPy step is a fair yardstick only if it computes what
    mmlearn's step computes: from the same weights, three steps on the same batch give
    the same loss and weights (to float32 rounding: the summation order differs)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    case = next(c for c in bench.CASES if c.key == "seed_b32")
    x, y = bench.make_data(case)
    model = bench.build_mmlearn(case)
    bare = bench.BareMLP(model.get_weights())
    for _ in range(3):
        want = model.train_on_batch(x, y)
        got = bare.step(x, y)
        assert abs(got - want) < 1e-5
    mm_weights = model.get_weights()                   # W0, b0, W1, b1, ...
    bare_weights = [a for pair in zip(bare.W, bare.b, strict=True) for a in pair]
    assert len(mm_weights) == len(bare_weights)
    for a, b in zip(mm_weights, bare_weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=2e-6)
