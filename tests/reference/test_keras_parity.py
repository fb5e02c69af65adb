"""mmlearn against real Keras 3 (torch backend): the optimizers step by step, and the seed
article's program end to end with the same initial weights.

Run with ``-s`` to see the largest differences; the assertion messages carry them too.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import mmlearn as mm
from mmlearn import optimizers
from mmlearn.backend import asarray, to_numpy

TOL = 1e-5
SHAPES = [(6, 4), (4,)]
OPTIMIZERS = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("RMSprop", {}),
    ("Adam", {}),
    ("AdamW", {}),
]


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZERS,
                         ids=[f"{n}{''.join(f'-{k}' for k in kw)}" for n, kw in OPTIMIZERS])
def test_optimizer_matches_keras_for_25_steps(keras, name, kwargs):
    r = np.random.default_rng(7)
    start = [r.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [[r.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(25)]
    kwargs = {"learning_rate": 0.05, **kwargs}

    ours = getattr(optimizers, name)(**kwargs)
    params = [asarray(p.copy(), dtype="float32") for p in start]
    theirs = getattr(keras.optimizers, name)(**kwargs)
    variables = [keras.Variable(p.copy()) for p in start]

    worst = 0.0
    for step, gs in enumerate(grads, start=1):
        ours.apply_gradients(zip([asarray(g, dtype="float32") for g in gs], params, strict=True))
        theirs.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in gs], variables,
                                   strict=True))
        for i, (p, v) in enumerate(zip(params, variables, strict=True)):
            err = rel(to_numpy(p), keras.ops.convert_to_numpy(v))
            worst = max(worst, err)
            assert err < TOL, f"{name}{kwargs} step {step} param {i}: rel. error {err:.2e}"
    print(f"\n{name}{kwargs}: largest rel. difference from Keras over 25 steps: {worst:.2e}")


# -- the seed article's program ----------------------------------------------------------------
def seed_data():
    """1000×32 float32 inputs; labels 0..9 from a random linear teacher (learnable)."""
    r = np.random.default_rng(2024)
    teacher = r.standard_normal((32, 10))
    x_train = r.standard_normal((1000, 32)).astype(np.float32)
    y_train = np.argmax(x_train @ teacher, axis=1)
    x_test = r.standard_normal((200, 32)).astype(np.float32)
    y_test = np.argmax(x_test @ teacher, axis=1)
    return x_train, y_train, x_test, y_test


def seed_model():
    # The seed's code, with tf.keras replaced by mm.
    model = mm.models.Sequential([
        mm.layers.Dense(64, activation='relu', input_shape=(32,)),
        mm.layers.Dense(64, activation='relu'),
        mm.layers.Dense(10, activation='softmax'),
    ])
    model.compile(optimizer='adam',
                  loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    return model


@pytest.fixture
def one_torch_thread(keras):
    """Keras's small per-step ops run fastest on one thread; with two, a busy machine (other
    test workers) can make each step 50x slower as the threads wait on each other."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_seed_program_matches_keras(keras, one_torch_thread):
    x_train, y_train, x_test, y_test = seed_data()
    mm.set_seed(0)
    model = seed_model()

    k_model = keras.models.Sequential([
        keras.Input(shape=(32,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    k_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    k_model.set_weights(model.get_weights())          # the same starting point

    history = model.fit(x_train, y_train, epochs=5, batch_size=32, shuffle=False, verbose=0)
    k_history = k_model.fit(x_train, y_train, epochs=5, batch_size=32, shuffle=False, verbose=0)

    report = []
    assert set(history.history) == set(k_history.history) == {"loss", "accuracy"}
    for key in ("loss", "accuracy"):
        err = rel(history.history[key], k_history.history[key])
        report.append(f"History[{key!r}] {err:.2e}")
        assert err < 1e-4, f"{key} per epoch: ours {history.history[key]}, " \
                           f"Keras {k_history.history[key]} (rel. {err:.2e})"
    assert history.epoch == k_history.epoch == [0, 1, 2, 3, 4]
    assert history.params["steps"] == k_history.params["steps"] == 32

    for i, (a, b) in enumerate(zip(model.get_weights(), k_model.get_weights(), strict=True)):
        err = rel(a, b)
        report.append(f"weight {i} {err:.2e}")
        assert err < 1e-4, f"final weight {i}: rel. error {err:.2e}"

    ours = model.evaluate(x_test, y_test, verbose=0)
    theirs = k_model.evaluate(x_test, y_test, verbose=0)
    for label, a, b in zip(("evaluate loss", "evaluate accuracy"), ours, theirs, strict=True):
        err = rel(a, b)
        report.append(f"{label} {err:.2e}")
        assert err < 1e-4, f"{label}: ours {a}, Keras {b}"
    probs = to_numpy(model.predict(x_test))
    k_probs = k_model.predict(x_test, verbose=0)
    err = rel(probs, k_probs)
    report.append(f"predict {err:.2e}")
    assert err < 1e-4
    # It learned: the teacher's labels are far above chance (10%) after 5 epochs.
    assert history.history["accuracy"][-1] > 0.5
    print("\nseed program, largest rel. differences from Keras 3: " + "; ".join(report))


def test_seed_program_runs_with_its_defaults(capsys):
    """`model.fit(x_train, y_train, epochs=5)` and `model.evaluate(x_test, y_test)`, exactly as
    in the seed: shuffle=True, batch_size=32, verbose=1 (no Keras needed)."""
    x_train, y_train, x_test, y_test = seed_data()
    mm.set_seed(0)
    model = seed_model()
    history = model.fit(x_train, y_train, epochs=5)
    result = model.evaluate(x_test, y_test)
    out = capsys.readouterr().out.splitlines()
    assert out[0::2][:5] == [f"Epoch {i}/5" for i in range(1, 6)]
    bar = re.compile(r"^32/32 ━{20} \d+s \d+(ms|us)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}$")
    assert all(bar.match(line) for line in out[1:10:2]), out
    assert re.match(r"^7/7 ━{20} \d+s \d+(ms|us)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}$",
                    out[10]), out
    assert len(out) == 11
    loss = history.history["loss"]
    assert all(b < a for a, b in zip(loss, loss[1:], strict=False)), loss
    assert isinstance(result, list) and len(result) == 2 and 0.0 <= result[1] <= 1.0
