"""Optimizers: the docstring formulas, checked against a hand-written NumPy reference
(plain float64 expressions, not the library's in-place code), on both array backends."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mmlearn as mm
from mmlearn import optimizers
from mmlearn.backend import asarray, to_numpy

SHAPES = [(4, 3), (3,)]


# -- the reference: the docstrings' formulas, one step at a time, in float64 -----------------
def ref_sgd(w, grads, learning_rate=0.01, momentum=0.0, nesterov=False):
    lr = learning_rate
    m = np.zeros_like(w)
    out = []
    for g in grads:
        if momentum == 0.0:
            w = w - lr * g
        else:
            m = momentum * m - lr * g
            w = w + (momentum * m - lr * g if nesterov else m)
        out.append(w)
    return out


def ref_rmsprop(w, grads, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7):
    lr = learning_rate
    v = np.zeros_like(w)
    b = np.zeros_like(w)
    out = []
    for g in grads:
        v = rho * v + (1 - rho) * g ** 2
        delta = lr * g / np.sqrt(v + epsilon)
        if momentum:
            b = momentum * b + delta
            w = w - b
        else:
            w = w - delta
        out.append(w)
    return out


def ref_adam(w, grads, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
             weight_decay=0.0):
    lr = learning_rate
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    v_hat = np.zeros_like(w)
    out = []
    for t, g in enumerate(grads, start=1):
        w = w * (1 - weight_decay * lr)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g ** 2
        v_hat = np.maximum(v_hat, v)
        alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        w = w - alpha * m / (np.sqrt(v_hat if amsgrad else v) + epsilon)
        out.append(w)
    return out


CASES = [
    ("sgd", dict(learning_rate=0.1), ref_sgd),
    ("sgd_momentum", dict(learning_rate=0.1, momentum=0.9), ref_sgd),
    ("sgd_nesterov", dict(learning_rate=0.1, momentum=0.9, nesterov=True), ref_sgd),
    ("rmsprop", dict(learning_rate=0.01), ref_rmsprop),
    ("rmsprop_momentum", dict(learning_rate=0.01, momentum=0.5, rho=0.8), ref_rmsprop),
    ("adam", dict(learning_rate=0.01), ref_adam),
    ("adam_amsgrad", dict(learning_rate=0.01, amsgrad=True), ref_adam),
    ("adamw", dict(learning_rate=0.01, weight_decay=0.1), ref_adam),
]
CLASSES = {"sgd": optimizers.SGD, "rmsprop": optimizers.RMSprop, "adam": optimizers.Adam,
           "adamw": optimizers.AdamW}


def make(case: str, kwargs: dict) -> optimizers.Optimizer:
    return CLASSES[case.split("_")[0]](**kwargs)


def gradient_sequence(steps: int, seed: int = 1, scale: float = 1.0) -> list[list[np.ndarray]]:
    r = np.random.default_rng(seed)
    return [[r.standard_normal(s) * scale for s in SHAPES] for _ in range(steps)]


def run(opt, grads_seq, dtype, start):
    """Apply the sequence with the library; return the parameters after each step."""
    params = [asarray(p.copy(), dtype=dtype) for p in start]   # the library updates in place
    history = []
    for grads in grads_seq:
        opt.apply_gradients(zip([asarray(g, dtype=dtype) for g in grads], params, strict=True))
        history.append([to_numpy(p).copy() for p in params])
    return params, history


@pytest.mark.parametrize(("case", "kwargs", "ref"), CASES, ids=[c[0] for c in CASES])
def test_matches_reference_formula_step_by_step(backend, case, kwargs, ref):
    start = [np.random.default_rng(0).standard_normal(s) for s in SHAPES]
    grads_seq = gradient_sequence(12)
    # float64 parameters: the library must agree with the formulas to rounding error.
    _, got = run(make(case, kwargs), grads_seq, "float64", start)
    for i, p0 in enumerate(start):
        want = ref(p0, [g[i] for g in grads_seq], **kwargs)
        for step, (a, b) in enumerate(zip([h[i] for h in got], want, strict=True)):
            err = np.max(np.abs(a - b)) / np.max(np.abs(b))
            assert err < 1e-12, f"{case} param {i} step {step + 1}: rel. error {err:.2e}"
    # float32 parameters: within float32 rounding of the same formulas.
    _, got32 = run(make(case, kwargs), grads_seq, "float32", start)
    for i, p0 in enumerate(start):
        want = ref(p0, [g[i] for g in grads_seq], **kwargs)
        err = max(np.max(np.abs(h[i] - w)) / np.max(np.abs(w)) for h, w in zip(got32, want,
                                                                               strict=True))
        assert err < 1e-5, f"{case} float32 param {i}: rel. error {err:.2e}"


@pytest.mark.parametrize(("case", "kwargs"), [(c[0], c[1]) for c in CASES],
                         ids=[c[0] for c in CASES])
def test_decreases_a_quadratic(backend, case, kwargs):
    """f(w) = ½ Σ a ⊙ (w − c)², ∇f = a ⊙ (w − c): every optimizer heads to the minimum."""
    r = np.random.default_rng(3)
    a = asarray(r.uniform(0.5, 2.0, size=(5,)), dtype="float32")
    c = asarray(r.standard_normal(5), dtype="float32")
    w = asarray(np.zeros(5), dtype="float32")
    xp = backend

    def f(w):
        return float(xp.sum(a * (w - c) ** 2) / 2)

    kwargs = {**kwargs, "learning_rate": 0.05 if "sgd" not in case else 0.1}
    opt = make(case, kwargs)
    f0 = f(w)
    values = []
    for _ in range(200):
        opt.apply_gradients([(a * (w - c), w)])
        values.append(f(w))
    assert values[-1] < 0.05 * f0, f"{case}: f went {f0:.4f} -> {values[-1]:.4f}"
    assert opt.iterations == 200


@pytest.mark.parametrize("case", ["sgd", "sgd_momentum", "rmsprop", "adam", "adamw"])
def test_updates_in_place_and_keeps_float32(backend, case):
    kwargs = next(c[1] for c in CASES if c[0] == case)
    w = asarray(np.ones((3, 2)), dtype="float32")
    g = asarray(np.full((3, 2), 0.5), dtype="float32")
    before = to_numpy(w).copy()
    same = w
    opt = make(case, kwargs)
    opt.apply_gradients(zip([g], [w], strict=True))
    assert same is w                                       # the very object was updated
    assert not np.array_equal(to_numpy(w), before)
    assert w.dtype == backend.float32
    for slots in opt._slots.values():
        for name, s in slots.items():
            if not name.startswith("_"):
                assert s.dtype == backend.float32, f"slot {name} is {s.dtype}"


def test_state_is_per_parameter_and_follows_explicit_keys():
    w1 = asarray(np.zeros(3), dtype="float32")
    w2 = asarray(np.zeros(3), dtype="float32")
    g = asarray(np.ones(3), dtype="float32")
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    opt.apply_gradients([(g, w1)])
    opt.apply_gradients([(g, w1), (g, w2)])
    # w1 has momentum from two steps (-0.1, then -0.19), w2 from one (-0.1).
    np.testing.assert_allclose(to_numpy(w1), -0.1 - 0.19, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(w2), -0.1, rtol=1e-6)
    # With keys, the state survives replacing the array (as set_weights does).
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    w = asarray(np.zeros(3), dtype="float32")
    opt.apply_gradients([(g, w)], keys=["w"])
    w = asarray(to_numpy(w).copy(), dtype="float32")      # a new array, same values
    opt.apply_gradients([(g, w)], keys=["w"])
    np.testing.assert_allclose(to_numpy(w), -0.1 - 0.19, rtol=1e-6)


def test_none_gradient_leaves_parameter_alone():
    w = asarray(np.ones(2), dtype="float32")
    optimizers.Adam().apply_gradients([(None, w)])
    assert np.array_equal(to_numpy(w), np.ones(2))


def test_get_by_name_class_or_object():
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    assert isinstance(optimizers.get("RMSprop"), optimizers.RMSprop)
    assert isinstance(optimizers.get("AdamW"), optimizers.AdamW)
    assert isinstance(optimizers.get(optimizers.SGD), optimizers.SGD)
    opt = optimizers.SGD(0.5)
    assert optimizers.get(opt) is opt


@pytest.mark.parametrize(("bad", "suggestion"), [("adamm", "adam"), ("sgdd", "sgd"),
                                                 ("rmsporp", "rmsprop"), ("adam_w", "adamw")])
def test_unknown_name_suggests(bad, suggestion):
    with pytest.raises(ValueError, match=f"did you mean '{suggestion}'"):
        optimizers.get(bad)


def test_get_rejects_other_things():
    with pytest.raises(TypeError, match="optimizer"):
        optimizers.get(3)


def test_keras_defaults():
    adam = optimizers.Adam()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (0.001, 0.9, 0.999,
                                                                            1e-7)
    sgd = optimizers.SGD()
    assert (sgd.learning_rate, sgd.momentum, sgd.nesterov) == (0.01, 0.0, False)
    rms = optimizers.RMSprop()
    assert (rms.learning_rate, rms.rho, rms.momentum, rms.epsilon) == (0.001, 0.9, 0.0, 1e-7)
    adamw = optimizers.AdamW()
    assert (adamw.learning_rate, adamw.weight_decay) == (0.001, 0.004)


@pytest.mark.parametrize(("cls", "kwargs", "match"), [
    (optimizers.SGD, {"learning_rate": -1.0}, "learning_rate"),
    (optimizers.SGD, {"learning_rate": float("nan")}, "learning_rate"),
    (optimizers.SGD, {"learning_rate": "fast"}, "learning_rate"),
    (optimizers.SGD, {"momentum": 1.0}, "momentum"),
    (optimizers.Adam, {"beta_1": 1.5}, "beta_1"),
    (optimizers.Adam, {"epsilon": 0.0}, "epsilon"),
    (optimizers.RMSprop, {"rho": -0.1}, "rho"),
    (optimizers.AdamW, {"weight_decay": -0.1}, "weight_decay"),
])
def test_bad_hyperparameters(cls, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        cls(**kwargs)


def test_mismatched_gradient_is_a_clear_error():
    w = asarray(np.ones((2, 3)), dtype="float32")
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*\(2, 3\)"):
        opt.apply_gradients([(asarray(np.ones((3, 2)), dtype="float32"), w)])
    with pytest.raises(TypeError, match="dtype"):
        opt.apply_gradients([(asarray(np.ones((2, 3)), dtype="float64"), w)])
    with pytest.raises(ValueError, match="keys"):
        opt.apply_gradients([(asarray(np.ones((2, 3)), dtype="float32"), w)], keys=["a", "b"])
    with pytest.raises(TypeError, match="pairs"):
        opt.apply_gradients([w])
    assert np.array_equal(to_numpy(w), np.ones((2, 3)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=1e-3, max_value=1e3) | st.floats(min_value=-1e3,
                                                                     max_value=-1e-3),
                min_size=1, max_size=6),
       st.floats(min_value=1e-4, max_value=1e-1))
def test_adam_first_step_is_learning_rate_times_sign(g, lr):
    """Adam's first step: α m/(√v + ε) = η g/(|g| + ε/√(1−β₂)), ≈ η sign(g) when |g| ≫ ε."""
    g = np.array(g)
    w = asarray(np.zeros_like(g), dtype="float64")
    optimizers.Adam(learning_rate=lr).apply_gradients([(asarray(g, dtype="float64"), w)])
    exact = -lr * g / (np.abs(g) + 1e-7 / np.sqrt(1 - 0.999))
    np.testing.assert_allclose(to_numpy(w), exact, rtol=1e-9)
    np.testing.assert_allclose(to_numpy(w), -lr * np.sign(g), rtol=5e-3)


