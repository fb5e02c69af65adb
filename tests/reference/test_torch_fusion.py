"""Attention and fusion layers against PyTorch 2.13 autograd: the same float32 weights and
inputs, a random upstream gradient, and the forward value, the gradient of every input
and of every parameter within a relative error of 1e-5 (``gradcheck.relative_error``:
the largest difference over the largest magnitude).

The torch side is written from the papers' formulas (and, for attention, also
``torch.nn.functional.scaled_dot_product_attention`` and ``torch.nn.MultiheadAttention``
with the weights copied in), not from mmlearn's code."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mmlearn import fusion
from mmlearn.attention import MultiHeadAttention
from mmlearn.backend import asarray, to_numpy

from ._compare import TOL, close, data, torch_multihead_attention

B, T, D, H = 3, 4, 5, 2


def assert_roundoff(ours, theirs, scale):
    """Both gradients are zero up to float32 round-off, relative to a sibling's scale."""
    bound = TOL * float(scale.abs().max())
    assert float(np.max(np.abs(to_numpy(ours)))) < bound
    assert float(theirs.abs().max()) < bound


def randomise(layer, seed=11, scale=0.5):
    rng = np.random.default_rng(seed)
    layer.set_weights([(scale * rng.standard_normal(w.shape)).astype(np.float32)
                       for w in layer.get_weights()])


def run_both(torch, layer, x_np, torch_forward, *, fixed=None, array_input=False, seed=3):
    """Forward and backward in mmlearn and in torch; compare everything; return max error.

    ``torch_forward(inputs, params)`` gets dicts of torch leaf tensors named as in
    mmlearn (``params`` keyed like ``layer.params``). ``fixed`` inputs (a mask) go to
    mmlearn only and are not differentiated; ``array_input`` calls the layer on the one
    array in ``x_np`` instead of the dict.
    """
    x = {k: asarray(v) for k, v in x_np.items()}
    x.update({k: asarray(v) for k, v in (fixed or {}).items()})
    if array_input:
        (x,) = x.values()
    layer(x)
    randomise(layer)
    out = layer(x)
    g = data(*out.shape, seed=seed)
    dx = layer.backward(asarray(g))
    dx = {next(iter(x_np)): dx} if array_input else dx

    tx = {k: torch.tensor(v, requires_grad=True) for k, v in x_np.items()}
    tp = {k: torch.tensor(to_numpy(p), requires_grad=True) for k, p in layer.params.items()}
    t_out = torch_forward(tx, tp)
    (t_out * torch.tensor(g)).sum().backward()

    errors = {"out": close(out, t_out, "output")}
    for k, t in tx.items():
        errors[f"d{k}"] = close(dx[k], t.grad, f"d{k}")
    for k, t in tp.items():
        if k == "bk":   # dL/dbk = 0 exactly (softmax ignores a per-row shift): round-off
            assert_roundoff(layer.grads[k], t.grad, scale=tp["bq"].grad)
            continue
        errors[f"d{k}"] = close(layer.grads[k], t.grad, f"d{k}")
    return max(errors.values())


# -- torch versions, from the formulas ---------------------------------------------------------
def torch_mha(torch, q, k, v, p, h, kd, vd, mask=None, *, sdpa=True):
    """Multi-head attention; ``mask`` (batch, Tq, Tk) bool, True = attend."""
    F = torch.nn.functional

    def heads(t, w, b, width):
        t = t @ p[w] + p[b]
        return t.reshape(t.shape[0], t.shape[1], h, width).transpose(1, 2)

    Q, K, V = heads(q, "Wq", "bq", kd), heads(k, "Wk", "bk", kd), heads(v, "Wv", "bv", vd)
    m = None if mask is None else torch.tensor(mask)[:, None]
    if sdpa:
        O = F.scaled_dot_product_attention(Q, K, V, attn_mask=m)
    else:
        S = torch.einsum("bhqd,bhkd->bhqk", Q, K) / math.sqrt(kd)
        if m is not None:
            S = S.masked_fill(~m, float("-inf"))
        O = torch.softmax(S, dim=-1) @ V
    O = O.transpose(1, 2).reshape(q.shape[0], q.shape[1], h * vd)
    return O @ p["Wo"] + p["bo"]


def aug(torch, x):
    return torch.cat([x, torch.ones(x.shape[0], 1)], dim=1)


