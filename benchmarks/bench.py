"""Speed of one training step: mmlearn (NumPy) vs PyTorch eager vs Keras 3, in one run.

    .venv/bin/python benchmarks/bench.py            # full run (< 5 min on 2 cores)
    .venv/bin/python benchmarks/bench.py --quick    # smoke run, a few seconds

One *training step* = forward + softmax cross-entropy + backward + Adam update, on a
fixed batch. For every case the contenders are timed in the SAME process, interleaved
round-robin (one block of steps each per repeat, the order rotating), after warm-up;
the figure is the median over repeats of the time per step. Before each timed block
the contender runs untimed for a short "settle" time: on 2 cores, the BLAS threads of
the contender that ran before keep spinning for about 0.1 s and would otherwise steal
the cores (measured: up to 2x on the next block).

Contenders:
- mmlearn:  the model's own training step, the code path ``fit`` runs per batch;
- PyTorch:  eager, ``torch.set_num_threads`` = NumPy's BLAS threads (threadpoolctl);
- Keras 3:  on its torch backend, ``train_on_batch`` (Sequential cases only);
- GEMM floor: the matrix products a forward + backward pass needs (no dX for the
  input layer), timed alone in NumPy at the same shapes and dtype: what mmlearn would
  take if everything but the products were free.

Also the seed article's program end to end (build + compile + ``fit`` 5 epochs on 1,000
samples of 32 features, batch 32) in mmlearn and in Keras.

OpenBLAS: ``OPENBLAS_CORETYPE`` (and ``OPENBLAS_L2_SIZE``) may be set on this kind of
machine; forcing e.g. the Haswell kernel costs NumPy about 30%. The script re-executes
itself with both unset before NumPy is imported (``--keep-openblas-env`` keeps them)
and reports the kernel threadpoolctl sees.

Writes ``benchmarks/results.md`` (machine description + tables) on a full run;
``--output PATH`` writes elsewhere, ``--json PATH`` also dumps the raw samples.
"""

from __future__ import annotations

import os
import sys

_OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_ORIG_ENV_KEY = "MMLEARN_BENCH_ORIGINAL_OPENBLAS"


def _reexec_without_openblas_overrides() -> None:
    """Re-run this script with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (before numpy)."""
    if "--keep-openblas-env" in sys.argv or _ORIG_ENV_KEY in os.environ:
        return
    found = {k: os.environ[k] for k in _OPENBLAS_VARS if k in os.environ}
    if not found:
        return
    env = {k: v for k, v in os.environ.items() if k not in _OPENBLAS_VARS}
    env[_ORIG_ENV_KEY] = ";".join(f"{k}={v}" for k, v in found.items())
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)


if __name__ == "__main__":
    _reexec_without_openblas_overrides()

os.environ.setdefault("KERAS_BACKEND", "torch")  # must precede any import of keras

import argparse  # noqa: E402
import contextlib  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:            # run from anywhere without `pip install -e .`
    sys.path.insert(0, str(ROOT))

Step = Callable[[], Any]


# =====================================================================================
# Cases
# =====================================================================================
@dataclass(frozen=True)
class Case:
    """One model at one batch size.

    kind "mlp": dims (in, h1, ..., classes), ReLU hidden layers, softmax output.
    kind "two_tower": image 784 -> 256 ReLU, text 300 -> 256 ReLU, concat -> 256 ReLU -> 10.
    kind "cross_attn": per-token encoders Dense(d, ReLU) for text (T_text, d) and image
    (T_img, d); the text tokens attend to the image patches (``heads`` heads of
    ``key_dim``, output projection back to d), mean-pooled over the text tokens ->
    Dense(classes).
    """

    key: str
    title: str
    kind: str
    batch: int
    dims: tuple[int, ...] = ()
    sequential: bool = False
    extra: dict[str, int] = field(default_factory=dict)


TWO_TOWER = {"image": 784, "text": 300, "tower": 256, "hidden": 256, "classes": 10}
CROSS = {"text_tokens": 8, "image_patches": 16, "d": 32, "heads": 2, "key_dim": 16,
         "classes": 10}

CASES: tuple[Case, ...] = (
    Case("seed_b32", "seed MLP 32-64-64-10, batch 32", "mlp", 32, (32, 64, 64, 10), True),
    Case("seed_b256", "seed MLP 32-64-64-10, batch 256", "mlp", 256, (32, 64, 64, 10), True),
    Case("mlp784_b256", "MLP 784-512-512-10, batch 256", "mlp", 256, (784, 512, 512, 10), True),
    Case("two_tower_b256", "two-tower 784->256 + 300->256, concat -> 256 -> 10, batch 256",
         "two_tower", 256, extra=TWO_TOWER),
    Case("cross_attn_b64", "cross-attention: text 8x32 attends to image 16x32 (token "
         "encoders 32->32), 2 heads, pooled -> 10, batch 64", "cross_attn", 64, extra=CROSS),
)

# (case key or "seed_fit", what, bound, description)
TARGETS: tuple[tuple[str, str, float, str], ...] = (
    ("seed_b32", "torch", 0.35, "seed model, batch 32: mmlearn <= 0.35 x PyTorch per step"),
    ("seed_fit", "keras_speedup", 10.0, "seed program end to end: mmlearn >= 10x faster "
     "than Keras"),
    ("mlp784_b256", "torch", 1.15, "784-512-512-10, batch 256: mmlearn <= 1.15 x PyTorch"),
    ("two_tower_b256", "torch", 1.10, "two-tower, batch 256: mmlearn <= 1.10 x PyTorch"),
    ("*", "floor", 1.6, "every case: mmlearn <= 1.6 x its GEMM floor"),
)


def make_data(case: Case, seed: int = 0) -> tuple[dict[str, np.ndarray] | np.ndarray, np.ndarray]:
    """A fixed batch (float32 inputs, int64 labels), the same for every contender."""
    g = np.random.default_rng(seed)
    if case.kind == "mlp":
        x: Any = g.standard_normal((case.batch, case.dims[0]), dtype=np.float32)
        classes = case.dims[-1]
    elif case.kind == "two_tower":
        e = case.extra
        x = {"image": g.standard_normal((case.batch, e["image"]), dtype=np.float32),
             "text": g.standard_normal((case.batch, e["text"]), dtype=np.float32)}
        classes = e["classes"]
    elif case.kind == "cross_attn":
        e = case.extra
        x = {"text": g.standard_normal((case.batch, e["text_tokens"], e["d"]), dtype=np.float32),
             "image": g.standard_normal((case.batch, e["image_patches"], e["d"]),
                                        dtype=np.float32)}
        classes = e["classes"]
    else:
        raise ValueError(f"unknown case kind {case.kind!r}")
    y = g.integers(0, classes, size=case.batch).astype(np.int64)
    return x, y


