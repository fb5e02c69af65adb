"""Sequential: compile / fit / evaluate / predict / summary with Keras's meaning, callbacks,
the progress bar, freezing, bad input, and both array backends."""

from __future__ import annotations

import io
import itertools
import math
import re
import sys
import tracemalloc

import numpy as np
import pytest

import mmlearn as mm
from mmlearn import callbacks, gradcheck, layers, losses, models, optimizers
from mmlearn.backend import asarray, to_numpy
from mmlearn.models import Callback, EarlyStopping, History, Sequential, TerminateOnNaN

BAR = r"━{20}"
TIME = r"\d+s \d+(ms|us)/step"


def blobs(n=120, features=6, classes=3, seed=0):
    """Learnable labels: the argmax of a fixed random linear map."""
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, features)).astype(np.float32)
    y = np.argmax(x @ r.standard_normal((features, classes)), axis=1)
    return x, y


def small_model(features=6, classes=3, hidden=8, optimizer="adam", metrics=("accuracy",),
                loss="sparse_categorical_crossentropy"):
    model = Sequential([layers.Dense(hidden, activation="relu", input_shape=(features,)),
                        layers.Dense(classes, activation="softmax")])
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def weights_equal(a, b):
    return len(a) == len(b) and all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))


# -- construction and building ---------------------------------------------------------------
def test_seed_model_is_built_at_once_with_keras_shapes():
    model = Sequential([layers.Dense(64, activation="relu", input_shape=(32,)),
                        layers.Dense(64, activation="relu"),
                        layers.Dense(10, activation="softmax")])
    assert model.built
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [(32, 64), (64,), (64, 64), (64,), (64, 10), (10,)]
    assert model.count_params() == (32 * 64 + 64) + (64 * 64 + 64) + (64 * 10 + 10)
    assert model.output_shape == (None, 10)
    assert [layer.name for layer in model.layers] == [layer.name for layer in model._layers]
    assert mm.Sequential is Sequential and mm.models.Sequential is Sequential


def test_lazy_build_by_build_or_first_fit():
    model = Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)])
    assert not model.built
    text = model.summary_text()
    assert text.count("0 (unbuilt)") == 2 and "?" in text
    model.build((None, 5))
    assert model.built and [w.shape for w in model.get_weights()] == [(5, 4), (4,), (4, 2),
                                                                      (2,)]
    other = Sequential([layers.Dense(3)])
    other.add(layers.Dense(2))
    other.compile(loss="mse")
    other.fit(np.ones((4, 7), np.float32), np.ones((4, 2), np.float32), verbose=0)
    assert other.built and other.get_weights()[0].shape == (7, 3)


def test_add_checks():
    model = Sequential()
    with pytest.raises(TypeError, match="expected a Layer"):
        model.add("dense")
    d = layers.Dense(3, input_shape=(4,))
    model.add(d)
    with pytest.raises(ValueError, match="already in the model"):
        model.add(d)
    with pytest.raises(ValueError, match=r"expects input of shape \(batch, 5\).*\(batch, 3\)"):
        model.add(layers.Dense(2, input_shape=(5,)))
    assert len(model.layers) == 1
    with pytest.raises(TypeError, match="list of layers"):
        Sequential(layers.Dense(2))


def test_get_set_weights_round_trip_and_all_or_nothing():
    model = small_model()
    weights = model.get_weights()
    new = [w + 1.0 for w in weights]
    model.set_weights(new)
    assert weights_equal(model.get_weights(), new)
    bad = [w.copy() for w in weights]
    bad[2] = np.zeros((9, 9), np.float32)
    with pytest.raises(ValueError, match=r"1/dense.*/W.*expected shape \(8, 3\), got \(9, 9\)"):
        model.set_weights(bad)
    with pytest.raises(ValueError, match="expected 4 arrays"):
        model.set_weights(weights[:3])
    assert weights_equal(model.get_weights(), new)          # unchanged by the failures
    assert all(w.dtype == np.float32 for w in model.get_weights())


