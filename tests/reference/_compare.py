"""What the PyTorch reference tests share: seeded float32 data and one closeness check."""

from __future__ import annotations

import numpy as np

from mmlearn.backend import to_numpy
from mmlearn.gradcheck import relative_error

TOL = 1e-5  # DESIGN 6: float32 relative error against PyTorch on the same weights


def data(*shape, seed=0, scale=1.0):
    """Standard-normal float32 data of ``shape``, the same for a given seed."""
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def close(ours, theirs, what):
    """Assert ``ours`` (any backend) matches ``theirs`` (torch tensor or array)."""
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    ours = to_numpy(ours)
    assert ours.shape == theirs.shape, (what, ours.shape, theirs.shape)
    assert ours.dtype == np.float32, (what, ours.dtype)
    err = relative_error(ours, theirs)
    assert err < TOL, f"{what}: relative error {err:.2e}"
    return err


def leaf(torch, a):
    """A float32 torch tensor that collects its gradient."""
    return torch.tensor(np.asarray(a, dtype=np.float32), requires_grad=True)


def torch_multihead_attention(torch, params, num_heads, kdim, vdim):
    """``torch.nn.MultiheadAttention`` holding a MultiHeadAttention's weights.

    torch stores each projection as (out, in), mmlearn as (in, out): hence the transposes.
    """
    P = {k: torch.tensor(to_numpy(v)) for k, v in params.items()}
    embed_dim = int(P["Wq"].shape[1])
    ref = torch.nn.MultiheadAttention(embed_dim, num_heads, batch_first=True, kdim=kdim,
                                      vdim=vdim)
    with torch.no_grad():
        ref.q_proj_weight.copy_(P["Wq"].T)
        ref.k_proj_weight.copy_(P["Wk"].T)
        ref.v_proj_weight.copy_(P["Wv"].T)
        ref.in_proj_bias.copy_(torch.cat([P["bq"], P["bk"], P["bv"]]))
        ref.out_proj.weight.copy_(P["Wo"].T)
        ref.out_proj.bias.copy_(P["bo"])
    return ref
