"""Chapter 5 (``book/05_project_practice.ipynb``) against copies of its three programs.

The chapter runs the seed's program in mmlearn, in Keras 3 (on its PyTorch backend) and in
PyTorch, on the page, and prints how closely they agree. This module runs its own copies of
the three programs, written here and not taken from the notebook, on the chapter's data
from the chapter's starting weights, and checks:

* that the tables the notebook printed (loss and accuracy per epoch and on the test set,
  and the largest differences from mmlearn) are what the copies give, so the chapter's code
  computes what it says it computes;
* the chapter's reading of them: Keras agrees with mmlearn to float32 rounding, PyTorch less
  closely; and the chapter's explanation, that PyTorch's difference comes from where its
  Adam adds epsilon: with epsilon moved to Keras's place, the gap closes.

Run with ``-s`` to print the measured differences.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import mmlearn as mm

from .test_keras_parity import seed_data, seed_model

NOTEBOOK = Path(__file__).resolve().parents[2] / "book" / "05_project_practice.ipynb"
EPOCHS = 5
LIBRARIES = ("mmlearn", "Keras 3", "PyTorch")


# -- reading the chapter's outputs -----------------------------------------------------------
def _output_of(cell_marker: str) -> list[str]:
    """The text output lines of the one code cell whose source contains ``cell_marker``."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    found = [c for c in cells if c["cell_type"] == "code"
             and cell_marker in "".join(c["source"])]
    assert len(found) == 1, f"expected one code cell with {cell_marker!r}, found {len(found)}"
    text = "".join("".join(o.get("text", "")) for o in found[0]["outputs"])
    assert text, f"the cell with {cell_marker!r} has no printed output: execute the chapter"
    return text.splitlines()