@settings(max_examples=30, deadline=None)
@given(st.floats(min_value=1e-3, max_value=1.0), st.floats(min_value=0.0, max_value=0.99),
       st.integers(min_value=1, max_value=6))
def test_sgd_momentum_with_constant_gradient_is_a_geometric_series(lr, mu, steps):
    """With a constant g, m_t = −η g (1 − μᵗ)/(1 − μ) and w_t = Σ m_k."""
    w = asarray(np.zeros(1), dtype="float64")
    g = asarray(np.ones(1), dtype="float64")
    opt = optimizers.SGD(learning_rate=lr, momentum=mu)
    for _ in range(steps):
        opt.apply_gradients([(g, w)])
    expected = -lr * sum((1 - mu ** k) / (1 - mu) for k in range(1, steps + 1))
    np.testing.assert_allclose(to_numpy(w), [expected], rtol=1e-9)


def test_reset_and_config():
    opt = optimizers.Adam(learning_rate=0.01)
    w = asarray(np.ones(2), dtype="float32")
    opt.apply_gradients([(w * 1.0, w)])
    assert opt.iterations == 1 and opt._slots
    opt.reset()
    assert opt.iterations == 0 and not opt._slots
    assert opt.get_config()["learning_rate"] == 0.01
    assert "Adam(" in repr(opt)


