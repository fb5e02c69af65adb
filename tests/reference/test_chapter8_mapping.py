"""Chapter 8's tables (mmlearn <-> PyTorch <-> Keras 3), verified row by row.

The tables are read from ``book/08_tools.ipynb`` itself, so the book and this test cannot
drift apart:

* every row must have a check below, and every check a row (``test_every_row_is_checked``);
* every name in the tables (``torch.nn.Linear``, ``keras.layers.Dense``,
  ``mm.fusion.Gated``, ...; a table's header gives each column's module) must exist
  (``test_table_names_exist``);
* each row's check builds the mmlearn object and its PyTorch counterpart with the same
  float32 weights and inputs, and compares the forward values and every gradient within a
  relative error of 1e-5 (``gradcheck.relative_error``: the largest difference over the
  largest magnitude); where the row names a Keras counterpart, its forward values (or
  steps, for optimizers) are compared too (``test_row``);
* the chapter's "mmlearn -> PyTorch" code block is extracted from the page and executed:
  the converted model must compute mmlearn's outputs and gradients
  (``test_chapter_conversion_code_runs_and_matches``).

Run with ``-s`` to print the largest difference of each row.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import mmlearn as mm
from mmlearn import contrastive, fusion, layers, losses, optimizers
from mmlearn.backend import asarray, to_numpy
from mmlearn.gradcheck import relative_error

from ._compare import data, leaf, torch_multihead_attention

TOL = 1e-5
NOTEBOOK = Path(__file__).resolve().parents[2] / "book" / "08_tools.ipynb"
LIBRARIES = ("mm", "torch", "keras")          # the three columns, in this order
CONVERSION_MARK = "# mmlearn -> PyTorch"


# -- reading the notebook -------------------------------------------------------------------
def _markdown_cells() -> list[str]:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _in_library(name: str, lib: str) -> bool:
    return name == lib or name.startswith(lib + ".")


def _header(line: str) -> list[str] | None:
    """The three module paths of a mapping table's header line, or None for another line."""
    if not line.startswith("|"):
        return None
    cells = _cells(line)
    if len(cells) != 3 or not all(re.fullmatch(r"`[\w.]+`", c) for c in cells):
        return None
    modules = [c.strip("`") for c in cells]
    if not all(_in_library(m, lib) for m, lib in zip(modules, LIBRARIES, strict=True)):
        return None
    return modules


def _name(cell: str, module: str, lib: str) -> str | None:
    """The full name in a table cell: relative to the column's module unless written in
    full; None for "—" (no built-in counterpart)."""
    if cell == "—":
        return None
    found = re.fullmatch(r"`([A-Za-z_][\w.]*)`", cell)
    assert found, f"chapter 8's table cell {cell!r} is neither `a.name` nor —"
    name = found.group(1)
    return name if _in_library(name, lib) else f"{module}.{name}"


def read_table() -> list[dict[str, str | None]]:
    """Every row of chapter 8's mapping tables as full names {"mmlearn", "torch", "keras"}.

    A table's header names the module of each column (`mm.layers` | `torch.nn` |
    `keras.layers`); a cell holds a name relative to it, a full name starting with
    mm., torch. or keras., or "—" for no counterpart.
    """
    rows = []
    for text in _markdown_cells():
        lines = text.splitlines()
        for i, line in enumerate(lines):
            modules = _header(line)
            if modules is None:
                continue
            assert lines[i + 1].replace(" ", "") == "|---|---|---|", lines[i + 1]
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                cells = _cells(row)
                assert len(cells) == 3, f"table row with {len(cells)} cells: {row!r}"
                full = [_name(c, m, lib) for c, m, lib in zip(cells, modules, LIBRARIES,
                                                               strict=True)]
                rows.append(dict(zip(("mmlearn", "torch", "keras"), full, strict=True)))
    assert rows, f"no mapping table (header `mm...` | `torch...` | `keras...`) in {NOTEBOOK}"
    return rows


def row_key(row: dict[str, str | None]) -> str:
    assert row["mmlearn"] is not None, row
    return row["mmlearn"]


def conversion_code() -> str:
    """The fenced Python block of chapter 8 that starts with CONVERSION_MARK."""
    for text in _markdown_cells():
        for block in re.findall(r"```python\n(.*?)```", text, flags=re.S):
            if block.startswith(CONVERSION_MARK):
                return block
    raise AssertionError(f"no code block starting with {CONVERSION_MARK!r} in {NOTEBOOK}")


ROWS = read_table()


