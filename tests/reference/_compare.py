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
