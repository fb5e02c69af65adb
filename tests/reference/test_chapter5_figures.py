"""The figures chapter 5 (``book/05_project_practice.ipynb``) quotes from Keras 3 and PyTorch,
recomputed from the programs the chapter shows.

The chapter prints the seed's program written for Keras 3 and for PyTorch as markdown code
blocks (neither library is a runtime dependency of the book) and quotes what they give. This
module takes those code blocks out of the notebook, runs them on the chapter's data from the
chapter's starting weights, and checks every quoted figure against what they produce:

* the per-epoch table: loss and accuracy of mmlearn, Keras and PyTorch at 4 decimals, as
  quoted (and mmlearn's numbers also against the notebook's own printed output, so that the
  data and the seed here are the chapter's);
* the parity table: "< X" means the largest relative difference over the five epochs
  is below X and at least X/10 (the bound is tight to an order of magnitude); "identical"
  means the same accuracy in every epoch; "at most N sample(s) in 1000" means the largest
  accuracy difference is N/1000;
* the first Adam step as a fraction of the learning rate, mmlearn's and torch.optim.Adam's,
  for each gradient size of the table, at 4 decimals.

Run with ``-s`` to print the measured figures (what to quote after a change).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import mmlearn as mm
from mmlearn.backend import asarray, to_numpy

from .test_keras_parity import rel, seed_data, seed_model

NOTEBOOK = Path(__file__).resolve().parents[2] / "book" / "05_project_practice.ipynb"
EPOCHS = 5


# -- reading the chapter ------------------------------------------------------------------------
def _cells() -> list[dict]:
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]


def _markdown() -> str:
    return "\n\n".join("".join(c["source"]) for c in _cells() if c["cell_type"] == "markdown")


def _code_block(first_line: str) -> str:
    """The one ```python block of the chapter's markdown whose first line starts so."""
    blocks = [b for b in re.findall(r"```python\n(.*?)```", _markdown(), flags=re.DOTALL)
              if b.startswith(first_line)]
    assert len(blocks) == 1, f"expected one code block starting {first_line!r}, " \
                             f"found {len(blocks)}"
    return blocks[0]


def _table(first_header: str) -> dict[str, list[str]]:
    """The markdown table whose header row starts with ``| first_header |``: its rows keyed
    by their first cell."""
    lines = _markdown().splitlines()
    starts = [i for i, line in enumerate(lines)
              if line.startswith(f"| {first_header} |")]
    assert len(starts) == 1, f"expected one table headed {first_header!r}, found {len(starts)}"
    rows = {}
    for line in lines[starts[0] + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def _output_of(cell_marker: str) -> str:
    """The text output of the one code cell whose source contains ``cell_marker``."""
    found = [c for c in _cells() if c["cell_type"] == "code"
             and cell_marker in "".join(c["source"])]
    assert len(found) == 1, f"expected one code cell with {cell_marker!r}, found {len(found)}"
    return "".join("".join(o.get("text", "")) for o in found[0]["outputs"])


def _bound(cell: str) -> float:
    m = re.fullmatch(r"\$< (\d(?:\.\d+)?) \\cdot 10\^\{(-\d+)\}\$", cell)
    assert m, f"expected a bound such as '$< 4 \\cdot 10^{{-7}}$', got {cell!r}"
    return float(m.group(1)) * 10.0 ** int(m.group(2))


def _check_bound(cell: str, measured: float, what: str) -> None:
    bound = _bound(cell)
    assert bound / 10 <= measured < bound, \
        f"{what}: measured {measured:.3e}, the chapter says {cell!r} (tight to 10x)"


def _check_accuracy(cell: str, diffs: list[float], what: str) -> None:
    worst = max(diffs)
    if cell == "identical":
        assert worst < 0.5e-3, f"{what}: accuracies differ by up to {worst:.4f}"
        return
    m = re.fullmatch(r"at most (\d+) samples? in 1000", cell)
    assert m, f"{what}: cannot read {cell!r}"
    assert round(worst * 1000) == int(m.group(1)), \
        f"{what}: largest difference {worst * 1000:.2f} samples in 1000, quoted {cell!r}"


# -- running the three programs -----------------------------------------------------------------
class _KeepWeights(mm.models.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.weights: list[list[np.ndarray]] = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


@pytest.fixture(scope="module")
def runs(keras, torch):
    """mmlearn, and the chapter's Keras and PyTorch programs (the latter also with epsilon
    moved), all from the chapter's data and starting weights, without shuffling."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)      # small ops: one thread is fastest and steadiest when busy
    try:
        x_train, y_train, x_test, y_test = seed_data()
        mm.set_backend("numpy")
        mm.set_seed(0)
        model = seed_model()
        initial_weights = model.get_weights()
        keep = _KeepWeights()
        history = model.fit(x_train, y_train, epochs=EPOCHS, batch_size=32, shuffle=False,
                            verbose=0, callbacks=[keep])
        ours = {"loss": history.history["loss"], "accuracy": history.history["accuracy"],
                "weights": keep.weights, "test": model.evaluate(x_test, y_test, verbose=0)}

        def namespace():
            return {"x_train": x_train, "y_train": y_train, "x_test": x_test,
                    "y_test": y_test, "initial_weights": [w.copy() for w in initial_weights]}

        ns = namespace()
        exec(_code_block("import keras\n"), ns)
        k_hist = ns["k_history"].history
        kk = {"loss": k_hist["loss"], "accuracy": k_hist["accuracy"],
              "weights": ns["k_weights"], "test": ns["k_test"]}

        torch_code = _code_block("import torch\n")
        ns = namespace()
        exec(torch_code, ns)
        tt = {"loss": ns["t_loss"], "accuracy": ns["t_accuracy"], "weights": ns["t_weights"],
              "test": ns["t_test"]}

        snippet = _code_block("        step = ")
        assert torch_code.count("        optimizer.step()\n") == 1
        moved_code = torch_code.replace("        optimizer.step()\n",
                                        snippet + "        optimizer.step()\n")
        ns = namespace()
        exec(moved_code, ns)
        moved = {"loss": ns["t_loss"], "accuracy": ns["t_accuracy"],
                 "weights": ns["t_weights"], "test": ns["t_test"]}
    finally:
        torch.set_num_threads(threads)
    return {"mmlearn": ours, "keras": kk, "torch": tt, "torch_eps_moved": moved}


def _differences(ours: dict, theirs: dict) -> dict[str, float | list[float]]:
    assert len(theirs["loss"]) == len(theirs["weights"]) == EPOCHS
    return {
        "loss": max(rel(a, b) for a, b in zip(ours["loss"], theirs["loss"], strict=True)),
        "accuracy": [abs(a - b) for a, b in zip(ours["accuracy"], theirs["accuracy"],
                                                strict=True)],
        "weights": max(rel(a, b) for wa, wb in zip(ours["weights"], theirs["weights"],
                                                   strict=True)
                       for a, b in zip(wa, wb, strict=True)),
    }


# -- the checks -----------------------------------------------------------------------------------
def test_per_epoch_table(runs):
    table = _table("epoch")
    names = ("mmlearn", "keras", "torch")
    for epoch in range(EPOCHS):
        row = table[str(epoch + 1)]
        want = [f"{runs[n]['loss'][epoch]:.4f}" for n in names] + \
               [f"{runs[n]['accuracy'][epoch]:.4f}" for n in names]
        print(f"\nepoch {epoch + 1}: " + " ".join(want), end="")
        assert row == want, f"epoch {epoch + 1}: the chapter says {row}, measured {want}"
    want = [f"{runs[n]['test'][0]:.4f}" for n in names] + \
           [f"{runs[n]['test'][1]:.4f}" for n in names]
    print("\ntest: " + " ".join(want))
    assert table["test"] == want, f"test row: the chapter says {table['test']}, measured {want}"


def test_mmlearn_numbers_are_the_notebooks(runs):
    """The notebook's own output (executed with the chapter's data) is this run's mmlearn."""
    printed = _output_of("initial_weights = model.get_weights()").splitlines()
    ours = runs["mmlearn"]
    want = [f"{e + 1:5d}  {ours['loss'][e]:.4f}  {ours['accuracy'][e]:.4f}"
            for e in range(EPOCHS)]
    want.append(f" test  {ours['test'][0]:.4f}  {ours['test'][1]:.4f}")
    assert printed[1:] == want, (printed, want)


@pytest.mark.parametrize(("row", "run"), [
    ("Keras 3, the program above", "keras"),
    ("PyTorch, the program above", "torch"),
    ("PyTorch, with epsilon moved to Keras's place", "torch_eps_moved"),
])
def test_parity_table(runs, row, run):
    loss_cell, accuracy_cell, weights_cell = _table("compared with mmlearn")[row]
    d = _differences(runs["mmlearn"], runs[run])
    print(f"\n{row}: loss {d['loss']:.3e}, accuracy up to {max(d['accuracy']):.4f}, "
          f"weights {d['weights']:.3e}")
    _check_bound(loss_cell, d["loss"], f"{row}, loss")
    _check_accuracy(accuracy_cell, d["accuracy"], f"{row}, accuracy")
    _check_bound(weights_cell, d["weights"], f"{row}, weights")


def test_keras_matches_more_closely_than_torch(runs):
    """The chapter's reading of the table: Keras agrees to float32 rounding, PyTorch's Adam
    does not, and moving PyTorch's epsilon removes most of the gap."""
    keras_d = _differences(runs["mmlearn"], runs["keras"])
    torch_d = _differences(runs["mmlearn"], runs["torch"])
    moved_d = _differences(runs["mmlearn"], runs["torch_eps_moved"])
    assert keras_d["weights"] < 1e-5 < torch_d["weights"]
    assert moved_d["weights"] < torch_d["weights"] / 100


def test_adam_first_step_table(torch):
    table = _table(r"$\lvert g \rvert$")
    assert len(table) >= 4
    for g_text, (ours_cell, torch_cell) in table.items():
        g = float(g_text)
        w = asarray(np.zeros(1), dtype="float64")
        mm.optimizers.Adam(learning_rate=0.001).apply_gradients(
            [(asarray(np.array([g]), dtype="float64"), w)])
        ours = -float(to_numpy(w)[0]) / 0.001

        tw = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([tw], lr=0.001, betas=(0.9, 0.999), eps=1e-7)
        tw.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        theirs = -float(tw.detach()[0]) / 0.001
        print(f"\n|g| = {g:.0e}: mmlearn {ours:.4f}, torch {theirs:.4f}", end="")
        assert ours_cell == f"{ours:.4f}", (g_text, ours_cell, ours)
        assert torch_cell == f"{theirs:.4f}", (g_text, torch_cell, theirs)


def test_the_chapter_names_this_test():
    assert "tests/reference/test_chapter5_figures.py" in _markdown()