# -- helpers ------------------------------------------------------------------------------
def err(ours, theirs) -> float:
    """Relative error of two same-shape arrays (torch tensors, Keras tensors or NumPy)."""
    if hasattr(theirs, "detach"):
        theirs = theirs.detach().cpu().numpy()
    ours, theirs = to_numpy(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    return relative_error(ours, theirs)


def knp(keras, t) -> np.ndarray:
    """A Keras result (a torch tensor on Keras's torch backend) or Variable as NumPy."""
    t = getattr(t, "value", t)                   # a keras.Variable holds a torch Parameter
    if hasattr(t, "detach"):
        return t.detach().cpu().numpy()
    return np.asarray(keras.ops.convert_to_numpy(t))


def resolve(name: str, torch, keras):
    root, *parts = name.split(".")
    obj = {"mm": mm, "torch": torch, "keras": keras}[root]
    for part in parts:
        obj = getattr(obj, part)
    return obj


def compare_layer(torch, layer, x_np, torch_forward, *, randomise=True, seed=3):
    """Forward + backward of an mmlearn layer against a torch function of (inputs, params).

    ``x_np`` is an array or a dict of arrays; ``torch_forward(tx, tp)`` receives torch leaf
    tensors (a dict for dict input) and the parameters keyed like ``layer.params``.
    Returns {what: relative error}.
    """
    as_dict = isinstance(x_np, dict)
    x = {k: asarray(v) for k, v in x_np.items()} if as_dict else asarray(x_np)
    layer(x)
    if randomise:
        r = np.random.default_rng(11)
        layer.set_weights([(0.5 * r.standard_normal(w.shape)).astype(np.float32)
                           for w in layer.get_weights()])
    out = layer(x)
    g = data(*out.shape, seed=seed)
    dx = layer.backward(asarray(g))

    tx = {k: leaf(torch, v) for k, v in x_np.items()} if as_dict else leaf(torch, x_np)
    tp = {k: leaf(torch, to_numpy(v)) for k, v in layer.params.items()}
    t_out = torch_forward(tx, tp)
    (t_out * torch.tensor(g)).sum().backward()

    errors = {"output": err(out, t_out)}
    if as_dict:
        for k, t in tx.items():
            errors[f"d{k}"] = err(dx[k], t.grad)
    else:
        errors["dx"] = err(dx, tx.grad)
    for k, t in tp.items():
        if k == "bk":    # dL/dbk is 0 in exact arithmetic (softmax ignores a per-row shift)
            assert float(np.max(np.abs(to_numpy(layer.grads[k])))) < 1e-5
            assert float(t.grad.abs().max()) < 1e-5
            continue
        errors[f"d{k}"] = err(layer.grads[k], t.grad)
    return errors


def aug(torch, x):
    return torch.cat([x, torch.ones(x.shape[0], 1)], dim=1)


def torch_mha(torch, q, k, v, p, h, kd):
    """Multi-head attention from the formula; p keyed like mmlearn's (Wq (in, h·kd), ...)."""
    def heads(t, w, b):
        t = t @ p[w] + p[b]
        return t.reshape(t.shape[0], t.shape[1], h, kd).transpose(1, 2)

    Q, K, V = heads(q, "Wq", "bq"), heads(k, "Wk", "bk"), heads(v, "Wv", "bv")
    A = torch.softmax(Q @ K.transpose(-1, -2) / math.sqrt(kd), dim=-1)
    O = (A @ V).transpose(1, 2).reshape(q.shape[0], q.shape[1], h * kd)
    return O @ p["Wo"] + p["bo"]


def keras_mha(keras, layer, h, kd, q, v):
    """keras.layers.MultiHeadAttention with mmlearn ``layer``'s weights, on q and v."""
    P = {k: to_numpy(w) for k, w in layer.params.items()}
    k_mha = keras.layers.MultiHeadAttention(num_heads=h, key_dim=kd)
    k_mha(q, v)                                                  # build
    shapes = {"Wq": (-1, h, kd), "bq": (h, kd), "Wk": (-1, h, kd), "bk": (h, kd),
              "Wv": (-1, h, kd), "bv": (h, kd), "Wo": (h, kd, -1), "bo": (-1,)}
    order = ["Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo"]
    k_mha.set_weights([P[n].reshape(shapes[n]) for n in order])
    return knp(keras, k_mha(q, v))


CHECKS: dict[str, object] = {}


def check(name: str):
    def register(fn):
        assert name not in CHECKS, name
        CHECKS[name] = fn
        return fn
    return register


# -- layers ---------------------------------------------------------------------------------
@check("mm.layers.Dense")
def _dense(torch, keras):
    layer = layers.Dense(5, activation="linear", input_shape=(4,))
    x = data(6, 4)
    W, b = data(4, 5, seed=1), data(5, seed=2)
    layer.set_weights([W, b])
    y = layer(asarray(x))
    g = data(6, 5, seed=3)
    dx = layer.backward(asarray(g))
    linear = torch.nn.Linear(4, 5)                               # the module itself
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(W.T))
        linear.bias.copy_(torch.tensor(b))
    tx = leaf(torch, x)
    ty = linear(tx)
    ty.backward(torch.tensor(g))
    errors = {"y": err(y, ty), "dx": err(dx, tx.grad),
              "dW": err(layer.grads["W"], linear.weight.grad.T),     # torch's weight is W.T
              "db": err(layer.grads["b"], linear.bias.grad)}
    k_dense = keras.layers.Dense(5)
    k_dense.build((None, 4))
    k_dense.set_weights([W, b])                                  # Keras: the same layout
    errors["keras y"] = err(y, knp(keras, k_dense(x)))
    return errors