# -- compile ------------------------------------------------------------------------------------
def test_compile_names_objects_and_defaults():
    model = small_model()
    model.compile(loss="sparse_categorical_crossentropy")
    assert isinstance(model.optimizer, optimizers.RMSprop)          # Keras's default
    opt = optimizers.SGD(0.1)
    loss = losses.SparseCategoricalCrossentropy()
    model.compile(optimizer=opt, loss=loss, metrics=["acc"])
    assert model.optimizer is opt and model.loss is loss
    assert model.metrics_names == ["loss", "acc"]


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"optimizer": "adamm", "loss": "mse"}, ValueError, "did you mean 'adam'"),
    ({"optimizer": "adam", "loss": "sparse_categorical_crossentropyy"}, ValueError,
     "did you mean 'sparse_categorical_crossentropy'"),
    ({"optimizer": "adam", "loss": "mse", "metrics": ["acuracy"]}, ValueError,
     "did you mean 'accuracy'"),
    ({"optimizer": "adam"}, ValueError, "loss is required"),
    ({"optimizer": "adam", "loss": "mse", "metrics": [3]}, TypeError, "metric"),
    ({"optimizer": "adam", "loss": "mse", "metrics": ["mse", "mse"]}, ValueError, "distinct"),
])
def test_compile_errors(kwargs, error, match):
    model = small_model()
    with pytest.raises(error, match=match):
        model.compile(**kwargs)


def test_fit_before_compile():
    model = Sequential([layers.Dense(2, input_shape=(3,))])
    with pytest.raises(RuntimeError, match="compile the model first"):
        model.fit(np.ones((2, 3)), np.zeros(2))


# -- History: keys and meaning -------------------------------------------------------------------
def test_history_keys_epoch_and_params():
    x, y = blobs()
    model = small_model()
    h = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert isinstance(h, History) and model.history is h
    assert list(h.history) == ["accuracy", "loss"]
    assert all(len(v) == 3 for v in h.history.values())
    assert h.epoch == [0, 1, 2]
    assert h.params == {"verbose": 0, "epochs": 3, "steps": math.ceil(120 / 16)}
    h = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0)
    assert list(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]


def test_history_is_the_running_mean_measured_before_each_update():
    """Replays fit by hand (shuffle=False, plain SGD): per-batch losses and accuracies taken in
    the forward pass before the batch's update, averaged weighted by batch size."""
    x, y = blobs(n=80)
    mm.set_seed(1)
    model = small_model(optimizer=optimizers.SGD(learning_rate=0.5))
    start = model.get_weights()
    h = model.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0)   # 32, 32, 16

    mm.set_seed(1)
    twin = small_model()
    twin.set_weights(start)
    d1, d2 = twin.layers
    lr = 0.5
    for epoch in range(2):
        total_loss = total_acc = 0.0
        for s in range(0, 80, 32):
            xb, yb = x[s:s + 32], y[s:s + 32]
            p = d2.forward(d1.forward(xb))
            n = len(yb)
            total_loss += -np.mean(np.log(np.clip(p[np.arange(n), yb], 1e-7, 1))) * n
            total_acc += np.mean(np.argmax(p, axis=1) == yb) * n
            # SGD step, written out: dL/dz = (p − onehot)/n, chain rule through relu.
            dz2 = (p - np.eye(3)[yb]) / n
            a1 = np.maximum(xb @ d1.params["W"] + d1.params["b"], 0)
            dz1 = (dz2 @ d2.params["W"].T) * (a1 > 0)
            d2.params["W"] -= lr * (a1.T @ dz2)
            d2.params["b"] -= lr * dz2.sum(0)
            d1.params["W"] -= lr * (xb.T @ dz1)
            d1.params["b"] -= lr * dz1.sum(0)
        assert h.history["loss"][epoch] == pytest.approx(total_loss / 80, rel=1e-5)
        assert h.history["accuracy"][epoch] == pytest.approx(total_acc / 80, rel=1e-6)
    for a, b in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_accuracy_meaning_for_sparse_binary_and_one_hot():
    x, y = blobs(n=64)
    model = small_model()
    model.fit(x, y, epochs=2, verbose=0)
    p = to_numpy(model.predict(x))
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc == pytest.approx(np.mean(np.argmax(p, 1) == y))

    onehot = np.eye(3, dtype=np.float32)[y]
    cat = small_model(loss="categorical_crossentropy")
    cat.fit(x, onehot, epochs=2, verbose=0)
    p = to_numpy(cat.predict(x))
    assert cat.evaluate(x, onehot, verbose=0)[1] == pytest.approx(np.mean(np.argmax(p, 1) == y))

    yb = (x[:, 0] > 0).astype(np.float32)
    binary = Sequential([layers.Dense(1, activation="sigmoid", input_shape=(6,))])
    binary.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    binary.fit(x, yb, epochs=2, verbose=0)
    p = to_numpy(binary.predict(x))[:, 0]
    assert binary.evaluate(x, yb, verbose=0)[1] == pytest.approx(np.mean((p > 0.5) == yb))