# -- MultiHeadAttention --------------------------------------------------------------------------
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("sdpa", [True, False])
def test_mha_cross_attention_matches_torch(torch, backend, masked, sdpa):
    x = {"query": data(B, T, D), "value": data(B, 6, 4, seed=1)}
    mask = None
    if masked:
        mask = np.random.default_rng(2).random((B, T, 6)) > 0.5
        mask[:, :, 3] = True                     # torch gives NaN on fully masked rows
        x["mask"] = mask
    layer = MultiHeadAttention(H, 3, value_dim=2, output_dim=6)
    inputs = {k: v for k, v in x.items() if k != "mask"}

    def forward(t, p):
        return torch_mha(torch, t["query"], t["value"], t["value"], p, H, 3, 2, mask, sdpa=sdpa)

    fixed = {"mask": mask} if masked else None
    assert run_both(torch, layer, inputs, forward, fixed=fixed) < TOL


def test_mha_self_attention_with_key_matches_torch(torch, backend):
    x = {"query": data(B, T, D), "key": data(B, 5, 3, seed=1), "value": data(B, 5, 4, seed=2)}
    layer = MultiHeadAttention(H, 3)

    def forward(t, p):
        return torch_mha(torch, t["query"], t["key"], t["value"], p, H, 3, 3)

    assert run_both(torch, layer, x, forward) < TOL
    # self-attention on an array: q = k = v = x, gradient summed over the three paths
    layer = MultiHeadAttention(H, 3)
    assert run_both(torch, layer, {"x": data(B, T, D)}, array_input=True,
                    torch_forward=lambda t, p: torch_mha(torch, t["x"], t["x"], t["x"], p,
                                                         H, 3, 3)) < TOL


@pytest.mark.parametrize("masked", [False, True])
def test_mha_matches_torch_nn_multiheadattention(torch, masked):
    """torch's own module (embed_dim = h·key_dim, its query width), weights copied in."""
    E, kd = H * 3, 3
    q, c = data(B, T, E), data(B, 6, 4, seed=1)
    mask = None
    if masked:
        mask = np.random.default_rng(4).random((B, T, 6)) > 0.5
        mask[:, :, 0] = True
    layer = MultiHeadAttention(H, kd)
    layer({"query": asarray(q), "value": asarray(c)})
    randomise(layer)
    inputs = {"query": asarray(q), "value": asarray(c)}
    if masked:
        inputs["mask"] = asarray(mask)
    out = layer(inputs)
    g = data(*out.shape, seed=5)
    dx = layer.backward(asarray(g))
    ref = torch_multihead_attention(torch, layer.params, H, kdim=4, vdim=4)
    tq, tc = torch.tensor(q, requires_grad=True), torch.tensor(c, requires_grad=True)
    attn_mask = None
    if masked:    # torch: True = NOT allowed, one (Tq, Tk) mask per (sample, head)
        attn_mask = torch.tensor(~mask).repeat_interleave(H, dim=0)
    t_out, t_weights = ref(tq, tc, tc, attn_mask=attn_mask, need_weights=True,
                           average_attn_weights=False)
    (t_out * torch.tensor(g)).sum().backward()
    close(out, t_out, "output")
    close(layer.attention_scores, t_weights, "attention weights")
    close(dx["query"], tq.grad, "dquery")
    close(dx["value"], tc.grad, "dvalue")
    close(layer.grads["Wq"], ref.q_proj_weight.grad.T, "dWq")
    close(layer.grads["Wk"], ref.k_proj_weight.grad.T, "dWk")
    close(layer.grads["Wv"], ref.v_proj_weight.grad.T, "dWv")
    bq, bk, bv = ref.in_proj_bias.grad.split(E)
    close(layer.grads["bq"], bq, "dbq")
    close(layer.grads["bv"], bv, "dbv")
    # dL/dbk is 0 in exact arithmetic (a per-row shift of the scores): both are round-off
    assert_roundoff(layer.grads["bk"], bk, scale=bq)
    close(layer.grads["Wo"], ref.out_proj.weight.grad.T, "dWo")
    close(layer.grads["bo"], ref.out_proj.bias.grad, "dbo")