def _activation(name, torch_fn, keras_fn):
    def run(torch, keras):
        x, g = data(3, 7, scale=3), data(3, 7, seed=1)
        f = getattr(mm.activations, name)
        y = f(asarray(x))
        if name == "softmax":
            dx = mm.activations.softmax_derivative(asarray(x), asarray(g))
        else:
            dx = getattr(mm.activations, name + "_derivative")(asarray(x)) * asarray(g)
        tx = leaf(torch, x)
        ty = torch_fn(torch)(tx)
        ty.backward(torch.tensor(g))
        return {"y": err(y, ty), "dx": err(dx, tx.grad),
                "keras y": err(y, knp(keras, keras_fn(keras)(x)))}
    return run


check("mm.activations.relu")(_activation(
    "relu", lambda t: t.relu, lambda k: k.activations.relu))
check("mm.activations.sigmoid")(_activation(
    "sigmoid", lambda t: t.sigmoid, lambda k: k.activations.sigmoid))
check("mm.activations.tanh")(_activation(
    "tanh", lambda t: t.tanh, lambda k: k.activations.tanh))
check("mm.activations.gelu")(_activation(
    "gelu", lambda t: (lambda z: t.nn.functional.gelu(z, approximate="tanh")),
    lambda k: (lambda z: k.activations.gelu(z, approximate=True))))
check("mm.activations.softmax")(_activation(
    "softmax", lambda t: (lambda z: t.softmax(z, dim=-1)), lambda k: k.activations.softmax))


@check("mm.layers.Embedding")
def _embedding(torch, keras):
    layer = layers.Embedding(7, 3)
    ids = np.array([[1, 4, 4, 0], [6, 1, 1, 1]])
    y = layer(asarray(ids))
    g = data(2, 4, 3, seed=1)
    layer.backward(asarray(g))
    E = to_numpy(layer.params["embeddings"])
    t_emb = torch.nn.Embedding(7, 3)
    with torch.no_grad():
        t_emb.weight.copy_(torch.tensor(E))
    ty = t_emb(torch.tensor(ids))
    ty.backward(torch.tensor(g))
    k_emb = keras.layers.Embedding(7, 3)
    k_emb.build((None, 4))
    k_emb.set_weights([E])
    return {"y": err(y, ty), "dE": err(layer.grads["embeddings"], t_emb.weight.grad),
            "keras y": err(y, knp(keras, k_emb(ids)))}


@check("mm.layers.LayerNorm")
def _layernorm(torch, keras):
    layer = layers.LayerNorm(input_shape=(2, 6))
    gamma, beta = data(6, seed=2), data(6, seed=3)
    layer.set_weights([gamma, beta])
    x, g = data(3, 2, 6, scale=2), data(3, 2, 6, seed=1)
    y = layer(asarray(x))
    dx = layer.backward(asarray(g))
    t_ln = torch.nn.LayerNorm(6, eps=1e-3)                        # the table's ε note
    with torch.no_grad():
        t_ln.weight.copy_(torch.tensor(gamma))
        t_ln.bias.copy_(torch.tensor(beta))
    tx = leaf(torch, x)
    ty = t_ln(tx)
    ty.backward(torch.tensor(g))
    k_ln = keras.layers.LayerNormalization()                      # epsilon=1e-3 by default
    k_ln.build((None, 2, 6))
    k_ln.set_weights([gamma, beta])
    return {"y": err(y, ty), "dx": err(dx, tx.grad),
            "dgamma": err(layer.grads["gamma"], t_ln.weight.grad),
            "dbeta": err(layer.grads["beta"], t_ln.bias.grad),
            "keras y": err(y, knp(keras, k_ln(x)))}