def test_strict_backend_refuses_nothing_in_the_update():
    """array_api_strict rejects NumPy scalars mixed with its arrays: the update uses none."""
    mm.set_backend("array_api_strict")
    xp = mm.get_namespace()
    for cls in CLASSES.values():
        w = asarray(np.ones(4), dtype="float32")
        cls().apply_gradients([(asarray(np.full(4, 0.3), dtype="float32"), w)])
        assert w.dtype == xp.float32


@pytest.mark.parametrize("cls", [optimizers.Adam, optimizers.AdamW])
def test_adam_flat_state_gives_the_same_bits_as_one_parameter_at_a_time(monkeypatch, cls):
    """On NumPy, small float32 parameters share one flat m/v buffer (fewer calls per step).
    It must be an optimisation only: the same bits as updating each parameter alone, also
    when the set of parameters with a gradient changes (a None gradient) and for a
    parameter too large to join (it is updated on its own)."""
    flat_max = optimizers.adam._FLAT_MAX_SIZE
    shapes = [(7, 5), (5,), (flat_max + 3,), (5, 2), (2,)]
    r = np.random.default_rng(4)
    start = [r.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [[r.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(6)]
    grads[3][1] = None                                  # step 4: bias 1 gets no update

    def train(limit: int) -> tuple[list[np.ndarray], optimizers.Optimizer]:
        monkeypatch.setattr(optimizers.adam, "_FLAT_MAX_SIZE", limit)
        opt = cls(learning_rate=0.01)
        params = [p.copy() for p in start]
        for step in grads:
            opt.apply_gradients(zip(step, params, strict=True),
                                keys=[f"p{i}" for i in range(len(params))])
        return params, opt

    one_by_one, opt_ref = train(0)                      # nothing joins the flat state
    flat, opt_flat = train(flat_max)
    assert opt_ref._flat is None and opt_flat._flat is not None
    assert len(opt_flat._flat.slots) == len(shapes) - 1   # all but the large one
    for i, (a, b) in enumerate(zip(one_by_one, flat, strict=True)):
        assert a.dtype == b.dtype == np.float32
        assert np.array_equal(a, b), f"parameter {i} differs"
        for slot in ("m", "v"):                         # each parameter's own state still
            assert np.array_equal(opt_ref._slots[f"p{i}"][slot], opt_flat._slots[f"p{i}"][slot])
    opt_flat.reset()
    assert opt_flat._flat is None and not opt_flat._slots


def test_adam_flat_state_is_numpy_float32_only():
    """float64 parameters (gradient checks) and amsgrad take the one-at-a-time path."""
    for dtype, amsgrad in (("float64", False), ("float32", True)):
        opt = optimizers.Adam(amsgrad=amsgrad)
        params = [asarray(np.ones(3), dtype=dtype), asarray(np.ones(2), dtype=dtype)]
        opt.apply_gradients([(p * 0.5, p) for p in params])
        assert opt._flat is None