# =====================================================================================
# GEMM floor: the products forward + backward need, nothing else
# =====================================================================================
@dataclass(frozen=True)
class Gemm:
    """C = op(A) @ op(B) with op = transpose when flagged (A is stored transposed then,
    as ``x.T @ delta`` is computed from the stored x). ``batch`` leading dims (attention)."""

    m: int
    k: int
    n: int
    ta: bool = False
    tb: bool = False
    batch: tuple[int, ...] = ()
    what: str = ""

    @property
    def flops(self) -> int:
        return 2 * self.m * self.k * self.n * math.prod(self.batch)


def _dense_gemms(batch: int, fan_in: int, units: int, name: str, input_grad: bool) -> list[Gemm]:
    out = [Gemm(batch, fan_in, units, what=f"{name} forward x W"),
           Gemm(fan_in, batch, units, ta=True, what=f"{name} dW = x^T delta")]
    if input_grad:
        out.append(Gemm(batch, units, fan_in, tb=True, what=f"{name} dx = delta W^T"))
    return out


def gemm_list(case: Case) -> list[Gemm]:
    """Every matrix product of one forward + backward pass, at float32.

    The first layer of each input gets no dX (nobody needs the data's gradient: PyTorch
    does not compute it either). Attention: the three input projections, QK^T, AV, the
    output projection, and their backward products.
    """
    b = case.batch
    if case.kind == "mlp":
        gemms: list[Gemm] = []
        for i, (fi, fo) in enumerate(zip(case.dims[:-1], case.dims[1:], strict=True)):
            gemms += _dense_gemms(b, fi, fo, f"dense{i}", input_grad=i > 0)
        return gemms
    e = case.extra
    if case.kind == "two_tower":
        return (_dense_gemms(b, e["image"], e["tower"], "image", False)
                + _dense_gemms(b, e["text"], e["tower"], "text", False)
                + _dense_gemms(b, 2 * e["tower"], e["hidden"], "fused", True)
                + _dense_gemms(b, e["hidden"], e["classes"], "head", True))
    if case.kind == "cross_attn":
        tq, tk, d, h, dk = e["text_tokens"], e["image_patches"], e["d"], e["heads"], e["key_dim"]
        hb = (b, h)
        return (_dense_gemms(b * tq, d, d, "text encoder", False)
                + _dense_gemms(b * tk, d, d, "image encoder", False)
                + _dense_gemms(b * tq, d, h * dk, "Wq", True)
                + _dense_gemms(b * tk, d, h * dk, "Wk", True)
                + _dense_gemms(b * tk, d, h * dk, "Wv", True)
                + [Gemm(tq, dk, tk, tb=True, batch=hb, what="S = Q K^T"),
                   Gemm(tq, tk, dk, batch=hb, what="O = A V"),
                   Gemm(tq, dk, tk, tb=True, batch=hb, what="dA = dO V^T"),
                   Gemm(tk, tq, dk, ta=True, batch=hb, what="dV = A^T dO"),
                   Gemm(tq, tk, dk, batch=hb, what="dQ = dS K"),
                   Gemm(tk, tq, dk, ta=True, batch=hb, what="dK = dS^T Q")]
                + _dense_gemms(b * tq, h * dk, d, "Wo", True)
                + _dense_gemms(b, d, e["classes"], "head", True))
    raise ValueError(f"unknown case kind {case.kind!r}")


def gemm_floor_step(case: Case, xp: Any = np, dtype: Any = None) -> Step:
    """A callable doing exactly ``gemm_list(case)``'s products with ``a @ b`` in ``xp``."""
    g = np.random.default_rng(1)
    dtype = dtype if dtype is not None else xp.float32
    pairs = []
    for mm in gemm_list(case):
        a_shape = (*mm.batch, mm.k, mm.m) if mm.ta else (*mm.batch, mm.m, mm.k)
        b_shape = (*mm.batch, mm.n, mm.k) if mm.tb else (*mm.batch, mm.k, mm.n)
        a = xp.asarray(g.standard_normal(a_shape, dtype=np.float32), dtype=dtype)
        b_ = xp.asarray(g.standard_normal(b_shape, dtype=np.float32), dtype=dtype)
        if mm.ta:
            a = xp.swapaxes(a, -1, -2) if hasattr(xp, "swapaxes") else a.mT
        if mm.tb:
            b_ = xp.swapaxes(b_, -1, -2) if hasattr(xp, "swapaxes") else b_.mT
        pairs.append((a, b_))

    def step() -> None:
        for a, b_ in pairs:
            a @ b_

    return step