# -- fusion layers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("pool", ["mean", None])
def test_cross_attention_matches_torch(torch, backend, pool):
    x = {"text": data(B, T, D), "image": data(B, 6, 4, seed=1)}
    layer = fusion.CrossAttention(H, 3, query="text", context="image", pool=pool)

    def forward(t, p):
        out = torch_mha(torch, t["text"], t["image"], t["image"], p, H, 3, 3)
        return out.mean(dim=1) if pool == "mean" else out

    assert run_both(torch, layer, x, forward) < TOL


def test_cross_attention_2d_query_matches_torch(torch, backend):
    x = {"image": data(B, D), "text": data(B, T, 3, seed=1)}
    layer = fusion.CrossAttention(H, 3, query="image", context="text")

    def forward(t, p):
        return torch_mha(torch, t["image"][:, None], t["text"], t["text"], p, H, 3, 3)[:, 0]

    assert run_both(torch, layer, x, forward) < TOL


@pytest.mark.parametrize("modalities", [2, 3])
def test_tensor_fusion_matches_torch(torch, backend, modalities):
    dims = {"image": 4, "text": 3, "audio": 2}
    x = {k: data(B, d, seed=i) for i, (k, d) in enumerate(list(dims.items())[:modalities])}
    layer = fusion.Tensor(3)

    def forward(t, p):
        z = aug(torch, t["image"])
        for k in list(t)[1:]:
            z = torch.einsum("bi,bj->bij", z, aug(torch, t[k])).reshape(B, -1)
        return z @ p["W"] + p["b"]

    assert run_both(torch, layer, x, forward) < TOL


@pytest.mark.parametrize("modalities", [2, 3])
def test_lowrank_fusion_matches_torch(torch, backend, modalities):
    dims = {"image": 4, "text": 3, "audio": 2}
    x = {k: data(B, d, seed=i) for i, (k, d) in enumerate(list(dims.items())[:modalities])}
    layer = fusion.LowRank(3, rank=2)

    def forward(t, p):
        prod = 1.0
        for k, v in t.items():
            prod = prod * torch.einsum("bi,riu->rbu", aug(torch, v), p[f"W_{k}"])
        return prod.sum(dim=0) + p["b"]

    assert run_both(torch, layer, x, forward) < TOL


@pytest.mark.parametrize("modalities", [2, 3])
def test_gated_fusion_matches_torch(torch, backend, modalities):
    dims = {"image": 4, "text": 3, "audio": 2}
    names = list(dims)[:modalities]
    x = {k: data(B, dims[k], seed=i) for i, k in enumerate(names)}
    layer = fusion.Gated(5)

    def forward(t, p):
        hs = [torch.tanh(t[k] @ p[f"W_{k}"] + p[f"b_{k}"]) for k in names]
        g = torch.cat([t[k] for k in names], dim=1) @ p["W_z"] + p["b_z"]
        if modalities == 2:
            z = torch.sigmoid(g)
            return z * hs[0] + (1 - z) * hs[1]
        z = torch.softmax(g.reshape(B, modalities, 5), dim=1)
        return (z * torch.stack(hs, dim=1)).sum(dim=1)

    assert run_both(torch, layer, x, forward) < TOL


@pytest.mark.parametrize("target_shape", [(6,), (2, 3, 6)])
def test_film_matches_torch(torch, backend, target_shape):
    x = {"text": data(B, 4), "image": data(B, *target_shape, seed=1)}
    layer = fusion.FiLM("text", "image")

    def forward(t, p):
        gamma = t["text"] @ p["W_gamma"] + p["b_gamma"]
        beta = t["text"] @ p["W_beta"] + p["b_beta"]
        shape = (B,) + (1,) * (len(target_shape) - 1) + (6,)
        return gamma.reshape(shape) * t["image"] + beta.reshape(shape)

    assert run_both(torch, layer, x, forward) < TOL


def test_late_learned_and_concat_match_torch(torch, backend):
    x = {"image": data(B, 4), "text": data(B, 4, seed=1), "audio": data(B, 4, seed=2)}

    def late(t, p):
        a = torch.softmax(p["w"], dim=0)
        return sum(a[i] * t[k] for i, k in enumerate(t))

    assert run_both(torch, fusion.Late("learned"), x, late) < TOL
    assert run_both(torch, fusion.Concat(), x,
                    lambda t, p: torch.cat(list(t.values()), dim=1)) < TOL
