"""Contrastive learning against PyTorch 2.13 autograd: symmetric InfoNCE (CLIP's loss,
written as torch's cross-entropy over rows and over columns) and the DualEncoder
(projections, L2 normalisation, learned logit scale) on the same float32 weights and
inputs. Forward values and every gradient agree within a relative error of 1e-5
(``gradcheck.relative_error``: the largest difference over the largest magnitude).

Run with ``-s`` to see the largest differences."""

from __future__ import annotations

import numpy as np
import pytest

import mmlearn as mm
from mmlearn import contrastive as C
from mmlearn import layers as L
from mmlearn.backend import asarray, to_numpy
from mmlearn.gradcheck import relative_error

TOL = 1e-5


def _t(torch, a, grad=True):
    return torch.tensor(np.asarray(a, dtype=np.float32), requires_grad=grad)


def _clip_loss(torch, logits, match=None):
    """CLIP's pseudocode: (CE(logits, labels) + CE(logitsᵀ, labels)) / 2, with the
    column direction's targets the inverse permutation of the rows'."""
    n = logits.shape[0]
    rows = torch.arange(n) if match is None else torch.tensor(match)
    cols = torch.argsort(rows)
    f = torch.nn.functional
    return 0.5 * (f.cross_entropy(logits, rows) + f.cross_entropy(logits.T, cols))


@pytest.mark.parametrize("temperature", [None, 0.07])
@pytest.mark.parametrize("match", [None, [2, 0, 3, 1, 5, 4]])
def test_infonce_matches_torch(torch, temperature, match):
    S = np.random.default_rng(0).standard_normal((6, 6)).astype(np.float32) * 3
    loss = C.InfoNCE(temperature)
    ours = float(to_numpy(loss(None if match is None else np.array(match),
                               asarray(S, dtype="float32"))))
    grad = to_numpy(loss.backward())
    S_t = _t(torch, S)
    ref = _clip_loss(torch, S_t if temperature is None else S_t / temperature, match)
    ref.backward()
    e_val = abs(ours - ref.item()) / abs(ref.item())
    e_grad = relative_error(grad, S_t.grad.numpy())
    print(f"\nInfoNCE(temperature={temperature}, match={match}): value {e_val:.1e}, "
          f"grad {e_grad:.1e}")
    assert e_val < TOL and e_grad < TOL


def test_infonce_matches_torch_on_extreme_logits(torch):
    """Confident logits (softmax entries within 1e-5 of 1): float32 against torch's float64
    autograd. (torch's own float32 gradient is off by 4e-4 here: it forms p − 1.)"""
    S = np.array([[80.0, -60.0, 5.0], [70.0, 90.0, -10.0], [0.0, 30.0, 85.0]],
                 dtype=np.float32)
    loss = C.InfoNCE()
    ours = float(to_numpy(loss(None, asarray(S, dtype="float32"))))
    S_t = torch.tensor(S.astype(np.float64), requires_grad=True)
    ref = _clip_loss(torch, S_t)
    ref.backward()
    e_val = abs(ours - ref.item()) / abs(ref.item())
    e_grad = relative_error(to_numpy(loss.backward()), S_t.grad.numpy())
    print(f"\nInfoNCE on extreme logits vs float64 torch: value {e_val:.1e}, grad {e_grad:.1e}")
    assert e_val < TOL and e_grad < TOL


def test_dual_encoder_and_infonce_match_torch(torch):
    """image: x W1 + b1 → tanh; text: x W2 + b2 → relu; then CLIP's head:
    ĩ = normalize(h_I W_img), t̃ = normalize(h_T W_txt), S = exp(t) ĩ t̃ᵀ, and the loss."""
    mm.set_seed(0)
    g = np.random.default_rng(1)
    n, d_img, d_txt, h, e = 8, 10, 7, 6, 4
    x_img = g.standard_normal((n, d_img)).astype(np.float32)
    x_txt = g.standard_normal((n, d_txt)).astype(np.float32)
    model = C.DualEncoder(L.Dense(h, activation="tanh"), L.Dense(h, activation="relu"),
                          embed_dim=e)
    x = {"image": asarray(x_img), "text": asarray(x_txt)}
    model(x)
    xp = mm.get_namespace()
    model.params["logit_scale"] = xp.asarray([2.3], dtype=xp.float32)   # not the default
    logits = model(x)
    loss = C.InfoNCE()
    value = float(to_numpy(loss(None, logits)))
    grads_in = model.backward(loss.backward())

    p = {k: _t(torch, to_numpy(v)) for k, v in model.params.items()}
    xi, xt = _t(torch, x_img), _t(torch, x_txt)
    h_i = torch.tanh(xi @ p["image_encoder/W"] + p["image_encoder/b"])
    h_t = torch.relu(xt @ p["text_encoder/W"] + p["text_encoder/b"])
    f = torch.nn.functional
    u_i = f.normalize(h_i @ p["W_img"], dim=1, eps=0.0)
    u_t = f.normalize(h_t @ p["W_txt"], dim=1, eps=0.0)
    logits_t = p["logit_scale"].exp() * u_i @ u_t.T
    ref = _clip_loss(torch, logits_t)
    ref.backward()

    errors = {"logits": relative_error(to_numpy(logits), logits_t.detach().numpy()),
              "loss": abs(value - ref.item()) / abs(ref.item()),
              "x[image]": relative_error(to_numpy(grads_in["image"]), xi.grad.numpy()),
              "x[text]": relative_error(to_numpy(grads_in["text"]), xt.grad.numpy())}
    for key, tensor in p.items():
        errors[key] = relative_error(to_numpy(model.grads[key]), tensor.grad.numpy())
    print("\nDualEncoder + InfoNCE vs torch, rel. errors: "
          + ", ".join(f"{k} {v:.1e}" for k, v in errors.items()))
    assert len(errors) == 4 + 7
    assert max(errors.values()) < TOL, errors