# =====================================================================================
# mmlearn side
# =====================================================================================
def build_mmlearn(case: Case) -> Any:
    """The case's model in mmlearn, compiled with Adam + sparse categorical cross-entropy."""
    import mmlearn as mm

    L = mm.layers
    if case.kind == "mlp":
        dims = case.dims
        layers = [L.Dense(dims[1], activation="relu", input_shape=(dims[0],))]
        layers += [L.Dense(u, activation="relu") for u in dims[2:-1]]
        layers.append(L.Dense(dims[-1], activation="softmax"))
        model = mm.Sequential(layers)
    elif case.kind == "two_tower":
        e = case.extra
        model = mm.MultimodalModel(
            encoders={"image": L.Dense(e["tower"], activation="relu", input_shape=(e["image"],)),
                      "text": L.Dense(e["tower"], activation="relu", input_shape=(e["text"],))},
            fusion=mm.fusion.Concat(),
            head=mm.Sequential([L.Dense(e["hidden"], activation="relu"),
                                L.Dense(e["classes"], activation="softmax")]),
        )
    elif case.kind == "cross_attn":
        e = case.extra
        model = mm.MultimodalModel(
            encoders={"text": L.Dense(e["d"], activation="relu"),
                      "image": L.Dense(e["d"], activation="relu")},
            fusion=mm.fusion.CrossAttention(e["heads"], e["key_dim"], query="text",
                                            context="image"),
            head=mm.Sequential([L.Dense(e["classes"], activation="softmax")]),
        )
    else:
        raise ValueError(case.kind)
    model.compile(optimizer=mm.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy")
    return model


STEPS_PER_EPOCH = 16   # fit fallback: one epoch = this many copies of the batch


def mmlearn_step(case: Case, x: Any, y: Any, steps_per_epoch: int = STEPS_PER_EPOCH
                 ) -> tuple[Step, int, str]:
    """One mmlearn training step on (x, y), as ``fit`` runs it: ``(call, steps, how)``.

    One call is ``fit`` over an epoch of ``steps_per_epoch`` copies of the batch
    (``shuffle=False``, ``verbose=0``), counted as that many steps: the per-epoch costs
    of fit (checking the data, building the plan) are included, spread over the epoch.
    ``train_on_batch`` is not used: it checks its batch and plans the step on every
    call, which is not what training runs (fit checks the data once).
    """
    model = build_mmlearn(case)
    xe, ye = _repeat_batch(x, steps_per_epoch), _repeat_batch(y, steps_per_epoch)
    batch = case.batch

    def epoch() -> None:
        model.fit(xe, ye, batch_size=batch, epochs=1, shuffle=False, verbose=0)

    return epoch, steps_per_epoch, f"fit(1 epoch of {steps_per_epoch} batches) / {steps_per_epoch}"


class BareMLP:
    """The leanest NumPy training step I know how to write for an MLP: no framework, no
    checks, no caches beyond what backward needs, preallocated gradients, Adam over one
    flat buffer (the weights are views of it). It does the same arithmetic as mmlearn's
    step (ReLU hidden layers, softmax, cross-entropy (p - onehot)/N, Keras's Adam), so
    ``bare / floor`` is what any NumPy library must pay beyond the matrix products, and
    ``mmlearn / bare`` is what mmlearn's layers, checks and bookkeeping add.
    """

    def __init__(self, weights: list[np.ndarray], learning_rate: float = 1e-3,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7) -> None:
        self.lr, self.b1, self.b2, self.eps = learning_rate, beta_1, beta_2, epsilon
        sizes = [w.size for w in weights]
        self.flat = np.concatenate([w.reshape(-1) for w in weights]).astype(np.float32)
        self.grad = np.zeros_like(self.flat)
        self.m, self.v = np.zeros_like(self.flat), np.zeros_like(self.flat)
        self.tmp = np.empty_like(self.flat)
        ends = np.cumsum(sizes).tolist()
        views = [(a, b, w.shape) for a, b, w in zip([0, *ends[:-1]], ends, weights, strict=True)]
        self.W = [self.flat[a:b].reshape(s) for a, b, s in views[0::2]]
        self.b = [self.flat[a:b].reshape(s) for a, b, s in views[1::2]]
        self.gW = [self.grad[a:b].reshape(s) for a, b, s in views[0::2]]
        self.gb = [self.grad[a:b].reshape(s) for a, b, s in views[1::2]]
        self.t = 0

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        hs, masks = [x], []
        for i, (W, b) in enumerate(zip(self.W, self.b, strict=True)):
            z = hs[-1] @ W
            z += b
            if i < len(self.W) - 1:
                masks.append(z > 0)
                np.maximum(z, 0.0, out=z)
            hs.append(z)
        p = hs.pop()                                   # logits -> probabilities in place
        p -= p.max(axis=1, keepdims=True)
        np.exp(p, out=p)
        p /= p.sum(axis=1, keepdims=True)
        n = len(y)
        rows = np.arange(n)
        loss = float(-np.log(p[rows, y]).mean())
        p[rows, y] -= 1.0
        d = p
        d /= n
        for i in range(len(self.W) - 1, -1, -1):
            np.matmul(hs[i].T, d, out=self.gW[i])
            np.sum(d, axis=0, out=self.gb[i])
            if i:
                d = d @ self.W[i].T
                d *= masks[i - 1]
        self._adam()
        return loss

    def _adam(self) -> None:
        self.t += 1
        f = np.float32
        alpha = float(f(self.lr) * np.sqrt(f(1) - f(self.b2) ** f(self.t))
                      / (f(1) - f(self.b1) ** f(self.t)))
        g, m, v, tmp = self.grad, self.m, self.v, self.tmp
        m *= self.b1
        np.multiply(g, 1.0 - self.b1, out=tmp)
        m += tmp
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - self.b2
        v *= self.b2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += self.eps
        np.multiply(m, alpha, out=g)
        g /= tmp
        self.flat -= g


def bare_numpy_step(case: Case, x: Any, y: Any) -> Step:
    """One :class:`BareMLP` step on the batch, from the same initial weights as mmlearn."""
    if case.kind != "mlp":
        raise ValueError(f"no bare NumPy step for {case.kind!r} (MLP cases only)")
    bare = BareMLP(build_mmlearn(case).get_weights())
    x, y = np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.int64)

    def step() -> None:
        bare.step(x, y)

    return step


def _repeat_batch(a: Any, k: int) -> Any:
    """k copies of a batch along the sample axis, on a's backend (dicts per modality)."""
    if isinstance(a, dict):
        return {m: _repeat_batch(v, k) for m, v in a.items()}
    from mmlearn.backend import array_namespace

    return array_namespace(a).concat([a] * k, axis=0)


def to_backend(x: Any, y: Any) -> tuple[Any, Any]:
    """Move a case's batch to mmlearn's active backend (a no-op on NumPy)."""
    from mmlearn.backend import asarray

    if isinstance(x, dict):
        x = {k: asarray(v, dtype="float32") for k, v in x.items()}
    else:
        x = asarray(x, dtype="float32")
    return x, asarray(y)