@check("mm.layers.Dropout")
def _dropout(torch, keras):
    rate = 0.3
    x, g = data(50, 8), data(50, 8, seed=1)
    # inference: the identity in all three
    errors = {"inference": err(layers.Dropout(rate)(asarray(x)), x)}
    t_drop = torch.nn.Dropout(rate).eval()
    errors["torch inference"] = err(t_drop(torch.tensor(x)), x)
    errors["keras inference"] = relative_error(
        knp(keras, keras.layers.Dropout(rate)(x, training=False)), x)
    # training: the same mask gives the same values and gradient ("inverted" dropout)
    mm.set_seed(11)
    layer = layers.Dropout(rate)
    y = layer(asarray(x), training=True)
    dx = layer.backward(asarray(g))
    keep = to_numpy(y) != 0
    tx = leaf(torch, x)
    ty = tx * torch.tensor(keep.astype(np.float32)) / (1 - rate)
    ty.backward(torch.tensor(g))
    errors.update({"y": err(y, ty), "dx": err(dx, tx.grad)})
    # torch's and Keras's own masks differ, but every kept unit is scaled by 1/(1 - rate)
    t_y = torch.nn.Dropout(rate).train()(torch.tensor(x)).numpy()
    k_y = knp(keras, keras.layers.Dropout(rate, seed=1)(x, training=True))
    for label, out in (("torch scale", t_y), ("keras scale", k_y)):
        kept = out != 0
        assert 0 < kept.mean() < 1
        errors[label] = relative_error(out[kept], x[kept] / (1 - rate))
    return errors


@check("mm.layers.Flatten")
def _flatten(torch, keras):
    x, g = data(2, 3, 4), data(2, 12, seed=1)
    layer = layers.Flatten()
    y = layer(asarray(x))
    dx = layer.backward(asarray(g))
    tx = leaf(torch, x)
    ty = torch.nn.Flatten()(tx)
    ty.backward(torch.tensor(g))
    return {"y": err(y, ty), "dx": err(dx, tx.grad),
            "keras y": err(y, knp(keras, keras.layers.Flatten()(x)))}


@check("mm.layers.GlobalAveragePooling1D")
def _pool(torch, keras):
    x, g = data(2, 3, 4), data(2, 4, seed=1)
    layer = layers.GlobalAveragePooling1D()
    y = layer(asarray(x))
    dx = layer.backward(asarray(g))
    tx = leaf(torch, x)
    ty = torch.mean(tx, dim=1)
    ty.backward(torch.tensor(g))
    return {"y": err(y, ty), "dx": err(dx, tx.grad),
            "keras y": err(y, knp(keras, keras.layers.GlobalAveragePooling1D()(x)))}


@check("mm.layers.MultiHeadAttention")
def _mha(torch, keras):
    h, kd = 2, 3
    E = h * kd                              # torch's embed_dim is the query width
    q, c = data(3, 4, E), data(3, 5, 4, seed=1)
    layer = layers.MultiHeadAttention(h, kd)
    layer({"query": asarray(q), "value": asarray(c)})
    r = np.random.default_rng(11)
    layer.set_weights([(0.5 * r.standard_normal(w.shape)).astype(np.float32)
                       for w in layer.get_weights()])
    out = layer({"query": asarray(q), "value": asarray(c)})
    g = data(*out.shape, seed=5)
    dx = layer.backward(asarray(g))
    ref = torch_multihead_attention(torch, layer.params, h, kdim=4, vdim=4)
    tq, tc = leaf(torch, q), leaf(torch, c)
    t_out, _ = ref(tq, tc, tc, need_weights=False)
    (t_out * torch.tensor(g)).sum().backward()
    bq, _, bv = ref.in_proj_bias.grad.split(E)
    return {"y": err(out, t_out), "dquery": err(dx["query"], tq.grad),
            "dvalue": err(dx["value"], tc.grad),
            "dWq": err(layer.grads["Wq"], ref.q_proj_weight.grad.T),
            "dWk": err(layer.grads["Wk"], ref.k_proj_weight.grad.T),
            "dWv": err(layer.grads["Wv"], ref.v_proj_weight.grad.T),
            "dbq": err(layer.grads["bq"], bq), "dbv": err(layer.grads["bv"], bv),
            "dWo": err(layer.grads["Wo"], ref.out_proj.weight.grad.T),
            "dbo": err(layer.grads["bo"], ref.out_proj.bias.grad),
            "keras y": err(out, keras_mha(keras, layer, h, kd, q, c))}


# -- losses ---------------------------------------------------------------------------------
def _keras_loss(keras, cls, y_true, y_pred):
    return float(knp(keras, getattr(keras.losses, cls)()(y_true, y_pred)))


@check("mm.losses.MeanSquaredError")
def _mse(torch, keras):
    y_true, y_pred = data(6, 3), data(6, 3, seed=1)
    loss = losses.MeanSquaredError()
    value = loss(asarray(y_true), asarray(y_pred))
    tp = leaf(torch, y_pred)
    t_value = torch.nn.MSELoss()(tp, torch.tensor(y_true))
    t_value.backward()
    return {"value": err(value, t_value), "grad": err(loss.backward(), tp.grad),
            "keras value": abs(float(to_numpy(value)) - _keras_loss(
                keras, "MeanSquaredError", y_true, y_pred)) / float(to_numpy(value))}


