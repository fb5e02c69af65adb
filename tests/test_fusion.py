"""Fusion layers: gradient checks on both backends, what each computes (checked against
the formulas in the papers), shapes, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmlearn import fusion
from mmlearn.attention import MultiHeadAttention
from mmlearn.backend import asarray, to_numpy
from mmlearn.gradcheck import check_layer

B = 3


def _data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _inputs(dims, seed=0, dtype="float64"):
    """{name: (batch, *dims[name])} on the active backend."""
    return {k: asarray(_data(B, *d, seed=seed + i), dtype) for i, (k, d) in enumerate(dims.items())}




def _randomise(layer, seed=7, scale=1.0):
    rng = np.random.default_rng(seed)
    layer.set_weights([(scale * rng.standard_normal(w.shape)).astype(w.dtype)
                       for w in layer.get_weights()])


# (factory, input feature shapes, parameters whose gradient is 0 by symmetry)
CASES = {
    "concat": (lambda: fusion.Concat(), {"image": (5,), "text": (4,)}, ()),
    "concat_axis1": (lambda: fusion.Concat(axis=1), {"a": (2, 3), "b": (4, 3)}, ()),
    "late_mean": (lambda: fusion.Late(), {"image": (4,), "text": (4,)}, ()),
    "late_weighted": (lambda: fusion.Late("weighted", {"text": 3, "image": 1}),
                      {"image": (4,), "text": (4,)}, ()),
    "late_learned": (lambda: fusion.Late("learned"),
                     {"image": (4,), "text": (4,), "audio": (4,)}, ()),
    "gated2": (lambda: fusion.Gated(4), {"image": (5,), "text": (3,)}, ()),
    "gated3": (lambda: fusion.Gated(4), {"image": (5,), "text": (3,), "audio": (2,)}, ()),
    "tensor_raw": (lambda: fusion.Tensor(), {"image": (5,), "text": (3,)}, ()),
    "tensor2": (lambda: fusion.Tensor(4), {"image": (5,), "text": (3,)}, ()),
    "tensor3": (lambda: fusion.Tensor(2), {"image": (3,), "text": (2,), "audio": (2,)}, ()),
    "lowrank2": (lambda: fusion.LowRank(4, rank=3), {"image": (5,), "text": (3,)}, ()),
    "lowrank3": (lambda: fusion.LowRank(3, rank=2),
                 {"image": (4,), "text": (3,), "audio": (2,)}, ()),
    "film": (lambda: fusion.FiLM(), {"text": (5,), "image": (4,)}, ()),
    "film_maps": (lambda: fusion.FiLM("audio", "image"),
                  {"audio": (3,), "image": (2, 3, 4)}, ()),
    "cross_mean": (lambda: fusion.CrossAttention(2, 3), {"text": (4, 5), "image": (6, 4)},
                   ("bk",)),
    "cross_tokens": (lambda: fusion.CrossAttention(2, 3, "text", "image", pool=None,
                                                   value_dim=2, output_dim=3),
                     {"text": (4, 5), "image": (6, 4)}, ("bk",)),
    "cross_2d": (lambda: fusion.CrossAttention(2, 3, query="image", context="text"),
                 {"image": (5,), "text": (4, 3)}, ("bk",)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_gradcheck(backend, case, float64):
    factory, dims, zero = CASES[case]
    layer = factory()
    x = _inputs(dims)
    layer(x)
    if layer.params:
        _randomise(layer, scale=0.5)           # off the special initial point (e.g. γ = 1)
    errors = check_layer(layer, x)
    assert {f"x[{k}]" for k in dims} | set(layer.params) == set(errors)
    for name in zero:                          # bk: softmax ignores a per-row shift
        errors.pop(name)
        assert float(np.max(np.abs(to_numpy(layer.grads[name])))) < 1e-12
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("case", list(CASES))
def test_shapes_dtype_and_backward_keys(backend, case):
    factory, dims, _ = CASES[case]
    layer = factory()
    x = _inputs(dims, dtype="float32")
    out = layer(x)
    assert tuple(out.shape) == layer.output_shape
    assert out.dtype == backend.float32                      # no float64 leaks
    g = layer.backward(backend.ones_like(out))
    assert list(g) == list(layer._keys)
    for k in dims:
        assert tuple(g[k].shape) == tuple(x[k].shape)
        assert g[k].dtype == backend.float32
    assert list(layer.grads) == list(layer.params)
    assert all(layer.grads[k].shape == layer.params[k].shape for k in layer.params)


# -- what each layer computes --------------------------------------------------
def test_concat_order_is_fixed_at_build_and_backward_splits():
    layer = fusion.Concat()
    a, b = _data(B, 2), _data(B, 3, seed=1)
    np.testing.assert_array_equal(layer({"a": a, "b": b}), np.concatenate([a, b], axis=1))
    # a later call listing the modalities the other way round keeps the built order
    np.testing.assert_array_equal(layer({"b": b, "a": a}), np.concatenate([a, b], axis=1))
    g = np.arange(B * 5.0).reshape(B, 5)
    back = layer.backward(g)
    np.testing.assert_array_equal(back["a"], g[:, :2])
    np.testing.assert_array_equal(back["b"], g[:, 2:])


def test_late_modes():
    a, b = _data(B, 4), _data(B, 4, seed=1)
    np.testing.assert_allclose(fusion.Late()({"a": a, "b": b}), (a + b) / 2)
    weighted = fusion.Late("weighted", [1, 3])
    np.testing.assert_allclose(weighted({"a": a, "b": b}), 0.25 * a + 0.75 * b)
    assert weighted.modality_weights() == {"a": 0.25, "b": 0.75}
    learned = fusion.Late("learned")
    np.testing.assert_allclose(learned({"a": a, "b": b}), (a + b) / 2, rtol=1e-6)
    learned.set_weights([np.log(np.array([1.0, 4.0], dtype=np.float32))])
    np.testing.assert_allclose(learned({"a": a, "b": b}), 0.2 * a + 0.8 * b, rtol=1e-6)
    assert learned.modality_weights() == pytest.approx({"a": 0.2, "b": 0.8})


def test_gated_two_modalities_follows_the_gate():
    layer = fusion.Gated(4)
    x = {"image": _data(B, 5), "text": _data(B, 3, seed=1)}
    layer(x)
    _randomise(layer)
    p = {k: to_numpy(v).astype(np.float64) for k, v in layer.params.items()}
    h1 = np.tanh(x["image"] @ p["W_image"] + p["b_image"])
    h2 = np.tanh(x["text"] @ p["W_text"] + p["b_text"])
    g = np.concatenate([x["image"], x["text"]], axis=1) @ p["W_z"] + p["b_z"]
    z = 1 / (1 + np.exp(-g))
    np.testing.assert_allclose(layer(x), z * h1 + (1 - z) * h2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.gate, z, rtol=1e-5)
    # a gate pinned open passes the first modality through, closed the second
    W = layer.get_weights()
    for bias, want in ((50.0, h1), (-50.0, h2)):
        W[-2], W[-1] = np.zeros_like(W[-2]), np.full_like(W[-1], bias)
        layer.set_weights(W)
        np.testing.assert_allclose(layer(x), want, rtol=1e-5, atol=1e-6)


def test_gated_many_modalities_softmax_gate():
    layer = fusion.Gated(4)
    x = {"a": _data(B, 2), "b": _data(B, 3, seed=1), "c": _data(B, 4, seed=2)}
    out = layer(x)
    z = to_numpy(layer.gate)
    assert z.shape == (B, 3, 4)
    np.testing.assert_allclose(z.sum(axis=1), 1.0, rtol=1e-6)
    p = layer.params
    hs = np.stack([np.tanh(x[k] @ p[f"W_{k}"] + p[f"b_{k}"]) for k in "abc"], axis=1)
    np.testing.assert_allclose(out, (z * hs).sum(axis=1), rtol=1e-5, atol=1e-6)


def test_tensor_is_the_outer_product_of_augmented_vectors():
    a, b, c = _data(B, 3), _data(B, 2, seed=1), _data(B, 2, seed=2)
    one = np.ones((B, 1))
    za = np.concatenate([a, one], 1)
    zb = np.concatenate([b, one], 1)
    zc = np.concatenate([c, one], 1)
    got = fusion.Tensor()({"a": a, "b": b})
    np.testing.assert_allclose(got, np.einsum("bi,bj->bij", za, zb).reshape(B, -1))
    # unimodal terms survive thanks to the appended 1
    got3 = fusion.Tensor()({"a": a, "b": b, "c": c}).reshape(B, 4, 3, 3)
    np.testing.assert_allclose(got3[:, :3, -1, -1], a)
    np.testing.assert_allclose(got3[:, -1, :2, -1], b)
    np.testing.assert_allclose(got3, np.einsum("bi,bj,bk->bijk", za, zb, zc))
    layer = fusion.Tensor(2)
    out = layer({"a": a, "b": b})
    W, bias = layer.get_weights()
    assert W.shape == (4 * 3, 2)
    np.testing.assert_allclose(out, got @ W + bias, rtol=1e-5)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), rank=st.integers(1, 3), units=st.integers(1, 4))
def test_lowrank_equals_tensor_fusion_with_a_rank_r_weight(seed, rank, units, float64):
    """Liu et al.'s identity: Σ_r Π_m ([x_m;1] W_m^(r)) = vec(⊗_m [x_m;1]) W with
    W[i, j, u] = Σ_r W_a[r, i, u] W_b[r, j, u]."""
    rng = np.random.default_rng(seed)
    x = {"a": rng.standard_normal((B, 3)), "b": rng.standard_normal((B, 2))}
    lmf = fusion.LowRank(units, rank=rank)
    lmf(x)
    _randomise(lmf, seed)
    Wa, Wb, bias = (lmf.params[k] for k in ("W_a", "W_b", "b"))
    full = np.einsum("riu,rju->iju", Wa, Wb).reshape(-1, units)
    tfn = fusion.Tensor(units)
    tfn(x)
    tfn.params["W"], tfn.params["b"] = full, bias
    np.testing.assert_allclose(lmf(x), tfn(x), rtol=1e-10, atol=1e-12)


def test_film_scales_and_shifts_channels():
    layer = fusion.FiLM("text", "image")
    c, img = _data(B, 3), _data(B, 2, 2, 4, seed=1)
    layer({"text": c, "image": img})
    assert np.all(to_numpy(layer.params["b_gamma"]) == 1)
    # identity modulation: W = 0, γ = 1, β = 0
    layer.set_weights([np.zeros((3, 4)), np.ones(4), np.zeros((3, 4)), np.zeros(4)])
    np.testing.assert_allclose(layer({"text": c, "image": img}), img, rtol=1e-6)
    _randomise(layer)
    p = layer.params
    gamma = c @ p["W_gamma"] + p["b_gamma"]
    beta = c @ p["W_beta"] + p["b_beta"]
    want = gamma[:, None, None, :] * img + beta[:, None, None, :]
    np.testing.assert_allclose(layer({"image": img, "text": c}), want, rtol=1e-5, atol=1e-6)


def test_cross_attention_is_mha_then_mean():
    layer = fusion.CrossAttention(2, 3, query="text", context="image", pool="mean")
    q, c = _data(B, 4, 5), _data(B, 6, 3, seed=1)
    pooled = layer({"text": q, "image": c})
    assert pooled.shape == (B, 5)
    assert layer.attention_scores.shape == (B, 2, 4, 6)
    mha = MultiHeadAttention(2, 3)
    mha({"query": q, "value": c})
    mha.set_weights(layer.get_weights())
    np.testing.assert_allclose(pooled, mha({"query": q, "value": c}).mean(axis=1), rtol=1e-6)


def test_cross_attention_single_context_token():
    """With one context token every weight is 1: out_t = (c Wv + bv) Wo + bo for all t."""
    layer = fusion.CrossAttention(2, 3, query="text", context="image", pool=None)
    q, c = _data(B, 4, 5), _data(B, 3, seed=1)
    layer({"text": q, "image": c})
    _randomise(layer)
    out = layer({"text": q, "image": c})
    p = layer.params
    want = (c @ p["Wv"] + p["bv"]) @ p["Wo"] + p["bo"]
    np.testing.assert_allclose(out, np.broadcast_to(want[:, None], out.shape), rtol=1e-5)
    np.testing.assert_array_equal(to_numpy(layer.attention_scores), 1.0)


def test_cross_attention_shares_parameters_with_its_attention():
    layer = fusion.CrossAttention(2, 3)
    layer({"text": _data(B, 4, 5), "image": _data(B, 6, 3, seed=1)})
    assert layer.params is layer.mha.params
    assert list(layer.params) == ["Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo"]
    layer.backward(np.ones((B, 5)))
    assert layer.grads is layer.mha.grads and set(layer.grads) == set(layer.params)
    # sequence lengths may change between calls, feature sizes may not
    assert layer({"text": _data(2, 7, 5), "image": _data(2, 2, 3)}).shape == (2, 5)


# -- registry --------------------------------------------------------------------
def test_get_by_name():
    assert isinstance(fusion.get("GMU", units=4), fusion.Gated)
    assert isinstance(fusion.get("tfn"), fusion.Tensor)
    assert isinstance(fusion.get("lmf", units=2, rank=2), fusion.LowRank)
    layer = fusion.Concat()
    assert fusion.get(layer) is layer
    with pytest.raises(ValueError, match=r"unknown fusion 'gatd'.*did you mean 'gated'"):
        fusion.get("gatd", units=4)


# -- bad input ---------------------------------------------------------------------
def _built_gated():
    layer = fusion.Gated(4)
    layer({"image": _data(B, 5), "text": _data(B, 3)})
    return layer


def test_missing_and_extra_modalities_are_named():
    layer = _built_gated()
    with pytest.raises(ValueError, match=r"missing modality 'text'"):
        layer({"image": _data(B, 5)})
    with pytest.raises(ValueError, match=r"unexpected modality 'audio'"):
        layer({"image": _data(B, 5), "text": _data(B, 3), "audio": _data(B, 2)})
    with pytest.raises(ValueError, match=r"missing modality 'text'; unexpected modality "
                                         r"'txt' \(did you mean 'text'\?\)"):
        layer({"image": _data(B, 5), "txt": _data(B, 3)})


def test_wrong_shapes_and_batches_are_named():
    layer = _built_gated()
    with pytest.raises(ValueError, match=r"Gated\(4\) expected 'text' of shape \(batch, 3\), "
                                         r"got \(batch, 4\)"):
        layer({"image": _data(B, 5), "text": _data(B, 4)})
    with pytest.raises(ValueError, match=r"expected 'image' of shape \(batch, 5\), "
                                         r"got \(batch, 2, 5\)"):
        layer({"image": _data(B, 2, 5), "text": _data(B, 3)})
    with pytest.raises(ValueError, match=r"same batch size, got \{'image': 3, 'text': 2\}"):
        layer({"image": _data(B, 5), "text": _data(2, 3)})
    with pytest.raises(ValueError, match=r"expected 'image' of shape \(batch, features\)"):
        fusion.Tensor(2)({"image": _data(B, 2, 5), "text": _data(B, 3)})


def test_not_a_dict_or_not_arrays():
    with pytest.raises(TypeError, match=r"expects a dict of modality arrays .* got an array"):
        fusion.Concat()(_data(B, 5))
    with pytest.raises(TypeError, match="modality 'text' must be an array, got list"):
        fusion.Concat()({"image": _data(B, 5), "text": [[1.0, 2.0]]})


@pytest.mark.parametrize("make, error, match", [
    (lambda: fusion.Gated(0), ValueError, "units must be a positive int, got 0"),
    (lambda: fusion.LowRank(4, rank=0), ValueError, "rank must be a positive int"),
    (lambda: fusion.Late("avg"), ValueError, r"unknown Late fusion mode 'avg'"),
    (lambda: fusion.Late("learnd"), ValueError, r"did you mean 'learned'"),
    (lambda: fusion.Late("weighted"), ValueError, "needs weights"),
    (lambda: fusion.Late("mean", weights=[1, 2]), ValueError, "takes no weights"),
    (lambda: fusion.FiLM("image", "image"), ValueError, "condition and target must differ"),
    (lambda: fusion.CrossAttention(2, 3, pool="max"), ValueError, "pool must be 'mean' or None"),
    (lambda: fusion.CrossAttention(2, 3, "text", "text"), ValueError, "must differ"),
    (lambda: fusion.Concat(axis=1.5), TypeError, "axis must be an int"),
])
def test_bad_constructor_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("make, x, match", [
    (lambda: fusion.Gated(4), {"image": (5,)}, r"needs at least 2 modalities, got \['image'\]"),
    (lambda: fusion.Late(), {"a": (4,), "b": (3,)}, "predictions of the same shape"),
    (lambda: fusion.Late("weighted", [1, 2, 3]), {"a": (4,), "b": (4,)},
     "got 3 weights for 2 modalities"),
    (lambda: fusion.Late("weighted", [1, -1]), {"a": (4,), "b": (4,)}, "non-negative"),
    (lambda: fusion.Late("weighted", {"a": 1, "c": 1}), {"a": (4,), "b": (4,)},
     "missing modality 'b'; unexpected modality 'c'"),
    (lambda: fusion.Concat(axis=0), {"a": (4,), "b": (4,)}, "batch axis"),
    (lambda: fusion.Concat(), {"a": (2, 4), "b": (3, 4)}, "agree on every axis but 2"),
    (lambda: fusion.FiLM(), {"text": (5,), "imag": (4,)},
     r"missing modality 'image'; unexpected modality 'imag' \(did you mean 'image'\?\)"),
    (lambda: fusion.FiLM(), {"text": (2, 5), "image": (4,)}, "condition 'text' of shape"),
    (lambda: fusion.CrossAttention(2, 3), {"text": (2, 3, 5), "image": (4,)},
     r"expected 'text' of shape \(batch, tokens, features\)"),
])
def test_bad_inputs_at_build(make, x, match):
    with pytest.raises(ValueError, match=match):
        make()({k: _data(B, *d) for k, d in x.items()})


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="call forward before backward"):
        fusion.Concat().backward(np.ones((B, 3)))
