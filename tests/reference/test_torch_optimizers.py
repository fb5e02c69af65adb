"""Where mmlearn (= Keras) and ``torch.optim`` put Adam's and RMSprop's ε, and how much it
matters.

    Adam     Keras/mmlearn:  w −= α m / (√v + ε),        α = η √(1−β₂ᵗ)/(1−β₁ᵗ)
             torch:          w −= η m̂ / (√v̂ + ε),        m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)
             (the same as Keras's with ε replaced by ε √(1−β₂ᵗ))
    RMSprop  Keras/mmlearn:  w −= η g / √(v + ε)
             torch:          w −= η g / (√v + ε)

Both libraries run in float64 here, with the same ε = 1e-7, so that the only difference
left is the placement. With ordinary gradients it is tiny but not zero; with tiny
gradients (|g| comparable to √ε for RMSprop, to ε for Adam) the steps differ a lot.
Run with ``-s`` to see the sizes.
"""

from __future__ import annotations

import numpy as np
import pytest

from mmlearn import optimizers
from mmlearn.backend import asarray, to_numpy

EPS = 1e-7
STEPS = 25


def gradients(scale: float, seed: int = 3) -> list[np.ndarray]:
    r = np.random.default_rng(seed)
    return [r.standard_normal((5, 4)) * scale for _ in range(STEPS)]


def run_ours(name: str, start: np.ndarray, grads: list[np.ndarray], lr: float) -> np.ndarray:
    opt = (optimizers.Adam(learning_rate=lr, epsilon=EPS) if name == "adam"
           else optimizers.RMSprop(learning_rate=lr, rho=0.9, epsilon=EPS))
    w = asarray(start.copy(), dtype="float64")
    out = []
    for g in grads:
        opt.apply_gradients([(asarray(g, dtype="float64"), w)])
        out.append(to_numpy(w).copy())
    return np.array(out)


def run_torch(torch, name: str, start: np.ndarray, grads: list[np.ndarray],
              lr: float) -> np.ndarray:
    w = torch.tensor(start.copy(), dtype=torch.float64, requires_grad=True)
    opt = (torch.optim.Adam([w], lr=lr, betas=(0.9, 0.999), eps=EPS) if name == "adam"
           else torch.optim.RMSprop([w], lr=lr, alpha=0.9, eps=EPS))
    out = []
    for g in grads:
        w.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(w.detach().numpy().copy())
    return np.array(out)


def torch_formula(name: str, start: np.ndarray, grads: list[np.ndarray], lr: float) -> np.ndarray:
    """torch's documented update, written out, to show the gap is only ε's placement."""
    w, m, v = start.copy(), np.zeros_like(start), np.zeros_like(start)
    out = []
    for t, g in enumerate(grads, start=1):
        if name == "adam":
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            w = w - lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + EPS)
        else:
            v = 0.9 * v + 0.1 * g * g
            w = w - lr * g / (np.sqrt(v) + EPS)
        out.append(w)
    return np.array(out)


def step_difference(a: np.ndarray, b: np.ndarray, start: np.ndarray) -> float:
    """Largest relative difference between the two libraries' total displacement."""
    da, db = a - start, b - start
    return float(np.max(np.abs(da - db)) / np.max(np.abs(db)))


@pytest.mark.parametrize("name", ["adam", "rmsprop"])
def test_ordinary_gradients_differ_negligibly_but_not_zero(torch, name):
    start = np.random.default_rng(0).standard_normal((5, 4))
    grads = gradients(scale=1.0)
    ours = run_ours(name, start, grads, lr=0.01)
    theirs = run_torch(torch, name, start, grads, lr=0.01)
    np.testing.assert_allclose(theirs, torch_formula(name, start, grads, 0.01), rtol=1e-12)
    diff = step_difference(ours, theirs, start)
    print(f"\n{name}, |g| ~ 1: relative difference of the updates after {STEPS} steps: "
          f"{diff:.2e}")
    assert 1e-10 < diff < 1e-5, diff           # below float32 resolution, yet not zero


@pytest.mark.parametrize(("name", "scale"), [("adam", 1e-7), ("rmsprop", 1e-4)])
def test_tiny_gradients_show_the_epsilon_placement(torch, name, scale):
    start = np.random.default_rng(0).standard_normal((5, 4))
    grads = gradients(scale=scale)
    ours = run_ours(name, start, grads, lr=0.01)
    theirs = run_torch(torch, name, start, grads, lr=0.01)
    np.testing.assert_allclose(theirs, torch_formula(name, start, grads, 0.01), rtol=1e-12)
    diff = step_difference(ours, theirs, start)
    first = step_difference(ours[:1], theirs[:1], start)
    print(f"\n{name}, |g| ~ {scale:g}: updates differ by {first:.1%} after one step and "
          f"{diff:.1%} after {STEPS}")
    assert diff > 0.1, diff
    # The direction is the same: only the effective step size differs.
    assert np.all(np.sign(ours[0] - start) == np.sign(theirs[0] - start))
    # Keras/mmlearn take the smaller step: ε sits where it damps more.
    assert np.max(np.abs(ours[0] - start)) < np.max(np.abs(theirs[0] - start))