@check("mm.losses.BinaryCrossentropy")
def _bce(torch, keras):
    y_true = (np.random.default_rng(0).random((6, 3)) > 0.5).astype(np.float32)
    y_pred = (1 / (1 + np.exp(-data(6, 3, seed=1)))).astype(np.float32)
    loss = losses.BinaryCrossentropy()
    value = loss(asarray(y_true), asarray(y_pred))
    tp = leaf(torch, y_pred)
    t_value = torch.nn.BCELoss()(tp, torch.tensor(y_true))
    t_value.backward()
    return {"value": err(value, t_value), "grad": err(loss.backward(), tp.grad),
            "keras value": abs(float(to_numpy(value)) - _keras_loss(
                keras, "BinaryCrossentropy", y_true, y_pred)) / float(to_numpy(value))}


def _crossentropy(sparse):
    def run(torch, keras):
        z = data(6, 4, scale=2)
        labels = np.array([0, 3, 1, 1, 2, 0])
        soft = np.random.default_rng(2).random((6, 4)).astype(np.float32)
        soft /= soft.sum(axis=1, keepdims=True)
        target = labels if sparse else soft
        cls = "SparseCategoricalCrossentropy" if sparse else "CategoricalCrossentropy"
        # torch takes logits: mmlearn's from_logits=True is the match
        loss = getattr(losses, cls)(from_logits=True)
        value = loss(asarray(target), asarray(z))
        tz = leaf(torch, z)
        t_target = torch.tensor(labels) if sparse else torch.tensor(soft)
        t_value = torch.nn.CrossEntropyLoss()(tz, t_target)
        t_value.backward()
        errors = {"value": err(value, t_value), "grad": err(loss.backward(), tz.grad)}
        # Keras (and mmlearn's default) take probabilities
        probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        on_probs = float(to_numpy(getattr(losses, cls)()(asarray(target), asarray(probs))))
        errors["keras value"] = abs(on_probs - _keras_loss(keras, cls, target, probs)) / on_probs
        return errors
    return run


check("mm.losses.CategoricalCrossentropy")(_crossentropy(sparse=False))
check("mm.losses.SparseCategoricalCrossentropy")(_crossentropy(sparse=True))


# -- optimizers -------------------------------------------------------------------------------
def _optimizer(name, mm_kwargs, torch_make, keras_kwargs):
    def run(torch, keras):
        r = np.random.default_rng(7)
        start = [r.standard_normal(s).astype(np.float32) for s in ((5, 4), (4,))]
        # gradients of order 1 to 3, as in training; (with |g| near √ε, RMSprop's and Adam's
        # ε placement makes torch's steps differ: tests/reference/test_torch_optimizers.py)
        grads = [[(2 * r.standard_normal(s)).astype(np.float32) for s in ((5, 4), (4,))]
                 for _ in range(10)]
        ours = getattr(optimizers, name)(**mm_kwargs)
        params = [asarray(p.copy()) for p in start]
        t_params = [torch.tensor(p.copy(), requires_grad=True) for p in start]
        t_opt = torch_make(torch, t_params)
        k_opt = getattr(keras.optimizers, name)(**keras_kwargs)
        k_vars = [keras.Variable(p.copy()) for p in start]
        errors = {}
        for step, gs in enumerate(grads, start=1):
            ours.apply_gradients(zip([asarray(g) for g in gs], params, strict=True))
            for t, g in zip(t_params, gs, strict=True):
                t.grad = torch.tensor(g)
            t_opt.step()
            k_opt.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in gs], k_vars,
                                      strict=True))
            for i, p in enumerate(params):
                errors[f"torch step {step} p{i}"] = err(p, t_params[i])
                errors[f"keras step {step} p{i}"] = err(p, knp(keras, k_vars[i]))
        return {f"worst {lib}": max(v for k, v in errors.items() if k.startswith(lib))
                for lib in ("torch", "keras")}
    return run


check("mm.optimizers.SGD")(lambda torch, keras: {
    **{f"momentum {k}": v for k, v in _optimizer(
        "SGD", {"learning_rate": 0.05, "momentum": 0.9},
        lambda t, p: t.optim.SGD(p, lr=0.05, momentum=0.9),
        {"learning_rate": 0.05, "momentum": 0.9})(torch, keras).items()},
    **{f"nesterov {k}": v for k, v in _optimizer(
        "SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
        lambda t, p: t.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
        {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True})(torch, keras).items()}})
check("mm.optimizers.RMSprop")(_optimizer(
    "RMSprop", {"learning_rate": 0.01},
    lambda t, p: t.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-7),
    {"learning_rate": 0.01}))
check("mm.optimizers.Adam")(_optimizer(
    "Adam", {"learning_rate": 0.01},
    lambda t, p: t.optim.Adam(p, lr=0.01, eps=1e-7),
    {"learning_rate": 0.01}))
check("mm.optimizers.AdamW")(_optimizer(
    "AdamW", {"learning_rate": 0.01},
    lambda t, p: t.optim.AdamW(p, lr=0.01, eps=1e-7, weight_decay=0.004),
    {"learning_rate": 0.01}))