# =====================================================================================
# PyTorch side
# =====================================================================================
def build_torch(case: Case, device: str = "cpu") -> Any:
    """The case's model as a torch.nn.Module returning logits (softmax is in the loss)."""
    import torch
    from torch import nn

    if case.kind == "mlp":
        mods: list[nn.Module] = []
        for i, (fi, fo) in enumerate(zip(case.dims[:-1], case.dims[1:], strict=True)):
            mods.append(nn.Linear(fi, fo))
            if i < len(case.dims) - 2:
                mods.append(nn.ReLU())
        return nn.Sequential(*mods).to(device)

    e = case.extra
    if case.kind == "two_tower":
        class TwoTower(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.image = nn.Linear(e["image"], e["tower"])
                self.text = nn.Linear(e["text"], e["tower"])
                self.hidden = nn.Linear(2 * e["tower"], e["hidden"])
                self.out = nn.Linear(e["hidden"], e["classes"])

            def forward(self, image: Any, text: Any) -> Any:
                z = torch.cat([torch.relu(self.image(image)), torch.relu(self.text(text))], 1)
                return self.out(torch.relu(self.hidden(z)))

        return TwoTower().to(device)

    if case.kind == "cross_attn":
        class Cross(nn.Module):
            """Same graph as mmlearn's CrossAttention(pool="mean") + Dense head."""

            def __init__(self) -> None:
                super().__init__()
                d, h, dk = e["d"], e["heads"], e["key_dim"]
                self.h, self.dk = h, dk
                self.text_enc = nn.Linear(d, d)
                self.image_enc = nn.Linear(d, d)
                self.q = nn.Linear(d, h * dk)
                self.k = nn.Linear(d, h * dk)
                self.v = nn.Linear(d, h * dk)
                self.o = nn.Linear(h * dk, d)
                self.head = nn.Linear(d, e["classes"])

            def forward(self, text: Any, image: Any) -> Any:
                b, tq, _ = text.shape
                tk = image.shape[1]
                text, image = torch.relu(self.text_enc(text)), torch.relu(self.image_enc(image))
                q = self.q(text).view(b, tq, self.h, self.dk).transpose(1, 2)
                k = self.k(image).view(b, tk, self.h, self.dk).transpose(1, 2)
                v = self.v(image).view(b, tk, self.h, self.dk).transpose(1, 2)
                a = torch.softmax(q @ k.transpose(-1, -2) * (1.0 / math.sqrt(self.dk)), -1)
                o = (a @ v).transpose(1, 2).reshape(b, tq, self.h * self.dk)
                return self.head(self.o(o).mean(1))

        return Cross().to(device)
    raise ValueError(case.kind)


def torch_step(case: Case, x: Any, y: Any, device: str = "cpu") -> Step:
    """One eager PyTorch training step: zero_grad, forward, cross-entropy, backward, Adam."""
    import torch

    model = build_torch(case, device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    if isinstance(x, dict):
        order = ("image", "text") if case.kind == "two_tower" else ("text", "image")
        inputs = tuple(torch.as_tensor(x[k], device=device) for k in order)
    else:
        inputs = (torch.as_tensor(x, device=device),)
    target = torch.as_tensor(y, device=device)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(*inputs), target)
        loss.backward()
        opt.step()

    return step


# =====================================================================================
# Keras side (Sequential cases)
# =====================================================================================
def build_keras(case: Case, metrics: list[str] | None = None) -> Any:
    import keras

    dims = case.dims
    model = keras.Sequential(
        [keras.Input((dims[0],))]
        + [keras.layers.Dense(u, activation="relu") for u in dims[1:-1]]
        + [keras.layers.Dense(dims[-1], activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy", metrics=metrics)
    return model


def keras_step(case: Case, x: Any, y: Any) -> Step:
    model = build_keras(case)
    return lambda: model.train_on_batch(x, y)


# =====================================================================================
# Timing
# =====================================================================================
@dataclass
class Timing:
    """Seconds per step, one sample per timed block, with the share of the machine's CPU
    that other processes used during that block (None where /proc/stat is missing)."""

    samples: list[float]
    steps_per_block: int
    shares: list[float | None] = field(default_factory=list)
    faults: list[float] = field(default_factory=list)   # minor page faults per step

    @property
    def faults_per_step(self) -> float:
        return statistics.median(self.faults) if self.faults else math.nan

    @property
    def clean(self) -> list[float]:
        """Samples of blocks during which other processes used < CLEAN_SHARE of the CPU."""
        shares = self.shares or [None] * len(self.samples)
        return [t for t, sh in zip(self.samples, shares, strict=True)
                if sh is None or sh < CLEAN_SHARE]

    @property
    def used(self) -> list[float]:
        """The clean samples when there are at least 3, else all of them."""
        clean = self.clean
        return clean if len(clean) >= 3 else self.samples

    @property
    def median(self) -> float:
        return statistics.median(self.used)

    @property
    def spread(self) -> float:
        """Interquartile range over the median (a noise figure)."""
        used = self.used
        if len(used) < 4:
            return (max(used) - min(used)) / self.median
        q = statistics.quantiles(used, n=4)
        return (q[2] - q[0]) / self.median


CLEAN_SHARE = 0.10


def _run_for(step: Step, seconds: float, sync: Callable[[], None]) -> int:
    n, t0 = 0, time.perf_counter()
    while True:
        step()
        n += 1
        if time.perf_counter() - t0 >= seconds:
            sync()
            return n


def time_interleaved(steps: dict[str, Step | tuple[Step, int]], *, repeats: int,
                     block_s: float, settle_s: float, warmup_s: float,
                     sync: Callable[[], None] = lambda: None,
                     max_rounds: int | None = None) -> dict[str, Timing]:
    """Median-of-repeats timing of several step functions, interleaved round-robin.

    A contender is a step function or ``(function, steps per call)``. Warm-up: each
    runs ``warmup_s`` untimed, which also sizes its block to about ``block_s``. Then
    ``repeats`` rounds; in each, every contender (order rotating) first runs
    ``settle_s`` untimed, then one timed block. ``sync`` waits for the device
    (GPU) before a clock is read.

    Each block also records how much CPU other processes took meanwhile (/proc/stat);
    medians use only the blocks where that was under ``CLEAN_SHARE`` (see
    :class:`Timing`). While some contender has fewer than ``repeats`` clean blocks,
    extra rounds run, up to ``max_rounds`` (default: twice ``repeats``).
    """
    names = list(steps)
    calls: dict[str, Step] = {}
    units: dict[str, int] = {}
    for name, s in steps.items():
        calls[name], units[name] = s if isinstance(s, tuple) else (s, 1)
    per_block: dict[str, int] = {}
    for name in names:
        step = calls[name]
        step()                                              # first call: build, allocate
        sync()
        t0 = time.perf_counter()
        n = _run_for(step, warmup_s, sync)
        per_call = (time.perf_counter() - t0) / n
        per_block[name] = max(1, round(block_s / per_call))
    timings = {name: Timing([], per_block[name] * units[name], []) for name in names}
    max_rounds = 2 * repeats if max_rounds is None else max(max_rounds, repeats)
    r = 0
    while r < repeats or (r < max_rounds and
                          any(len(t.clean) < repeats for t in timings.values())):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            step, n = calls[name], per_block[name]
            if settle_s > 0:
                _run_for(step, settle_s, sync)
            sync()
            before, faults = CpuWatch.read(), _minor_faults()
            t0 = time.perf_counter()
            for _ in range(n):
                step()
            sync()
            elapsed = time.perf_counter() - t0
            timings[name].faults.append((_minor_faults() - faults) / (n * units[name]))
            timings[name].samples.append(elapsed / (n * units[name]))
            timings[name].shares.append(CpuWatch.share_between(before, CpuWatch.read()))
        r += 1
    return timings


# =====================================================================================
# Machine description
# =====================================================================================
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info() -> list[dict[str, Any]]:
    """threadpoolctl's view of the loaded BLAS / OpenMP libraries."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return threadpool_info()


def numpy_blas_threads(default: int = 2) -> int:
    """Threads of the BLAS NumPy uses (threadpoolctl), to give PyTorch the same number."""
    for lib in blas_info():
        if lib.get("user_api") == "blas" and "numpy" in str(lib.get("filepath", "")):
            return int(lib.get("num_threads") or default)
    for lib in blas_info():
        if lib.get("user_api") == "blas":
            return int(lib.get("num_threads") or default)
    return default


def machine_description() -> dict[str, Any]:
    import importlib.metadata as md

    def version(pkg: str) -> str:
        try:
            return md.version(pkg)
        except md.PackageNotFoundError:
            return "not installed"

    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    active = {k: os.environ[k] for k in _OPENBLAS_VARS if k in os.environ}
    # re-executed: the caller's values were saved; otherwise the caller's are the active ones
    original = os.environ.get(_ORIG_ENV_KEY) or ";".join(f"{k}={v}" for k, v in active.items())
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": affinity,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "torch": version("torch"),
        "keras": version("keras"),
        "mmlearn": version("mmlearn"),
        "blas": [{k: lib.get(k) for k in ("internal_api", "version", "architecture",
                                           "num_threads", "threading_layer", "prefix")}
                 for lib in blas_info()],
        "openblas_env_original": original or "not set",
        "openblas_env_in_run": ";".join(f"{k}={v}" for k, v in active.items()) or "not set",
        "loadavg_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
    }


# =====================================================================================
# The run
# =====================================================================================
@dataclass
class CaseResult:
    case: Case
    timings: dict[str, Timing]
    floor_gflops: float
    errors: dict[str, str] = field(default_factory=dict)
    how: str = ""
    phases: dict[str, float] = field(default_factory=dict)
    profile: str = ""

    def ms(self, who: str) -> float | None:
        t = self.timings.get(who)
        return None if t is None else t.median * 1e3

    def ratio(self, who: str, over: str) -> float | None:
        a, b = self.ms(who), self.ms(over)
        return None if a is None or b is None else a / b


def run_case(case: Case, cfg: argparse.Namespace) -> CaseResult:
    x, y = make_data(case)
    steps: dict[str, Step | tuple[Step, int]] = {}
    errors: dict[str, str] = {}
    how = ""

    def mm_builder() -> tuple[Step, int]:
        nonlocal how
        call, units, how = mmlearn_step(case, *to_backend(x, y))
        return call, units

    builders: list[tuple[str, Callable[[], Any]]] = [
        ("mmlearn", mm_builder),
        ("torch", lambda: torch_step(case, x, y)),
    ]
    if case.sequential and not cfg.no_keras:
        builders.append(("keras", lambda: keras_step(case, x, y)))
    if case.kind == "mlp":
        builders.append(("bare", lambda: bare_numpy_step(case, x, y)))
    builders.append(("floor", lambda: gemm_floor_step(case)))
    for name, build in builders:
        try:
            steps[name] = build()
        except Exception as err:  # report, keep benchmarking the others
            errors[name] = f"{type(err).__name__}: {err}"
    timings = time_interleaved(steps, repeats=cfg.repeats, block_s=cfg.block_s,
                               settle_s=cfg.settle_s, warmup_s=cfg.warmup_s)
    flops = sum(g.flops for g in gemm_list(case))
    floor = timings.get("floor")
    gflops = flops / floor.median / 1e9 if floor else float("nan")
    return CaseResult(case, timings, gflops, errors, how)


def _seed_fit_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The seed article's data: 1,000 samples of 32 random features, 10 classes."""
    g = np.random.default_rng(seed)
    return g.random((1000, 32), dtype=np.float32), g.integers(0, 10, size=1000)


def seed_fit_mmlearn(x: np.ndarray, y: np.ndarray, epochs: int = 5) -> None:
    import mmlearn as mm

    mm.set_seed(0)
    model = mm.Sequential([
        mm.layers.Dense(64, activation="relu", input_shape=(32,)),
        mm.layers.Dense(64, activation="relu"),
        mm.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)


def seed_fit_keras(x: np.ndarray, y: np.ndarray, epochs: int = 5) -> None:
    import keras

    model = keras.Sequential([
        keras.Input((32,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)


def run_seed_fit(cfg: argparse.Namespace) -> dict[str, Timing]:
    """Build + compile + fit(5 epochs, batch 32) of the seed program, mmlearn vs Keras."""
    x, y = _seed_fit_data()
    epochs = 1 if cfg.quick else 5
    runs: dict[str, Step] = {"mmlearn": lambda: seed_fit_mmlearn(x, y, epochs)}
    if not cfg.no_keras:
        runs["keras"] = lambda: seed_fit_keras(x, y, epochs)
    for run in runs.values():          # warm-up: imports, first-call costs
        run()
    return time_interleaved(runs, repeats=cfg.fit_repeats, block_s=0.0,
                            settle_s=cfg.settle_s, warmup_s=0.0)


# =====================================================================================
# Where mmlearn's time goes
# =====================================================================================
def phase_breakdown(case: Case, steps: int = 50) -> dict[str, float]:
    """Milliseconds per step in each phase of fit's per-batch body, and per layer
    (each the minimum over 5 chunks of ``steps / 5`` steps).

    Uses the model engine's internals (``_make_plan``, ``_backward_train``), as
    ``fit`` does: forward, loss (with the float() fit takes of it), backward from the
    fused softmax/cross-entropy gradient, and Adam. Keys "forward", "loss",
    "backward", "optimizer", then "fwd #i Layer" / "bwd #i Layer" per leaf layer.
    A diagnostic only: it says nothing if those internals change (empty dict).
    """
    x, y = to_backend(*make_data(case))
    model = build_mmlearn(case)
    try:
        model.fit(x, y, batch_size=case.batch, epochs=1, shuffle=False, verbose=0)
        plan = model._make_plan()
    except Exception:
        return {}
    per_layer: dict[str, float] = {}
    originals = []
    active: set[str] = set()

    def timed(obj: Any, attr: str, label: str) -> None:
        fn = getattr(obj, attr)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if label in active:              # Dense.backward calls backward_linear
                return fn(*args, **kwargs)
            active.add(label)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                active.discard(label)
                per_layer[label] = per_layer.get(label, 0.0) + time.perf_counter() - t0

        originals.append((obj, attr))
        setattr(obj, attr, wrapper)

    phases = dict.fromkeys(("forward", "loss", "backward", "optimizer"), 0.0)
    chunks: list[dict[str, float]] = []
    chunk = max(1, steps // 5)
    try:
        leaves = [leaf for leaf, _ in model._leaves()]
        for i, leaf in enumerate(leaves):
            label = f"#{i} {type(leaf).__name__}"
            timed(leaf, "forward", f"fwd {label}")
            timed(leaf, "backward", f"bwd {label}")
            if hasattr(leaf, "backward_linear"):
                timed(leaf, "backward_linear", f"bwd {label}")
        for i in range(5 + 5 * chunk):
            if i >= 5 and (i - 5) % chunk == 0:      # warm-up done / a chunk done
                if i > 5:
                    chunks.append({**phases, **per_layer})
                phases = dict.fromkeys(phases, 0.0)
                per_layer.clear()
            t0 = time.perf_counter()
            out = model.forward(x, training=True)
            t1 = time.perf_counter()
            float(model.loss(y, out))
            t2 = time.perf_counter()
            grad = model.loss.fused_backward() if plan.fused else model.loss.backward()
            model._backward_train(grad, plan)
            t3 = time.perf_counter()
            pairs = [(leaf.grads[name], leaf.params[name]) for leaf, name in plan.vars]
            model.optimizer.apply_gradients(pairs, keys=plan.keys)
            t4 = time.perf_counter()
            for key, dt in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                phases[key] += dt
        chunks.append({**phases, **per_layer})
    except Exception:
        return {}
    finally:
        for obj, attr in originals:
            with contextlib.suppress(AttributeError):
                delattr(obj, attr)
        plan.restore()
    # the least disturbed of 5 chunks, per entry (robust to other load)
    return {k: min(c.get(k, math.inf) for c in chunks) / chunk * 1e3 for k in chunks[0]}


def _minor_faults() -> int:
    """Minor page faults of this process so far (fresh memory touched), 0 if unknown."""
    try:
        import resource
    except ImportError:
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def cprofile_case(case: Case, seconds: float = 1.0, top: int = 25) -> str:
    """cProfile of mmlearn's training step (as timed) for ``seconds``; top by own time."""
    import cProfile
    import io
    import pstats

    call, units, how = mmlearn_step(case, *to_backend(*make_data(case)))
    call()
    prof = cProfile.Profile()
    n, t0 = 0, time.perf_counter()
    prof.enable()
    while time.perf_counter() - t0 < seconds:
        call()
        n += 1
    prof.disable()
    buf = io.StringIO()
    buf.write(f"{case.title}: {n * units} steps via {how}\n")
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


# =====================================================================================
# Report
# =====================================================================================
def _fmt_share(v: float | None) -> str:
    return "unknown" if v is None else f"{v:.0%}"


def _fmt_load(load: Any) -> str:
    return "unknown" if not load else ", ".join(f"{v:.2f}" for v in load)


def _busy(machine: dict[str, Any]) -> str:
    """A description of the competition if other processes used the CPU, else ''."""
    other = machine.get("other_cpu_share")
    if other is not None and other > 0.10:
        return (f"other processes used {other:.0%} of the machine's CPU time during the run "
                f"(1-minute load average {(machine.get('loadavg_start') or [0.0])[0]:.1f} "
                "at the start)")
    return ""


class CpuWatch:
    """The share of the machine's CPU time that processes other than this one used
    between ``start()`` and ``share()`` (from /proc/stat; None where unavailable)."""

    def __init__(self) -> None:
        self._t0: tuple[float, float, float] | None = None

    @staticmethod
    def read() -> tuple[float, float, float] | None:
        """(all CPUs' busy seconds, this process's CPU seconds, monotonic clock)."""
        try:
            fields = [float(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        except (OSError, ValueError, IndexError):
            return None
        hz = os.sysconf("SC_CLK_TCK")
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
        busy = (sum(fields[:8]) - idle) / hz              # all CPUs, seconds
        own = sum(os.times()[:4])                         # this process and its children
        return busy, own, time.monotonic()

    def start(self) -> None:
        self._t0 = self.read()

    def share(self) -> float | None:
        return self.share_between(self._t0, self.read())

    @staticmethod
    def share_between(t0: tuple[float, float, float] | None,
                      t1: tuple[float, float, float] | None) -> float | None:
        if t0 is None or t1 is None:
            return None
        busy, own, wall = (a - b for a, b in zip(t1, t0, strict=True))
        cores = os.cpu_count() or 1
        return max(0.0, busy - own) / (wall * cores) if wall > 0 else None


def _fmt_ms(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def _fmt_x(v: float | None) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.2f}×"


def evaluate_targets(results: list[CaseResult],
                     fit: dict[str, Timing] | None) -> list[tuple[str, str, str, bool | None]]:
    """(target, bound, measured, met) for every target; met None when not measured."""
    by_key = {r.case.key: r for r in results}
    rows: list[tuple[str, str, str, bool | None]] = []
    for key, what, bound, text in TARGETS:
        if key == "seed_fit":
            if fit and "keras" in fit and "mmlearn" in fit:
                v = fit["keras"].median / fit["mmlearn"].median
                rows.append((text, f"≥ {bound:g}×", f"{v:.1f}× faster", v >= bound))
            else:
                rows.append((text, f"≥ {bound:g}×", "not measured", None))
            continue
        if key == "*":
            for r in results:
                v = r.ratio("mmlearn", "floor")
                rows.append((f"{r.case.key}: mmlearn <= {bound:g} x GEMM floor",
                             f"≤ {bound:g}×", _fmt_x(v), None if v is None else v <= bound))
            continue
        r = by_key.get(key)
        v = None if r is None else r.ratio("mmlearn", what)
        rows.append((text, f"≤ {bound:g}×", _fmt_x(v) + " PyTorch" if v else "not measured",
                     None if v is None else v <= bound))
    return rows


def render(machine: dict[str, Any], results: list[CaseResult], fit: dict[str, Timing] | None,
           cfg: argparse.Namespace) -> str:
    """The Markdown report: machine, per-step table, end-to-end table, targets."""
    lines = ["# mmlearn speed benchmarks", ""]
    if cfg.quick:
        lines += ["**Smoke run (`--quick`): too few repeats to quote.**", ""]
    busy = _busy(machine)
    if busy:
        lines += [f"**Warning: {busy}. Other processes shared the cores; these timings "
                  "are not a clean measurement.**", ""]
    lines += [
        f"Generated by `benchmarks/bench.py{' --quick' if cfg.quick else ''}` on "
        f"{machine['date']}. One training step = forward + softmax cross-entropy + backward "
        "+ Adam update on a fixed batch, float32. Contenders interleaved round-robin in one "
        f"process; median over {cfg.repeats} or more repeats of about "
        f"{cfg.block_s * 1e3:.0f} ms blocks, each after {cfg.settle_s * 1e3:.0f} ms of "
        "untimed settling; blocks during which other processes took "
        f"{CLEAN_SHARE:.0%} or more of the CPU are left out (extra rounds replace them, up "
        "to twice the repeats). "
        "*GEMM floor*: the matrix products of that forward + backward pass (no dX for "
        "input layers) timed alone in NumPy at the same shapes.",
        "",
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}; {machine['cores']} cores ({machine['cores_usable']} usable)",
        f"- Python {machine['python']}, NumPy {machine['numpy']}, PyTorch {machine['torch']}, "
        f"Keras {machine['keras']} (torch backend), mmlearn {machine['mmlearn']}",
    ]
    for lib in machine["blas"]:
        arch = f", kernel/corearch **{lib['architecture']}**" if lib.get("architecture") else ""
        lines.append(f"- threadpoolctl: {lib['internal_api']} {lib.get('version') or ''} "
                     f"({lib['prefix']}){arch}, {lib['num_threads']} threads")
    lines += [
        f"- `OPENBLAS_CORETYPE`/`OPENBLAS_L2_SIZE` in the calling environment: "
        f"{machine['openblas_env_original']}; during this run: {machine['openblas_env_in_run']}",
        f"- PyTorch threads: {cfg.torch_threads} (= NumPy's BLAS threads)",
        f"- load average (1, 5, 15 min) at start: {_fmt_load(machine['loadavg_start'])}; "
        f"at end: {_fmt_load(machine.get('loadavg_end'))}; CPU time used by other processes "
        f"during the run: {_fmt_share(machine.get('other_cpu_share'))}",
        "",
        "## One training step (ms, median)",
        "",
        "| case | mmlearn | PyTorch | Keras | mmlearn / PyTorch | GEMM floor | "
        "mmlearn / floor | floor GFLOP/s | noise: IQR/median (clean/all blocks) mm · torch |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        noise = " · ".join(
            f"{r.timings[w].spread:.0%} ({len(r.timings[w].clean)}/{len(r.timings[w].samples)})"
            if w in r.timings else "—" for w in ("mmlearn", "torch"))
        lines.append(
            f"| {r.case.title} | {_fmt_ms(r.ms('mmlearn'))} | {_fmt_ms(r.ms('torch'))} | "
            f"{_fmt_ms(r.ms('keras'))} | {_fmt_x(r.ratio('mmlearn', 'torch'))} | "
            f"{_fmt_ms(r.ms('floor'))} | {_fmt_x(r.ratio('mmlearn', 'floor'))} | "
            f"{r.floor_gflops:.0f} | {noise} |")
    hows = sorted({r.how for r in results if r.how})
    if hows:
        lines += ["", "mmlearn's step was timed as: " + "; ".join(f"`{h}`" for h in hows)
                  + " (the loop training runs; fit's per-epoch work is included, spread "
                  "over the epoch)."]
    bare = [r for r in results if "bare" in r.timings]
    if bare:
        lines += [
            "", "### How close can NumPy get to the floor?", "",
            "*bare NumPy*: the leanest hand-written NumPy step for the MLP cases "
            "(`BareMLP` in `bench.py`: no framework, no checks, preallocated gradients, Adam "
            "over one flat buffer), timed in the same interleaved rounds. *bare / floor* is "
            "what any NumPy code pays beyond the matrix products (one NumPy call costs about "
            "a microsecond whatever its size); *mmlearn / bare* is what mmlearn's layers, "
            "checks and bookkeeping add.", "",
            "| case | GEMM floor | bare NumPy | bare / floor | mmlearn | mmlearn / bare |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [f"| {r.case.key} | {_fmt_ms(r.ms('floor'))} | {_fmt_ms(r.ms('bare'))} | "
                  f"{_fmt_x(r.ratio('bare', 'floor'))} | {_fmt_ms(r.ms('mmlearn'))} | "
                  f"{_fmt_x(r.ratio('mmlearn', 'bare'))} |" for r in bare]
    errors = [(r.case.key, who, msg) for r in results for who, msg in r.errors.items()]
    if errors:
        lines += ["", "Contenders that could not run:", ""]
        lines += [f"- {key} / {who}: `{msg}`" for key, who, msg in errors]
    lines += ["", "## The seed program end to end", ""]
    if fit:
        epochs = 1 if cfg.quick else 5
        lines += [
            f"Build + compile + `fit(x, y, epochs={epochs}, batch_size=32, verbose=0)` on "
            "1,000 samples of 32 features (the seed article's program, with "
            f"`metrics=['accuracy']`); median of {cfg.fit_repeats} runs, seconds.", "",
            "| mmlearn | Keras | Keras / mmlearn |", "| ---: | ---: | ---: |",
            f"| {fit['mmlearn'].median:.3f} | "
            f"{fit['keras'].median:.3f} | {fit['keras'].median / fit['mmlearn'].median:.1f}× |"
            if "keras" in fit else f"| {fit['mmlearn'].median:.3f} | — | — |",
        ]
    else:
        lines.append("Not run.")
    lines += ["", "## Targets", "", "| target | bound | measured | |", "| --- | --- | --- | --- |"]
    for text, bound, measured, met in evaluate_targets(results, fit):
        verdict = "not measured" if met is None else ("**met**" if met else "**missed**")
        lines.append(f"| {text} | {bound} | {measured} | {verdict} |")
    lines += _render_phases(results)
    return "\n".join(lines) + "\n"


def _render_phases(results: list[CaseResult]) -> list[str]:
    rows = [r for r in results if r.phases]
    if not rows:
        return []
    lines = [
        "", "## Where mmlearn's time goes", "",
        "Fit's per-batch body timed phase by phase (ms per step; separate from the table "
        "above, not interleaved). *fit overhead* = the step time in the first table minus "
        "the sum of the phases: per-step bookkeeping in fit plus its per-epoch work spread "
        "over the epoch. *page faults*: minor page faults per step in the timed runs of the "
        "first table, i.e. memory the OS had to hand out afresh (glibc returns freed large "
        "temporaries to the OS; each 4 KiB page then costs a fault and zeroing on the next "
        "step).", "",
        "| case | forward | loss | backward | Adam | sum | GEMM floor | fit overhead | "
        "page faults / step: mmlearn · PyTorch |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        p = r.phases
        total = sum(p[k] for k in ("forward", "loss", "backward", "optimizer"))
        step = r.ms("mmlearn")
        over = None if step is None else step - total
        lines.append(f"| {r.case.key} | {_fmt_ms(p['forward'])} | {_fmt_ms(p['loss'])} | "
                     f"{_fmt_ms(p['backward'])} | {_fmt_ms(p['optimizer'])} | {_fmt_ms(total)} "
                     f"| {_fmt_ms(r.ms('floor'))} | {_fmt_ms(over)} | "
                     + " · ".join(f"{r.timings[w].faults_per_step:.0f}" if w in r.timings
                                  else "—" for w in ("mmlearn", "torch")) + " |")
    lines += ["", "Per layer (ms per step; #i = position among the model's layers):", ""]
    for r in rows:
        per = [(k, v) for k, v in r.phases.items() if k.startswith(("fwd ", "bwd "))]
        lines.append(f"- {r.case.key}: " + ", ".join(f"{k} {v:.3f}" for k, v in per))
    profiles = [r for r in results if r.profile]
    if profiles:
        lines += ["", "## cProfile (`--profile`)", ""]
        for r in profiles:
            lines += ["```", r.profile.strip(), "```", ""]
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: few, short repeats")
    p.add_argument("--cases", nargs="+", choices=[c.key for c in CASES], default=None,
                   help="run only these cases")
    p.add_argument("--no-keras", action="store_true", help="skip the Keras contender")
    p.add_argument("--no-fit", action="store_true", help="skip the end-to-end seed fit")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--output", type=Path, default=None,
                   help="Markdown report path (default: benchmarks/results.md on a full run, "
                        "none with --quick)")
    p.add_argument("--json", type=Path, default=None, help="also dump raw samples as JSON")
    p.add_argument("--profile", action="store_true",
                   help="also cProfile mmlearn's step in every case (printed and reported)")
    p.add_argument("--keep-openblas-env", action="store_true",
                   help="do not unset OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE")
    cfg = p.parse_args(argv)
    if cfg.quick:
        defaults = {"repeats": 3, "block_s": 0.01, "settle_s": 0.01, "warmup_s": 0.02,
                    "fit_repeats": 1}
    else:
        defaults = {"repeats": 11, "block_s": 0.08, "settle_s": 0.12, "warmup_s": 0.3,
                    "fit_repeats": 5}
    for k, v in defaults.items():
        if getattr(cfg, k, None) is None:
            setattr(cfg, k, v)
    if cfg.repeats < 1:
        p.error("--repeats must be at least 1")
    if cfg.output is None and not cfg.quick:
        cfg.output = HERE / "results.md"
    return cfg


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    import torch

    cfg.torch_threads = numpy_blas_threads()
    torch.set_num_threads(cfg.torch_threads)
    machine = machine_description()
    watch = CpuWatch()
    watch.start()
    t_start = time.perf_counter()
    results = []
    for case in CASES:
        if cfg.cases and case.key not in cfg.cases:
            continue
        print(f"[bench] {case.title} ...", flush=True)
        results.append(run_case(case, cfg))
    for r in results:
        r.phases = phase_breakdown(r.case, steps=5 if cfg.quick else 50)
    if cfg.profile:
        for r in results:
            r.profile = cprofile_case(r.case)
            print(r.profile)
    fit = None
    if not cfg.no_fit:
        print("[bench] seed program end to end ...", flush=True)
        fit = run_seed_fit(cfg)
    machine["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    machine["other_cpu_share"] = watch.share()
    report = render(machine, results, fit, cfg)
    if _busy(machine):
        print(f"[bench] WARNING: {_busy(machine)}: timings are not clean", file=sys.stderr)
    print()
    print(report)
    print(f"[bench] total {time.perf_counter() - t_start:.0f} s")
    if cfg.output:
        cfg.output.write_text(report)
        print(f"[bench] wrote {cfg.output}")
    if cfg.json:
        raw = {"machine": machine,
               "cases": {r.case.key: {w: t.samples for w, t in r.timings.items()}
                         for r in results},
               "errors": {r.case.key: r.errors for r in results if r.errors},
               "seed_fit": {w: t.samples for w, t in (fit or {}).items()}}
        cfg.json.write_text(json.dumps(raw, indent=1, default=str))
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
