"""float64 on request: ``mm.set_floatx`` and a layer's ``dtype=``, as in Keras."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mmlearn as mm
from mmlearn import gradcheck
from mmlearn import layers as L


def test_float32_by_default():
    assert mm.floatx() == "float32"
    assert L.Dense(3, input_shape=(2,)).params["W"].dtype == np.float32


@pytest.mark.parametrize("bad", ["float16", "double", 64, None])
def test_set_floatx_names_what_it_accepts_and_changes_nothing(bad):
    with pytest.raises(ValueError, match="set_floatx: dtype must be one of"):
        mm.set_floatx(bad)
    assert mm.floatx() == "float32"


def test_layers_data_and_training_follow_floatx(backend, float64):
    assert mm.floatx() == "float64"
    model = mm.Sequential([L.Dense(8, activation="relu", input_shape=(4,)),
                           L.Dense(3, activation="softmax")])
    assert all(w.dtype == np.float64 for w in model.get_weights())
    ds = mm.data.reviews(n=40, seed=0)
    assert ds.x["image"].dtype == backend.float64
    x = mm.backend.asarray(np.random.default_rng(0).standard_normal((32, 4)))
    y = mm.backend.asarray(np.arange(32) % 3)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert all(w.dtype == np.float64 for w in model.get_weights())
    assert model.predict(x).dtype == backend.float64


def test_a_layers_dtype_argument_overrides_floatx():
    assert L.Dense(2, input_shape=(3,), dtype="float64").params["W"].dtype == np.float64
    mm.set_floatx("float64")
    assert L.Dense(2, input_shape=(3,), dtype="float32").params["W"].dtype == np.float32
    with pytest.raises(ValueError, match="dtype must be one of"):
        L.Dense(2, dtype="int32")


def test_existing_layers_keep_their_dtype():
    layer = L.Dense(2, input_shape=(3,))
    mm.set_floatx("float64")
    layer.build((None, 3))
    assert layer.params["W"].dtype == np.float32


def test_gradient_check_passes_in_float64(float64):
    layer = L.Dense(3, activation="tanh", input_shape=(4,))
    x = mm.backend.asarray(np.random.default_rng(1).standard_normal((5, 4)))
    errors = gradcheck.check_layer(layer, x)
    assert max(errors.values()) < 1e-6, errors


def test_set_weights_warns_when_float64_values_lose_precision():
    model = mm.Sequential([L.Dense(2, input_shape=(3,))])
    with pytest.warns(UserWarning, match="losing precision"):
        model.set_weights([np.full((3, 2), 0.1), np.zeros(2)])
    assert model.get_weights()[0].dtype == np.float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # values float32 holds exactly: no warning
        model.set_weights([np.full((3, 2), 0.5), np.zeros(2)])