# -- models ---------------------------------------------------------------------------------
def small_model():
    mm.set_seed(0)
    return mm.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                          layers.Dense(8, activation="tanh"),
                          layers.Dense(3, activation="softmax")])


def keras_twin(keras, model):
    k_model = keras.Sequential([keras.Input(shape=(4,)),
                                keras.layers.Dense(8, activation="relu"),
                                keras.layers.Dense(8, activation="tanh"),
                                keras.layers.Dense(3, activation="softmax")])
    k_model.set_weights(model.get_weights())
    return k_model


def torch_twin(torch, model):
    namespace: dict = {}
    exec(conversion_code(), namespace)          # the chapter's own conversion code
    return namespace["to_torch"](model)


@check("mm.Sequential")
def _sequential(torch, keras):
    model = small_model()
    x, y = data(10, 4), np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    t_model = torch_twin(torch, model)
    loss = losses.SparseCategoricalCrossentropy()
    probs = model(asarray(x), training=True)
    loss(asarray(y), probs)
    dx = model.backward(loss.backward())
    tx = leaf(torch, x)
    t_probs = t_model(tx)
    t_loss = torch.nn.functional.nll_loss(torch.log(t_probs), torch.tensor(y))
    t_loss.backward()
    errors = {"probs": err(probs, t_probs), "dx": err(dx, tx.grad)}
    linears = [m for m in t_model if isinstance(m, torch.nn.Linear)]
    for i, linear in enumerate(linears):
        W_name, b_name = list(model.params)[2 * i: 2 * i + 2]
        errors[f"dW{i}"] = err(model.grads[W_name], linear.weight.grad.T)
        errors[f"db{i}"] = err(model.grads[b_name], linear.bias.grad)
    errors["keras probs"] = err(to_numpy(model.predict(asarray(x))),
                                knp(keras, keras_twin(keras, model)(x)))
    return errors


@check("mm.Sequential.fit")
def _fit(torch, keras):
    x = data(16, 4)
    y = np.argmax(x @ data(4, 3, seed=9), axis=1)
    model = small_model()
    t_model = torch_twin(torch, model)
    k_model = keras_twin(keras, model)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1),
                  loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    # torch: the loop that fit() hides (the softmax module feeds log + NLL, Keras's formula)
    t_opt = torch.optim.SGD(t_model.parameters(), lr=0.1)
    t_losses = []
    for _ in range(2):
        epoch = []
        for b in range(4):
            xb, yb = torch.tensor(x[4 * b: 4 * b + 4]), torch.tensor(y[4 * b: 4 * b + 4])
            t_opt.zero_grad()
            t_loss = torch.nn.functional.nll_loss(torch.log(t_model(xb)), yb)
            t_loss.backward()
            t_opt.step()
            epoch.append(t_loss.item())
        t_losses.append(float(np.mean(epoch)))
    k_model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                    loss="sparse_categorical_crossentropy")
    k_history = k_model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    linears = [m for m in t_model if isinstance(m, torch.nn.Linear)]
    torch_weights = [a for m in linears for a in (m.weight.detach().numpy().T,
                                                   m.bias.detach().numpy())]
    errors = {"loss per epoch": relative_error(np.array(history.history["loss"]),
                                               np.array(t_losses)),
              "keras loss per epoch": relative_error(np.array(history.history["loss"]),
                                                     np.array(k_history.history["loss"]))}
    k_weights = [knp(keras, v) for v in k_model.weights]
    for i, (ours, t_w, k_w) in enumerate(zip(model.get_weights(), torch_weights, k_weights,
                                             strict=True)):
        errors[f"weight {i}"] = relative_error(ours, t_w)
        errors[f"keras weight {i}"] = relative_error(ours, k_w)
    return errors


@check("mm.Sequential.save_weights")
def _save(torch, keras):
    import tempfile

    model = small_model()
    x = data(5, 4)
    expected = to_numpy(model.predict(asarray(x)))
    errors = {}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        model.save_weights(str(folder / "model.npz"))
        with np.load(folder / "model.npz") as saved:
            arrays = [saved[k] for k in saved.files if not k.startswith("__")]
        # into torch: build the state_dict with the transpose, then torch.save / torch.load
        state = {}
        for i, (W, b) in enumerate(zip(arrays[0::2], arrays[1::2], strict=True)):
            state[f"{2 * i}.weight"] = torch.tensor(W.T.copy())
            state[f"{2 * i}.bias"] = torch.tensor(b)
        torch.save(state, folder / "model.pt")
        t_model = torch_twin(torch, small_model())
        t_model.load_state_dict(torch.load(folder / "model.pt"))
        with torch.no_grad():
            errors["torch"] = err(expected, t_model(torch.tensor(x)).numpy())
        # into Keras: the same arrays, then its own save_weights / load_weights
        k_model = keras_twin(keras, model)
        k_model.set_weights(arrays)
        with warnings.catch_warnings():      # Keras's own np.array(variable) on torch
            warnings.simplefilter("ignore", DeprecationWarning)
            k_model.save_weights(str(folder / "model.weights.h5"))
        k_fresh = keras_twin(keras, small_model())
        k_fresh.set_weights([np.zeros_like(a) for a in arrays])
        k_fresh.load_weights(str(folder / "model.weights.h5"))
        errors["keras"] = err(expected, knp(keras, k_fresh(x)))
        # and back: mmlearn's own load_weights
        back = small_model()
        back.set_weights([np.zeros_like(a) for a in arrays])
        back.load_weights(str(folder / "model.npz"))
        errors["mmlearn"] = err(expected, to_numpy(back.predict(asarray(x))))
    return errors


