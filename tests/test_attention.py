"""MultiHeadAttention: shapes, masking, a per-head reference loop, gradient checks on
both backends, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mmlearn as mm
from mmlearn.attention import MultiHeadAttention
from mmlearn.backend import asarray, to_numpy
from mmlearn.gradcheck import check_layer

B, T, D, H = 3, 4, 5, 2


def _data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)




def _assert_gradcheck(layer, x):
    """Every gradient within 1e-6, except bk, whose gradient is exactly zero in theory:
    adding q·bk to every score of a query row does not change the softmax."""
    errors = check_layer(layer, x)
    assert "bk" in errors or not layer.use_bias
    errors.pop("bk", None)
    assert max(errors.values()) < 1e-6, errors
    if layer.use_bias:
        assert float(np.max(np.abs(to_numpy(layer.grads["bk"])))) < 1e-12
    return errors


def _reference(q, k, v, p, h, kd, vd, mask=None):
    """Plain per-head loop in NumPy (float64), written from the formula."""
    out_heads = []
    for i in range(h):
        Q = q @ p["Wq"][:, i * kd:(i + 1) * kd] + p["bq"][i * kd:(i + 1) * kd]
        K = k @ p["Wk"][:, i * kd:(i + 1) * kd] + p["bk"][i * kd:(i + 1) * kd]
        V = v @ p["Wv"][:, i * vd:(i + 1) * vd] + p["bv"][i * vd:(i + 1) * vd]
        S = np.einsum("bqd,bkd->bqk", Q, K) / np.sqrt(kd)
        if mask is not None:
            S = np.where(mask, S, -np.inf)
        A = np.exp(S - S.max(axis=-1, keepdims=True))
        A /= A.sum(axis=-1, keepdims=True)
        out_heads.append(A @ V)
    return np.concatenate(out_heads, axis=-1) @ p["Wo"] + p["bo"]


# -- shapes and parameters ---------------------------------------------------
def test_shapes_and_parameters():
    mha = MultiHeadAttention(H, 3, value_dim=2, output_dim=7)
    q, v = asarray(_data(B, T, D), "float32"), asarray(_data(B, 6, 8, seed=1), "float32")
    out = mha({"query": q, "value": v})
    assert out.shape == (B, T, 7)
    assert out.dtype == np.float32
    shapes = {k: tuple(p.shape) for k, p in mha.params.items()}
    assert shapes == {"Wq": (D, 6), "bq": (6,), "Wk": (8, 6), "bk": (6,), "Wv": (8, 4),
                      "bv": (4,), "Wo": (4, 7), "bo": (7,)}
    assert mha.attention_scores.shape == (B, H, T, 6)
    assert mha.output_shape == (B, T, 7)
    for k in ("bq", "bk", "bv", "bo"):
        assert not np.any(mha.params[k])
    # Glorot-uniform limit for Wq: sqrt(6 / (5 + 6))
    assert np.max(np.abs(mha.params["Wq"])) <= np.sqrt(6 / 11)


def test_self_attention_output_dim_defaults_to_input():
    mha = MultiHeadAttention(H, 3, input_shape=(T, D))
    assert mha.built
    out = mha(asarray(_data(B, T, D)))
    assert out.shape == (B, T, D)
    weights = to_numpy(mha.attention_scores)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)


def test_use_bias_false_has_no_biases(backend, float64):
    mha = MultiHeadAttention(H, 3, use_bias=False)
    x = asarray(_data(B, T, D), "float64")
    mha(x)
    assert set(mha.params) == {"Wq", "Wk", "Wv", "Wo"}
    _assert_gradcheck(mha, x)


def test_matches_per_head_reference_loop(float64):
    mha = MultiHeadAttention(H, 3, value_dim=2, output_dim=4)
    q, v = _data(B, T, D), _data(B, 6, 7, seed=1)
    mask = np.random.default_rng(2).random((B, T, 6)) > 0.4
    mask[:, :, 0] = True                      # every query keeps at least one key
    mha({"query": q, "value": v})
    rng = np.random.default_rng(3)
    mha.set_weights([rng.standard_normal(w.shape).astype(w.dtype) for w in mha.get_weights()])
    p = {k: np.asarray(v, dtype=np.float64) for k, v in mha.params.items()}
    for m in (None, mask):
        inputs = {"query": q, "value": v} if m is None else {"query": q, "value": v, "mask": m}
        got = mha(inputs)
        want = _reference(q, v, v, p, H, 3, 2, m)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_separate_key_input_is_used():
    mha = MultiHeadAttention(H, 3)
    q, k, v = _data(B, T, D), _data(B, 6, 4, seed=1), _data(B, 6, 7, seed=2)
    out = mha({"query": q, "key": k, "value": v})
    assert mha.params["Wk"].shape == (4, 6) and mha.params["Wv"].shape == (7, 6)
    p = dict(mha.params)
    np.testing.assert_allclose(out, _reference(q, k, v, p, H, 3, 3), rtol=1e-5, atol=1e-6)


# -- gradient checks, both backends ------------------------------------------
@pytest.mark.parametrize("masked", [False, True])
def test_gradcheck_self_attention(backend, masked, float64):
    x = asarray(_data(B, T, D), "float64")
    mha = MultiHeadAttention(H, 3)
    if masked:
        causal = np.tril(np.ones((T, T), dtype=bool))            # (Tq, Tk), shared by the batch
        inputs = {"query": x, "mask": asarray(causal)}
    else:
        inputs = x
    mha(inputs)
    errors = _assert_gradcheck(mha, inputs)
    assert ("x[query]" if masked else "x") in errors


@pytest.mark.parametrize("masked", [False, True])
def test_gradcheck_cross_attention(backend, masked, float64):
    q, v = asarray(_data(B, T, D), "float64"), asarray(_data(B, 6, 4, seed=1), "float64")
    inputs = {"query": q, "value": v}
    if masked:
        mask = np.random.default_rng(5).random((B, T, 6)) > 0.5
        mask[0, 1, :] = False                  # one query sees nothing: zero weights
        inputs["mask"] = asarray(mask)
    mha = MultiHeadAttention(H, 3, value_dim=2, output_dim=3)
    mha(inputs)
    errors = _assert_gradcheck(mha, inputs)
    assert {"x[query]", "x[value]"} <= set(errors)


@pytest.mark.parametrize("names", [("query", "key", "value"), ("query", "key"), ("query",)])
def test_gradcheck_any_subset_of_inputs(backend, names, float64):
    """value defaults to query and key to value: each gradient goes to its source."""
    shapes = {"query": (B, T, D), "key": (B, T, 3), "value": (B, T, 4)}
    inputs = {k: asarray(_data(*shapes[k], seed=i), "float64") for i, k in enumerate(names)}
    mha = MultiHeadAttention(H, 2)
    mha(inputs)
    errors = _assert_gradcheck(mha, inputs)
    assert {f"x[{k}]" for k in names} <= set(errors)


def test_backward_keys_follow_the_inputs():
    mha = MultiHeadAttention(H, 3)
    x = _data(B, T, D)
    mha({"query": x, "mask": np.ones((B, T, T))})
    g = mha.backward(np.ones((B, T, D)))
    assert list(g) == ["query", "mask"]
    assert not np.any(g["mask"])
    # dict self-attention and array self-attention are the same function
    mha2 = MultiHeadAttention(H, 3)
    mha2(x)
    mha2.set_weights(mha.get_weights())
    np.testing.assert_allclose(mha2(x), mha({"query": x}), rtol=1e-6)
    np.testing.assert_allclose(mha2.backward(np.ones((B, T, D))),
                               mha.backward(np.ones((B, T, D)))["query"], rtol=1e-5)
    assert list(mha.grads) == list(mha.params)


def test_float32_stays_float32(backend):
    xp = backend
    mha = MultiHeadAttention(H, 3)
    x = asarray(_data(B, T, D), "float32")
    out = mha({"query": x, "value": x, "mask": asarray(np.ones((B, T, T), dtype=bool))})
    assert out.dtype == xp.float32
    g = mha.backward(xp.ones_like(out))
    assert g["query"].dtype == xp.float32
    assert all(v.dtype == xp.float32 for v in mha.grads.values())


# -- masks ---------------------------------------------------------------------
def test_masked_weights_are_exactly_zero_and_rows_sum_to_one():
    mha = MultiHeadAttention(H, 3)
    mask = np.random.default_rng(0).random((B, T, 6)) > 0.5
    mask[:, :, 2] = True
    mha({"query": _data(B, T, D), "value": _data(B, 6, D, seed=1), "mask": mask})
    a = to_numpy(mha.attention_scores)
    assert np.all(a[np.broadcast_to(~mask[:, None], a.shape)] == 0)
    np.testing.assert_allclose(a.sum(-1), 1.0, rtol=1e-6)


def test_fully_masked_query_gets_zero_weights_not_nan():
    mha = MultiHeadAttention(H, 3)
    mask = np.ones((B, T, T), dtype=bool)
    mask[1, 2, :] = False
    out = to_numpy(mha({"query": _data(B, T, D), "mask": mask}))
    assert np.all(np.isfinite(out))
    assert np.all(to_numpy(mha.attention_scores)[1, :, 2] == 0)
    np.testing.assert_allclose(out[1, 2], to_numpy(mha.params["bo"]), atol=0)


@pytest.mark.parametrize("kind", ["float", "int"])
def test_numeric_masks_match_boolean(backend, kind):
    mask = np.random.default_rng(1).random((B, T, T)) > 0.5
    mask[:, :, 0] = True
    x = asarray(_data(B, T, D))
    mha = MultiHeadAttention(H, 3)
    ref = to_numpy(mha({"query": x, "mask": asarray(mask)}))
    numeric = mask.astype(np.float64 if kind == "float" else np.int64)
    got = to_numpy(mha({"query": x, "mask": asarray(numeric)}))
    np.testing.assert_array_equal(got, ref)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), b=st.integers(0, B - 1), j=st.integers(0, 5),
       scale=st.floats(0.1, 100.0))
def test_masked_key_value_does_not_affect_output(seed, b, j, scale, float64):
    rng = np.random.default_rng(seed)
    q, v = rng.standard_normal((B, T, D)), rng.standard_normal((B, 6, 4))
    mask = rng.random((B, T, 6)) > 0.3
    mask[b, :, j] = False                      # nobody in sample b may look at key j
    mha = MultiHeadAttention(H, 3)
    mha({"query": q, "value": v})
    changed = v.copy()
    changed[b, j] += scale * rng.standard_normal(4)
    before = mha({"query": q, "value": v, "mask": mask})
    after = mha({"query": q, "value": changed, "mask": mask})
    np.testing.assert_allclose(after, before, rtol=1e-12, atol=1e-12)
    # and the same change does matter where the key is visible
    mask[b, 0, j] = True
    before = mha({"query": q, "value": v, "mask": mask})
    after = mha({"query": q, "value": changed, "mask": mask})
    assert np.max(np.abs(after[b, 0] - before[b, 0])) > 1e-9


# -- bad input -----------------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    ({"num_heads": 0, "key_dim": 3}, "num_heads must be a positive int, got 0"),
    ({"num_heads": 2, "key_dim": 2.5}, "key_dim must be a positive int, got 2.5"),
    ({"num_heads": 2, "key_dim": 3, "value_dim": -1}, "value_dim"),
])
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MultiHeadAttention(**kwargs)


def test_bad_inputs_are_named():
    mha = MultiHeadAttention(H, 3)
    x = _data(B, T, D)
    mha({"query": x, "value": _data(B, 6, 4)})
    with pytest.raises(ValueError, match=r"query of shape \(batch, time, features\)"):
        mha({"query": _data(B, D), "value": _data(B, 6, 4)})
    with pytest.raises(ValueError, match=r"expected value of shape \(batch, time, 4\), "
                                         r"got \(batch, 6, 5\)"):
        mha({"query": x, "value": _data(B, 6, 5)})
    with pytest.raises(ValueError, match=r"same batch size.*'query': 3.*'value': 2"):
        mha({"query": x, "value": _data(2, 6, 4)})
    with pytest.raises(ValueError, match=r"unexpected input 'vaule'.*did you mean 'value'"):
        mha({"query": x, "vaule": _data(B, 6, 4)})
    with pytest.raises(ValueError, match="needs a 'query' entry"):
        mha({"value": _data(B, 6, 4)})
    with pytest.raises(ValueError, match=r"mask of shape \(batch, Tq, Tk\) = \(3, 4, 6\)"):
        mha({"query": x, "value": _data(B, 6, 4), "mask": np.ones((B, 6, T))})
    with pytest.raises(ValueError, match="key and value must have the same length"):
        mha({"query": x, "value": _data(B, 6, 4), "key": _data(B, 5, 4)})
    with pytest.raises(TypeError, match="value must be an array, got list"):
        mha({"query": x, "value": [[1.0]]})


def test_self_attention_input_checks():
    mha = MultiHeadAttention(H, 3)
    with pytest.raises(ValueError, match=r"got \(batch, 5\)"):
        mha(_data(B, D))
    mha(_data(B, T, D))
    with pytest.raises(ValueError, match=r"expected query of shape \(batch, time, 5\)"):
        mha(_data(B, T, 6))


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="call forward before backward"):
        MultiHeadAttention(H, 3).backward(np.ones((B, T, D)))


def test_layers_module_reexports():
    assert mm.layers.MultiHeadAttention is MultiHeadAttention