def test_evaluate_forms_and_predict():
    x, y = blobs(n=50)
    model = small_model(metrics=())
    loss = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)                        # a scalar when there are no metrics
    model = small_model(metrics=["accuracy", "mse"][:1])
    values = model.evaluate(x, y, verbose=0)
    d = model.evaluate(x, y, verbose=0, return_dict=True)
    assert values == [d["loss"], d["accuracy"]]
    # evaluate is the batch-size-weighted mean: batch_size must not change it.
    assert model.evaluate(x, y, batch_size=7, verbose=0)[0] == pytest.approx(values[0],
                                                                           rel=1e-6)
    p = model.predict(x)
    assert p.shape == (50, 3) and p.dtype == np.float32
    np.testing.assert_allclose(to_numpy(model.predict(x, batch_size=7)), p, rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_allclose(to_numpy(model(x)), p, rtol=1e-6, atol=1e-7)


def test_float64_data_trains_a_float32_model():
    x, y = blobs(n=40)
    model = small_model()
    model.fit(x.astype(np.float64), y, epochs=1, verbose=0)
    assert all(w.dtype == np.float32 for w in model.get_weights())
    assert model.predict(x.astype(np.float64)).dtype == np.float32


# -- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shuffle", [False, True])
def test_validation_split_takes_the_last_fraction(shuffle):
    x, y = blobs(n=40)
    model = small_model()
    h = model.fit(x, y, epochs=1, batch_size=8, validation_split=0.25, shuffle=shuffle,
                  verbose=0)
    assert h.params["steps"] == 30 // 8 + 1                # trained on the first 30 only
    last = model.evaluate(x[30:], y[30:], verbose=0)
    first = model.evaluate(x[:10], y[:10], verbose=0)
    assert h.history["val_loss"][0] == pytest.approx(last[0], rel=1e-6)
    assert h.history["val_accuracy"][0] == pytest.approx(last[1])
    assert h.history["val_loss"][0] != pytest.approx(first[0], rel=1e-6)


def test_validation_data_and_errors():
    x, y = blobs(n=40)
    xv, yv = blobs(n=12, seed=5)
    model = small_model()
    h = model.fit(x, y, epochs=2, validation_data=(xv, yv), verbose=0)
    assert h.history["val_loss"][-1] == pytest.approx(model.evaluate(xv, yv, verbose=0)[0],
                                                      rel=1e-6)
    with pytest.raises(ValueError, match="validation_data must be a pair"):
        model.fit(x, y, validation_data=(xv,), verbose=0)
    with pytest.raises(ValueError, match=r"validation_data\[0\] and validation_data\[1\]"):
        model.fit(x, y, validation_data=(xv, yv[:5]), verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=1.0, verbose=0)
    with pytest.raises(ValueError, match="cannot be split"):
        model.fit(x[:1], y[:1], validation_split=0.5, verbose=0)


# -- shuffling and seeds -----------------------------------------------------------------------
def train(seed, shuffle, epochs=3):
    x, y = blobs()
    mm.set_seed(seed)
    model = small_model()
    h = model.fit(x, y, epochs=epochs, batch_size=16, shuffle=shuffle, verbose=0)
    return model.get_weights(), h.history


@pytest.mark.parametrize("shuffle", [True, False])
def test_same_seed_gives_bit_identical_runs(shuffle):
    w1, h1 = train(3, shuffle)
    w2, h2 = train(3, shuffle)
    assert weights_equal(w1, w2) and h1 == h2


def test_shuffle_changes_the_order_and_seed_changes_the_shuffle():
    x, y = blobs()
    runs = {}
    for label, seed, shuffle in [("a", 3, True), ("b", 3, False), ("c", 4, True)]:
        mm.set_seed(0)
        model = small_model()                           # the same initial weights each time
        mm.set_seed(seed)
        model.fit(x, y, epochs=2, batch_size=16, shuffle=shuffle, verbose=0)
        runs[label] = model.get_weights()
    assert not weights_equal(runs["a"], runs["b"])
    assert not weights_equal(runs["a"], runs["c"])


# -- callbacks ----------------------------------------------------------------------------------
class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.events = []
        self.batch_weights = []
        self.input_grad = []

    def on_train_begin(self, logs=None):
        self.events.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(f"epoch_begin {epoch}")

    def on_batch_end(self, batch, logs=None):
        self.events.append(f"batch_end {batch}")
        self.batch_weights.append(self.model.get_weights())
        self.input_grad.append(self.model.layers[0].input_grad)

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(f"epoch_end {epoch} {sorted(logs)}")

    def on_train_end(self, logs=None):
        self.events.append("train_end")


def test_callback_order_and_first_layer_input_grad():
    x, y = blobs(n=20)
    model = small_model()
    rec = Recorder()
    model.fit(x, y, epochs=2, batch_size=10, callbacks=[rec], verbose=0)
    assert rec.events == ["train_begin", "epoch_begin 0", "batch_end 0", "batch_end 1",
                          "epoch_end 0 ['accuracy', 'loss']", "epoch_begin 1", "batch_end 0",
                          "batch_end 1", "epoch_end 1 ['accuracy', 'loss']", "train_end"]
    assert rec.input_grad == [False] * 4                   # no dL/dx for the data...
    assert model.layers[0].input_grad is True               # ...and restored afterwards


def test_early_stopping_patience_and_restore_best_weights(capsys):
    x, y = blobs()
    mm.set_seed(0)
    model = small_model(optimizer=optimizers.Adam(0.05))
    start = model.get_weights()
    # Loss falls every epoch, so in mode "max" epoch 0 stays the best: stop at epoch 1.
    stop = EarlyStopping(monitor="loss", mode="max", patience=1, restore_best_weights=True,
                         verbose=1)
    h = model.fit(x, y, epochs=10, shuffle=False, callbacks=[stop], verbose=0)
    assert h.history["loss"][1] < h.history["loss"][0]
    assert h.epoch == [0, 1] and stop.stopped_epoch == 1 and stop.best_epoch == 0
    out = capsys.readouterr().out
    assert "Epoch 2: early stopping" in out and "best epoch: 1" in out
    twin = small_model(optimizer=optimizers.Adam(0.05))
    twin.set_weights(start)
    twin.fit(x, y, epochs=1, shuffle=False, verbose=0)
    assert weights_equal(model.get_weights(), twin.get_weights())   # the end of epoch 0


def test_early_stopping_min_delta_and_patience_counts():
    x, y = blobs()
    model = small_model()
    stop = EarlyStopping(monitor="loss", min_delta=10.0, patience=2)
    h = model.fit(x, y, epochs=10, callbacks=[stop], verbose=0)
    assert h.epoch == [0, 1, 2]                # no epoch beats the first by 10: stop after 2
    keep = EarlyStopping(monitor="val_accuracy", patience=100)
    h = model.fit(x, y, epochs=3, validation_split=0.2, callbacks=[keep], verbose=0)
    assert len(h.epoch) == 3 and keep.stopped_epoch == 0


def test_early_stopping_bad_monitor_and_mode():
    x, y = blobs(n=20)
    model = small_model()
    with pytest.warns(UserWarning, match=r"'val_loss'.*available: accuracy, loss"):
        model.fit(x, y, epochs=2, callbacks=[EarlyStopping()], verbose=0)
    with pytest.raises(ValueError, match="did you mean 'max'"):
        EarlyStopping(mode="maxx")
    with pytest.raises(ValueError, match="mode='min' or mode='max'"):
        model.fit(x, y, callbacks=[EarlyStopping(monitor="f1")], verbose=0)


def diverging_model():
    """Linear regression with an absurd learning rate: the loss overflows within a few steps."""
    r = np.random.default_rng(0)
    x = r.standard_normal((64, 8)).astype(np.float32)
    y = r.standard_normal((64, 1)).astype(np.float32)
    model = Sequential([layers.Dense(1, input_shape=(8,))])
    model.compile(optimizer=optimizers.SGD(learning_rate=1e4), loss="mse")
    return model, x, y


def test_nan_loss_stops_fit_with_a_message_naming_epoch_and_batch():
    model, x, y = diverging_model()
    rec = Recorder()
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.warns(RuntimeWarning, match=r"loss became (nan|inf) at epoch 1/50, "
                                            r"batch (\d+)/8\. That batch's update was not "
                                            r"applied") as warned:
        h = model.fit(x, y, epochs=50, batch_size=8, shuffle=False, callbacks=[rec], verbose=0)
    message = next(str(w.message) for w in warned if "loss became" in str(w.message))
    bad_batch = int(re.search(r"batch (\d+)/8", message).group(1))
    assert h.epoch == [0] and not math.isfinite(h.history["loss"][0])
    assert model.stop_training
    # The weights are those of the previous batch's end: the bad batch changed nothing.
    assert len(rec.batch_weights) == bad_batch > 1
    assert weights_equal(model.get_weights(), rec.batch_weights[-2])
    assert weights_equal(rec.batch_weights[-1], rec.batch_weights[-2])


def test_terminate_on_nan_callback(capsys):
    model, x, y = diverging_model()
    with np.errstate(over="ignore", invalid="ignore"), pytest.warns(RuntimeWarning):
        model.fit(x, y, epochs=5, batch_size=8, callbacks=[TerminateOnNaN()], verbose=0)
    assert re.search(r"Batch \d+: Invalid loss, terminating training", capsys.readouterr().out)

    class Dummy:
        stop_training = False

    cb = TerminateOnNaN()
    cb.set_model(Dummy())
    cb.on_batch_end(0, {"loss": 1.0})
    assert not cb.model.stop_training
    cb.on_batch_end(1, {"loss": float("inf")})
    assert cb.model.stop_training


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("x", "y", "error", "match"), [
    (np.ones((10, 6)), np.zeros(9, int), ValueError,
     r"x and y must have the same number of samples, got x: 10, y: 9"),
    (np.ones((10, 5)), np.zeros(10, int), ValueError,
     r"Dense\(8\) expected input of shape \(batch, 6\), got \(batch, 5\)"),
    (np.ones((10, 6)), np.full(10, 3), ValueError, r"y must be in \[0, 2\] for 3 classes, got 3"),
    (np.ones((10, 6)), np.full(10, -1), ValueError, r"y must be in \[0, 2\]"),
    (np.ones((10, 6)), np.full(10, 0.5), ValueError, "whole-number class labels"),
    (np.full((10, 6), np.nan), np.zeros(10, int), ValueError, "x contains NaN or inf"),
    (np.ones((0, 6)), np.zeros(0, int), ValueError, "x is empty"),
    ({"a": np.ones((10, 6))}, np.zeros(10, int), TypeError, "MultimodalModel"),
    ("data", np.zeros(10, int), TypeError, "x must be an array"),
    (np.ones((10, 6)), None, TypeError, "y .*required"),
])
def test_bad_data(x, y, error, match):
    model = small_model()
    before = model.get_weights()
    with pytest.raises(error, match=match):
        model.fit(x, y, verbose=0)
    assert weights_equal(model.get_weights(), before)