# -- fusion ---------------------------------------------------------------------------------
B = 3


@check("mm.fusion.Concat")
def _concat(torch, keras):
    x = {"image": data(B, 4), "text": data(B, 3, seed=1)}
    errors = compare_layer(torch, fusion.Concat(), x,
                           lambda t, p: torch.cat([t["image"], t["text"]], dim=1))
    ours = fusion.Concat()({k: asarray(v) for k, v in x.items()})
    errors["keras y"] = err(ours, knp(keras, keras.layers.Concatenate()([x["image"],
                                                                         x["text"]])))
    return errors


@check("mm.fusion.Late")
def _late(torch, keras):
    x = {"image": data(B, 4), "text": data(B, 4, seed=1), "audio": data(B, 4, seed=2)}
    errors = compare_layer(torch, fusion.Late(), x,
                           lambda t, p: torch.stack(list(t.values())).mean(dim=0))
    ours = fusion.Late()({k: asarray(v) for k, v in x.items()})
    errors["keras y"] = err(ours, knp(keras, keras.layers.Average()(list(x.values()))))
    return errors


@check("mm.fusion.Gated")
def _gated(torch, keras):
    x = {"image": data(B, 4), "text": data(B, 3, seed=1)}

    def gmu(t, p):
        h_i = torch.tanh(t["image"] @ p["W_image"] + p["b_image"])
        h_t = torch.tanh(t["text"] @ p["W_text"] + p["b_text"])
        z = torch.sigmoid(torch.cat([t["image"], t["text"]], dim=1) @ p["W_z"] + p["b_z"])
        return z * h_i + (1 - z) * h_t

    return compare_layer(torch, fusion.Gated(5), x, gmu)


@check("mm.fusion.Tensor")
def _tensor(torch, keras):
    x = {"image": data(B, 4), "text": data(B, 3, seed=1)}

    def tfn(t, p):
        z = torch.einsum("bi,bj->bij", aug(torch, t["image"]), aug(torch, t["text"]))
        return z.reshape(B, -1) @ p["W"] + p["b"]

    return compare_layer(torch, fusion.Tensor(3), x, tfn)


@check("mm.fusion.LowRank")
def _lowrank(torch, keras):
    x = {"image": data(B, 4), "text": data(B, 3, seed=1)}

    def lmf(t, p):
        prod = 1.0
        for k, v in t.items():
            prod = prod * torch.einsum("bi,riu->rbu", aug(torch, v), p[f"W_{k}"])
        return prod.sum(dim=0) + p["b"]

    return compare_layer(torch, fusion.LowRank(3, rank=2), x, lmf)


@check("mm.fusion.FiLM")
def _film(torch, keras):
    x = {"text": data(B, 4), "image": data(B, 6, seed=1)}

    def film(t, p):
        gamma = torch.nn.functional.linear(t["text"], p["W_gamma"].T, p["b_gamma"])
        beta = torch.nn.functional.linear(t["text"], p["W_beta"].T, p["b_beta"])
        return gamma * t["image"] + beta

    return compare_layer(torch, fusion.FiLM("text", "image"), x, film)


@check("mm.fusion.CrossAttention")
def _cross_attention(torch, keras):
    h, kd = 2, 3
    x = {"text": data(B, 4, 5), "image": data(B, 6, 4, seed=1)}
    layer = fusion.CrossAttention(h, kd, query="text", context="image")
    errors = compare_layer(
        torch, layer, x,
        lambda t, p: torch_mha(torch, t["text"], t["image"], t["image"], p, h, kd).mean(dim=1))
    ours = layer({k: asarray(v) for k, v in x.items()})
    theirs = keras_mha(keras, layer, h, kd, x["text"], x["image"]).mean(axis=1)
    errors["keras y"] = err(ours, theirs)
    return errors


# -- contrastive --------------------------------------------------------------------------------
def clip_loss(torch, logits):
    n = logits.shape[0]
    labels = torch.arange(n)
    f = torch.nn.functional
    return 0.5 * (f.cross_entropy(logits, labels) + f.cross_entropy(logits.T, labels))