# -- the three programs -------------------------------------------------------------------------
class _KeepWeights(mm.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.weights: list[list[np.ndarray]] = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def _run_mmlearn(data):
    x_train, y_train, x_test, y_test = data
    mm.set_backend("numpy")
    mm.set_seed(0)
    model = seed_model()
    initial_weights = model.get_weights()
    keep = _KeepWeights()
    history = model.fit(x_train, y_train, epochs=EPOCHS, batch_size=32, shuffle=False,
                        verbose=0, callbacks=[keep])
    run = {"loss": history.history["loss"], "accuracy": history.history["accuracy"],
           "test": model.evaluate(x_test, y_test, verbose=0), "weights": keep.weights}
    return run, initial_weights


def _run_keras(keras, data, initial_weights):
    x_train, y_train, x_test, y_test = data
    model = keras.models.Sequential([
        keras.Input(shape=(32,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.set_weights([w.copy() for w in initial_weights])
    weights: list = []
    keep = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: weights.append(model.get_weights()))
    history = model.fit(x_train, y_train, epochs=EPOCHS, batch_size=32, shuffle=False,
                        verbose=0, callbacks=[keep])
    return {"loss": history.history["loss"], "accuracy": history.history["accuracy"],
            "test": model.evaluate(x_test, y_test, verbose=0), "weights": weights}


def _run_torch(torch, data, initial_weights, *, move_epsilon: bool = False):
    """The seed's program as a PyTorch loop; ``move_epsilon`` sets Adam's epsilon before
    each step t to 1e-7 / sqrt(1 - 0.999^t), which makes its update Keras's exactly."""
    from torch import nn

    x_train, y_train, x_test, y_test = data
    net = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                        nn.Linear(64, 10))
    with torch.no_grad():
        for linear, w, b in zip(net[::2], initial_weights[0::2], initial_weights[1::2],
                                strict=True):
            linear.weight.copy_(torch.from_numpy(w.T.copy()))
            linear.bias.copy_(torch.from_numpy(b.copy()))
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.from_numpy(x_train), torch.from_numpy(y_train)
    run: dict = {"loss": [], "accuracy": [], "weights": []}
    step = 0
    for _ in range(EPOCHS):
        total, correct = 0.0, 0
        for start in range(0, len(x), 32):
            xb, yb = x[start:start + 32], y[start:start + 32]
            logits = net(xb)
            loss = loss_fn(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            step += 1
            if move_epsilon:
                optimizer.param_groups[0]["eps"] = 1e-7 / (1 - 0.999 ** step) ** 0.5
            optimizer.step()
            total += loss.item() * len(yb)
            correct += (logits.argmax(dim=1) == yb).sum().item()
        run["loss"].append(total / len(x))
        run["accuracy"].append(correct / len(x))
        run["weights"].append([p.detach().numpy().T.copy() for p in net.parameters()])
    with torch.no_grad():
        logits, labels = net(torch.from_numpy(x_test)), torch.from_numpy(y_test)
        run["test"] = [loss_fn(logits, labels).item(),
                       (logits.argmax(dim=1) == labels).float().mean().item()]
    return run


@pytest.fixture(scope="module")
def runs(keras, torch):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)      # as the chapter: the same sums, so the same digits
    try:
        data = seed_data()
        ours, initial_weights = _run_mmlearn(data)
        return {"mmlearn": ours,
                "Keras 3": _run_keras(keras, data, initial_weights),
                "PyTorch": _run_torch(torch, data, initial_weights),
                "PyTorch, epsilon moved": _run_torch(torch, data, initial_weights,
                                                     move_epsilon=True)}
    finally:
        torch.set_num_threads(threads)


def _differences(ours: dict, theirs: dict) -> tuple[float, int, float]:
    """As the chapter measures them: the largest relative loss difference, the largest
    accuracy difference in samples of the 1000, and the largest weight difference over
    the largest weight (layer by layer, after each epoch)."""
    assert len(theirs["loss"]) == len(theirs["weights"]) == EPOCHS
    loss = max(abs(a - b) / abs(a) for a, b in zip(ours["loss"], theirs["loss"], strict=True))
    samples = max(round(abs(a - b) * 1000)
                  for a, b in zip(ours["accuracy"], theirs["accuracy"], strict=True))
    weights = max(float(np.max(np.abs(a - b)) / np.max(np.abs(a)))
                  for wa, wb in zip(ours["weights"], theirs["weights"], strict=True)
                  for a, b in zip(wa, wb, strict=True))
    return loss, samples, weights


# -- the checks ---------------------------------------------------------------------------------
def test_mmlearn_numbers_are_the_notebooks(runs):
    """The notebook's own mmlearn table is this run's: the data and the seed are the same."""
    printed = _output_of("initial_weights = model.get_weights()")
    ours = runs["mmlearn"]
    want = [f"{e + 1:5d}  {ours['loss'][e]:.4f}  {ours['accuracy'][e]:.4f}"
            for e in range(EPOCHS)]
    want.append(f" test  {ours['test'][0]:.4f}  {ours['test'][1]:.4f}")
    assert printed[1:] == want, (printed, want)


def test_side_by_side_table_is_what_the_three_programs_give(runs):
    printed = _output_of('names = ["mmlearn", "Keras 3", "PyTorch"]')
    rows = {line.split()[0]: [float(v) for v in line.split()[1:]]
            for line in printed if re.match(r"\s*(\d+|test)\s", line)}
    assert sorted(rows) == ["1", "2", "3", "4", "5", "test"], printed
    for row, numbers in rows.items():
        if row == "test":
            want = [runs[n]["test"][0] for n in LIBRARIES] + \
                   [runs[n]["test"][1] for n in LIBRARIES]
        else:
            epoch = int(row) - 1
            want = [runs[n]["loss"][epoch] for n in LIBRARIES] + \
                   [runs[n]["accuracy"][epoch] for n in LIBRARIES]
        assert [f"{v:.4f}" for v in numbers] == [f"{v:.4f}" for v in want], \
            f"row {row}: the chapter printed {numbers}, the programs give {want}"


def test_differences_table_is_what_the_three_programs_give(runs):
    printed = _output_of("def differences(name):")
    for name in ("Keras 3", "PyTorch"):
        line = next(line for line in printed if line.startswith(name))
        loss, samples, weights = _differences(runs["mmlearn"], runs[name])
        accuracy = "identical" if samples == 0 else f"{samples} in 1000"
        print(f"\n{name}: loss {loss:.3e}, accuracy {accuracy}, weights {weights:.3e}",
              end="")
        want = f"{name:23s}  {loss:7.0e}  {accuracy:>13s}  {weights:8.0e}"
        assert line == want, f"the chapter printed {line!r}, the programs give {want!r}"


def test_keras_agrees_to_rounding_and_pytorch_differs_by_its_epsilon(runs):
    """The chapter's reading of the tables, and its explanation of PyTorch's difference."""
    keras_loss, keras_samples, keras_weights = _differences(runs["mmlearn"], runs["Keras 3"])
    torch_loss, _, torch_weights = _differences(runs["mmlearn"], runs["PyTorch"])
    moved_loss, moved_samples, moved_weights = _differences(
        runs["mmlearn"], runs["PyTorch, epsilon moved"])
    print(f"\nweights: Keras {keras_weights:.1e}, PyTorch {torch_weights:.1e}, "
          f"PyTorch with epsilon moved {moved_weights:.1e}")
    assert keras_samples == 0 and keras_loss < 1e-5 and keras_weights < 1e-5
    assert torch_weights > 1e-3 and torch_loss > 1e-5      # more than float32 rounding
    assert moved_samples == 0 and moved_weights < torch_weights / 100