def test_regression_targets_shape_is_checked():
    model = Sequential([layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"y must have shape \(batch, 2\).*got \(batch, 3\)"):
        model.fit(np.ones((4, 3)), np.ones((4, 3)), verbose=0)
    one = Sequential([layers.Dense(1, input_shape=(3,))])
    one.compile(optimizer="sgd", loss="mse")
    one.fit(np.ones((4, 3)), np.ones(4), verbose=0)          # (batch,) fits (batch, 1)
    cat = small_model(loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        cat.fit(np.ones((4, 6)), np.zeros(4), verbose=0)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"batch_size": 0}, "batch_size"), ({"epochs": -1}, "epochs"), ({"verbose": 3}, "verbose"),
    ({"callbacks": ["stop"]}, "Callback"), ({"callbacks": "stop"}, "list of Callback"),
    ({"validation_split": -0.1}, "validation_split"),
])
def test_bad_fit_arguments(kwargs, match):
    x, y = blobs(n=10)
    with pytest.raises((ValueError, TypeError), match=match):
        small_model().fit(x, y, **kwargs)


# -- printing -----------------------------------------------------------------------------------
def test_progress_bar_not_a_tty_prints_one_line_per_epoch(capsys):
    x, y = blobs(n=100)
    model = small_model()
    h = model.fit(x, y, epochs=3, batch_size=32, verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out and "\x1b" not in out
    lines = out.splitlines()
    assert len(lines) == 6
    for epoch in range(3):
        assert lines[2 * epoch] == f"Epoch {epoch + 1}/3"
        m = re.fullmatch(rf"4/4 {BAR} {TIME} - accuracy: (\d\.\d{{4}}) - loss: (\d\.\d{{4}})",
                         lines[2 * epoch + 1])
        assert m, lines[2 * epoch + 1]
        assert m.group(2) == f"{h.history['accuracy'][epoch]:.4f}"
        assert m.group(3) == f"{h.history['loss'][epoch]:.4f}"


def test_verbose_2_and_0_and_evaluate_line(capsys):
    x, y = blobs(n=40)
    model = small_model()
    model.fit(x, y, epochs=2, verbose=2, validation_split=0.5)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and len(lines) == 4
    assert re.fullmatch(r"1/1 - \d+s - \d+(ms|us)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}"
                        r" - val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}", lines[1]), lines[1]
    model.fit(x, y, epochs=2, verbose=0)
    model.predict(x)
    assert capsys.readouterr().out == ""
    model.evaluate(x, y)
    out = capsys.readouterr().out
    assert re.fullmatch(rf"2/2 {BAR} {TIME} - accuracy: \d\.\d{{4}} - loss: \d\.\d{{4}}\n", out)
    model.predict(x, verbose=1)
    assert re.fullmatch(rf"2/2 {BAR} {TIME}\n", capsys.readouterr().out)


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_in_a_terminal_redraws_in_place_at_most_every_interval(monkeypatch):
    # start, then one reading per update (anything else reading the clock gets 1.0 later)
    clock = itertools.chain([0.0, 0.01, 0.05, 0.2, 0.25, 0.3], itertools.repeat(1.0))
    monkeypatch.setattr(callbacks.time, "perf_counter", lambda: next(clock))
    fake = FakeTTY()
    monkeypatch.setattr(sys, "stdout", fake)
    bar = models.ProgressBar(10, verbose=1)
    assert bar.dynamic
    bar.update(1, {"loss": 2.0})            # t=0.01: drawn
    bar.update(2, {"loss": 1.5})            # t=0.05: within 0.1 s of the last one, skipped
    bar.update(5, {"loss": 1.25})           # t=0.2: drawn
    bar.update(6, {"loss": 1.0})            # t=0.25: skipped
    bar.update(10, {"loss": 0.5}, finalize=True)   # always drawn, ends the line
    text = fake.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and text.count("\n") == 1
    frames = [re.sub(r"\x1b\[[0-9;]*m", "", f) for f in text.split("\r")[1:]]
    assert frames[0].startswith(" 1/10 ") and "loss: 2.0000" in frames[0]
    assert frames[1].startswith(" 5/10 ") and "━" * 20 in frames[1]
    assert frames[2].startswith("10/10 ") and "loss: 0.5000" in frames[2]


def test_summary_counts_and_prints(capsys):
    model = Sequential([layers.Dense(64, activation="relu", input_shape=(32,)),
                        layers.Dense(64, activation="relu"),
                        layers.Dense(10, activation="softmax")], name="seed")
    assert model.summary() is None
    out = capsys.readouterr().out
    assert out == model.summary_text() + "\n"
    lines = out.splitlines()
    assert lines[0] == 'Model: "seed"'
    assert re.search(r"┃ Layer \(type\) +┃ Output Shape +┃ +Param # ┃", out)
    names = [layer.name for layer in model.layers]
    for name, shape, count in zip(names, ["(None, 64)", "(None, 64)", "(None, 10)"],
                                  ["2,112", "4,160", "650"], strict=True):
        assert re.search(rf"│ {name} \(Dense\) +│ {re.escape(shape)} +│ +{count} │", out)
    total = 32 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10
    kb = f"{total * 4 / 1024:.2f} KB"
    assert f" Total params: {total:,} ({kb})" in lines
    assert f" Trainable params: {total:,} ({kb})" in lines
    assert " Non-trainable params: 0 (0.00 B)" in lines


# -- freezing -----------------------------------------------------------------------------------
def test_frozen_layer_is_bit_identical_after_fit_and_counted_non_trainable():
    x, y = blobs()
    model = small_model()
    first, second = model.layers
    first.trainable = False
    frozen = first.get_weights()
    trained = second.get_weights()
    model.fit(x, y, epochs=2, verbose=0)
    assert weights_equal(first.get_weights(), frozen)
    assert not weights_equal(second.get_weights(), trained)
    assert first.grads == {}              # a frozen first layer needs no backward at all
    n_first = 6 * 8 + 8
    text = model.summary_text()
    assert f" Non-trainable params: {n_first} " in text
    assert f" Trainable params: {8 * 3 + 3} " in text


def test_frozen_middle_layer_still_passes_gradients_back():
    x, y = blobs()
    model = Sequential([layers.Dense(8, activation="relu", input_shape=(6,)),
                        layers.Dense(8, activation="relu"),
                        layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.layers[1].trainable = False
    before = model.get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    after = model.get_weights()
    assert weights_equal(after[2:4], before[2:4])
    assert not weights_equal(after[0:2], before[0:2])     # learned through the frozen layer


def test_sequential_trainable_property_freezes_everything():
    x, y = blobs()
    model = small_model()
    model.trainable = False
    assert all(not layer.trainable for layer in model.layers)
    before = model.get_weights()
    h = model.fit(x, y, epochs=1, verbose=0)
    assert weights_equal(model.get_weights(), before) and math.isfinite(h.history["loss"][0])
    assert " Trainable params: 0 (0.00 B)" in model.summary_text()
    model.trainable = True
    assert all(layer.trainable for layer in model.layers)


# -- a Sequential is a Layer --------------------------------------------------------------------
def to_float64(model):
    for key, value in list(model.params.items()):
        model.params[key] = asarray(to_numpy(value).astype(np.float64), dtype="float64")


def test_sequential_as_a_layer_passes_gradcheck(backend):
    inner = Sequential([layers.Dense(4, activation="tanh", input_shape=(3,)),
                        layers.Dense(2, activation="softmax")])
    model = Sequential([inner, layers.Dense(3)])
    to_float64(model)
    assert sorted(model.params) == sorted(["0/0/" + inner.layers[0].name + "/W",
                                           "0/0/" + inner.layers[0].name + "/b",
                                           "0/1/" + inner.layers[1].name + "/W",
                                           "0/1/" + inner.layers[1].name + "/b",
                                           "1/" + model.layers[1].name + "/W",
                                           "1/" + model.layers[1].name + "/b"])
    x = asarray(np.random.default_rng(0).standard_normal((5, 3)), dtype="float64")
    errors = gradcheck.check_layer(model, x)
    assert set(errors) == {"x", *model.params}
    assert max(errors.values()) < 1e-6, errors


def test_nested_sequential_trains_with_fused_softmax():
    x, y = blobs()
    encoder = Sequential([layers.Dense(8, activation="relu", input_shape=(6,))])
    head = Sequential([layers.Dense(3, activation="softmax")])
    model = Sequential([encoder, head])
    model.compile(optimizer=optimizers.Adam(0.02), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    h = model.fit(x, y, epochs=20, verbose=0)
    assert h.history["accuracy"][-1] > 0.85, h.history["accuracy"]
    assert model.activation_name == "softmax"


# -- backends, memory ---------------------------------------------------------------------------
def test_short_fit_on_both_backends_agrees(backend):
    x, y = blobs(n=48)
    mm.set_seed(0)
    model = small_model()
    h = model.fit(asarray(x), asarray(y), epochs=2, batch_size=16, verbose=0)
    assert all(type(p) is type(asarray(np.zeros(1))) for p in model.params.values())
    p = model.predict(asarray(x))
    assert p.dtype == backend.float32
    mm.set_backend("numpy")
    mm.set_seed(0)
    ref = small_model()
    h_ref = ref.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for key in h_ref.history:
        np.testing.assert_allclose(h.history[key], h_ref.history[key], rtol=1e-5)
    for a, b in zip(model.get_weights(), ref.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_training_does_not_leak_memory():
    x, y = blobs(n=256)
    model = small_model()
    model.fit(x, y, epochs=1, verbose=0)
    tracemalloc.start()
    try:
        model.fit(x, y, epochs=1, verbose=0)
        first, _ = tracemalloc.get_traced_memory()
        model.fit(x, y, epochs=5, verbose=0)
        model.fit(x, y, epochs=1, verbose=0)
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - first < 64 * 1024, f"grew by {after - first} bytes"


def test_data_on_another_backend_than_the_weights_is_a_clear_error():
    model = Sequential([layers.Dense(2, input_shape=(3,))])
    mm.set_backend("array_api_strict")
    with pytest.raises(ValueError, match=r"parameters live on the 'numpy' backend.*set_backend"):
        model.predict(np.ones((4, 3), np.float32))


def test_train_on_batch_is_one_fit_step():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 5)).astype(np.float32)
    y = rng.integers(0, 3, 32)

    def model():
        mm.set_seed(0)
        m = Sequential([layers.Dense(4, activation="relu", input_shape=(5,)),
                        layers.Dense(3, activation="softmax")])
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
        return m

    stepped, fitted = model(), model()
    loss, acc = stepped.train_on_batch(x, y)
    history = fitted.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    assert loss == pytest.approx(history.history["loss"][0], rel=1e-6)
    assert acc == pytest.approx(history.history["accuracy"][0], rel=1e-6)
    for a, b in zip(stepped.get_weights(), fitted.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_train_on_batch_refuses_a_nan_loss_and_keeps_the_weights():
    m = Sequential([layers.Dense(1, input_shape=(2,))])
    m.compile(optimizer="sgd", loss="mse")
    before = m.get_weights()
    with pytest.raises(FloatingPointError, match="not applied"), np.errstate(over="ignore"):
        m.train_on_batch(np.full((4, 2), 1e30, np.float32), np.full((4, 1), -1e30, np.float32))
    for a, b in zip(before, m.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