@check("mm.contrastive.InfoNCE")
def _infonce(torch, keras):
    S = data(6, 6, scale=3)
    loss = contrastive.InfoNCE()
    value = loss(None, asarray(S))
    tS = leaf(torch, S)
    t_value = clip_loss(torch, tS)
    t_value.backward()
    return {"value": err(value, t_value), "grad": err(loss.backward(), tS.grad)}


@check("mm.contrastive.DualEncoder")
def _dual_encoder(torch, keras):
    n, d_img, d_txt, h, e = 8, 10, 7, 6, 4
    x_img, x_txt = data(n, d_img, seed=1), data(n, d_txt, seed=2)
    mm.set_seed(0)
    model = contrastive.DualEncoder(layers.Dense(h, activation="tanh"),
                                    layers.Dense(h, activation="relu"), embed_dim=e)
    x = {"image": asarray(x_img), "text": asarray(x_txt)}
    logits = model(x)
    loss = contrastive.InfoNCE()
    loss(None, logits)
    grads_in = model.backward(loss.backward())
    p = {k: leaf(torch, to_numpy(v)) for k, v in model.params.items()}
    xi, xt = leaf(torch, x_img), leaf(torch, x_txt)
    f = torch.nn.functional
    h_i = torch.tanh(xi @ p["image_encoder/W"] + p["image_encoder/b"])
    h_t = torch.relu(xt @ p["text_encoder/W"] + p["text_encoder/b"])
    u_i = f.normalize(h_i @ p["W_img"], dim=1, eps=0.0)
    u_t = f.normalize(h_t @ p["W_txt"], dim=1, eps=0.0)
    t_logits = p["logit_scale"].exp() * u_i @ u_t.T
    clip_loss(torch, t_logits).backward()
    errors = {"logits": err(logits, t_logits), "dx[image]": err(grads_in["image"], xi.grad),
              "dx[text]": err(grads_in["text"], xt.grad)}
    for key, tensor in p.items():
        errors[f"d{key}"] = err(model.grads[key], tensor.grad)
    return errors


# -- the tests ------------------------------------------------------------------------------
def test_table_is_read_from_the_notebook():
    assert len(ROWS) >= 20
    keys = [row_key(r) for r in ROWS]
    assert len(keys) == len(set(keys)), "a row appears twice in chapter 8's table"
    for row in ROWS:
        assert row["torch"] is not None, f"row {row_key(row)} names no PyTorch counterpart"


def test_every_row_is_checked():
    in_table = {row_key(r) for r in ROWS}
    assert in_table - set(CHECKS) == set(), "rows of chapter 8's table without a check"
    assert set(CHECKS) - in_table == set(), "checks for rows chapter 8's table no longer has"


@pytest.mark.parametrize("row", ROWS, ids=row_key)
def test_table_names_exist(row, torch, keras):
    for name in row.values():
        if name is None:
            continue
        try:
            resolve(name, torch, keras)
        except AttributeError as error:
            pytest.fail(f"chapter 8's table names {name!r}, which does not exist: {error}")


@pytest.mark.parametrize("row", ROWS, ids=row_key)
def test_row(row, torch, keras):
    key = row_key(row)
    errors = CHECKS[key](torch, keras)
    has_keras = any(k.startswith("keras") or " keras" in k for k in errors)
    assert has_keras == (row["keras"] is not None), \
        f"{key}: the table's Keras column and the check disagree on whether Keras is compared"
    worst = max(errors, key=errors.get)
    print(f"\n{key}: largest relative difference {errors[worst]:.1e} ({worst})")
    bad = {k: v for k, v in errors.items() if not v < TOL}
    assert not bad, f"{key}: relative errors above {TOL}: {bad}"


def test_chapter_conversion_code_runs_and_matches(torch):
    """The page's `to_torch` gives a torch model with mmlearn's outputs and gradients."""
    mm.set_seed(3)
    model = mm.Sequential([layers.Dense(6, activation="sigmoid", input_shape=(5,)),
                           layers.Dense(4, activation="linear"),
                           layers.Dense(2, activation="softmax")])
    t_model = torch_twin(torch, model)
    assert [type(m).__name__ for m in t_model] == ["Linear", "Sigmoid", "Linear", "Identity",
                                                   "Linear", "Softmax"]
    x = data(7, 5)
    g = data(7, 2, seed=1)
    y = model(asarray(x), training=True)
    dx = model.backward(asarray(g))
    tx = leaf(torch, x)
    ty = t_model(tx)
    ty.backward(torch.tensor(g))
    assert err(y, ty) < TOL
    assert err(dx, tx.grad) < TOL
    linears = [m for m in t_model if isinstance(m, torch.nn.Linear)]
    names = list(model.params)
    for i, linear in enumerate(linears):
        assert err(model.grads[names[2 * i]], linear.weight.grad.T) < TOL
        assert err(model.grads[names[2 * i + 1]], linear.bias.grad) < TOL
