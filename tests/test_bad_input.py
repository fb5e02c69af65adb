"""The bad-input rule (DESIGN 3.4), one table for the whole public API.

Each case makes fresh objects, performs one bad call, and names the exception (or
warning) it must raise and a pattern its message must match. Every message must name
what was wrong in the library's words, never NumPy's ("operands could not be
broadcast", ...), and the model or layer involved must be left exactly as it was (its
weights compared bit for bit before and after), as must the backend and floatx.

Widget checkers are the exception to "raise": given anything, they return feedback
(``test_widget_checkers_never_raise``). ``test_accepted_inputs`` covers what Keras
would cast (integer and bool data) and so must not be refused.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import mmlearn as mm
from mmlearn import contrastive, data, fusion, gradcheck, io, losses, optimizers
from mmlearn.callbacks import EarlyStopping
from mmlearn.layers import Dense, Dropout, Embedding
from mmlearn.models import MultimodalModel, Sequential
from mmlearn.widgets import Feedback, FunctionExercise, NeuronWeightsExercise, NumericExercise, Quiz

NUMPY_WORDS = ("operands could not be broadcast", "index out of bounds", "has no attribute",
               "unsupported operand", "object of type", "not subscriptable",
               "not supported between", "invalid literal", "setting an array element")

N = 10
_g = np.random.default_rng(0)
X8 = _g.standard_normal((N, 8)).astype(np.float32)
X4 = _g.standard_normal((N, 4)).astype(np.float32)
Y3 = np.arange(N) % 3


# =============================================================================
# Fresh objects for every case
# =============================================================================
def dense8() -> Dense:
    """A Dense(4) built for 8 features."""
    return Dense(4, input_shape=(8,))


def seq(compiled: bool = True) -> Sequential:
    model = Sequential([Dense(4, activation="relu", input_shape=(8,)),
                        Dense(3, activation="softmax")])
    if compiled:
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def mmodel(compiled: bool = True) -> MultimodalModel:
    """Two modalities of 8 features each, encoded by Dense(6), concatenated, a 3-way head."""
    model = MultimodalModel(encoders={"image": Dense(6, activation="relu"),
                                      "text": Dense(6, activation="relu")},
                            fusion=fusion.Concat(), head=Dense(3, activation="softmax"))
    model.build({"image": (None, 8), "text": (None, 8)})
    if compiled:
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def mx(**change: Any) -> dict[str, Any]:
    """Good multimodal inputs, with some modalities replaced (None removes one)."""
    x = {"image": X8.copy(), "text": X8[::-1].copy()}
    for k, v in change.items():
        if v is None:
            x.pop(k)
        else:
            x[k] = v
    return x


def gated() -> fusion.Gated:
    layer = fusion.Gated(5)
    layer({"image": X8, "text": X4})
    return layer


def dual() -> contrastive.DualEncoder:
    model = contrastive.DualEncoder(Dense(6), Dense(6), embed_dim=4)
    model({"image": X8, "text": X4})
    return model


def dx(**change: Any) -> dict[str, Any]:
    x = {"image": X8.copy(), "text": X4.copy()}
    for k, v in change.items():
        if v is None:
            x.pop(k)
        else:
            x[k] = v
    return x


def with_nan(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a[3, 2] = np.nan
    return a


def ragged() -> list:
    return [[1.0, 2.0, 3.0], [1.0, 2.0]] * 5


def saved(model: Any, tmp: Any, edit: Callable[[dict], None] | None = None,
          name: str = "w.npz") -> str:
    """Save ``model``'s weights to tmp/name, optionally editing the arrays first."""
    path = os.path.join(tmp, name)
    model.save_weights(path)
    if edit is not None:
        with np.load(path) as f:
            arrays = {k: f[k] for k in f.files}
        edit(arrays)
        np.savez(path, **arrays)
    return path


def _drop_first(arrays: dict) -> None:
    """Remove the first parameter from the file and from its index (a consistent file)."""
    k = first_key(arrays)
    arrays.pop(k)
    keep = arrays["__mmlearn_keys__"] != k
    for index in ("__mmlearn_keys__", "__mmlearn_slots__"):
        arrays[index] = arrays[index][keep]


def first_key(arrays: dict) -> str:
    return next(k for k in arrays if not k.startswith("__"))


def _set(arrays: dict, fn: Callable[[np.ndarray], np.ndarray]) -> None:
    k = first_key(arrays)
    arrays[k] = fn(arrays[k])


def fit_quiet(model: Any, x: Any, y: Any, **kw: Any) -> Any:
    return model.fit(x, y, verbose=0, **kw)


def _not_a_layer(x: Any) -> Any:
    return x


# =============================================================================
# The table
# =============================================================================
@dataclass
class Case:
    id: str
    make: Callable[[], Any] | None        # the object whose state must not change
    call: Callable[..., Any]              # call(obj, tmp)
    exc: type[BaseException] | type[Warning]
    match: str
    unchanged: bool = True
    no_gpu: bool = False


def C(id: str, make: Any, call: Any, exc: Any, match: str, **kw: Any) -> Any:
    return pytest.param(Case(id, make, call, exc, match, **kw), id=id)


CASES = [
    # --- fusion layers ---------------------------------------------------------
    C("fusion-array-not-dict", gated, lambda f, t: f(X8), TypeError,
      r"Gated\(5\) expects a dict of modality arrays.*got an array of shape \(10, 8\)"),
    C("fusion-missing-modality", gated, lambda f, t: f({"image": X8}), ValueError,
      r"Gated.*missing modality 'text'"),
    C("fusion-unknown-modality", gated, lambda f, t: f({"image": X8, "txt": X4}), ValueError,
      r"unexpected modality 'txt'.*did you mean 'text'"),
    C("fusion-batch-mismatch", gated, lambda f, t: f({"image": X8, "text": X4[:7]}),
      ValueError, r"Gated.*same batch size.*'image': 10, 'text': 7"),
    C("fusion-one-modality", None, lambda f, t: fusion.Gated(5)({"image": X8}), ValueError,
      r"Gated.*at least 2 modalities"),
    C("fusion-1d-inputs", None,
      lambda f, t: fusion.Gated(5)({"image": X8[:, 0], "text": X4[:, 0]}), ValueError,
      r"Gated.*expected 'image' of shape \(batch, features\), got \(batch,\)"),
    C("fusion-wrong-width", gated, lambda f, t: f({"image": X8[:, :7], "text": X4}),
      ValueError, r"Gated.*expected 'image' of shape \(batch, 8\), got \(batch, 7\)"),
    C("fusion-complex", gated,
      lambda f, t: f({"image": X8.astype(np.complex64), "text": X4}), TypeError,
      r"Gated.*modality 'image' must hold real numbers, got dtype complex64"),
    C("fusion-object", None,
      lambda f, t: fusion.Concat()({"image": X8.astype(object), "text": X4}), TypeError,
      r"Concat.*modality 'image' must hold real numbers, got dtype object"),
    C("fusion-ragged-list", gated, lambda f, t: f({"image": ragged(), "text": X4}),
      TypeError, r"Gated.*modality 'image' must be an array, got list"),
    C("fusion-film-wrong-keys", None,
      lambda f, t: fusion.FiLM("text", "image")({"audio": X4, "image": X8}), ValueError,
      r"FiLM.*missing modality 'text'.*unexpected modality 'audio'"),
    C("fusion-backward-wrong-grad", gated,
      lambda f, t: (f({"image": X8, "text": X4}), f.backward(np.ones((N, 4), np.float32))),
      ValueError, r"backward expected grad_out of shape \(10, 5\).*got \(10, 4\)"),
    C("fusion-backward-before-forward", None,
      lambda f, t: fusion.LowRank(4, 2).backward(np.ones((N, 4))), RuntimeError,
      r"backward called before forward"),
    C("fusion-get-typo", None, lambda f, t: fusion.get("gatted", units=4), ValueError,
      r"did you mean 'gated'"),

    # --- MultimodalModel ---------------------------------------------------------
    C("mm-x-not-dict", mmodel, lambda m, t: fit_quiet(m, X8, Y3), TypeError,
      r"x must be a dict \{modality: array\} with keys \['image', 'text'\], got ndarray"),
    C("mm-missing-modality", mmodel, lambda m, t: fit_quiet(m, mx(text=None), Y3), ValueError,
      r"x is missing modality 'text'"),
    C("mm-unknown-modality", mmodel,
      lambda m, t: fit_quiet(m, {"image": X8, "txt": X8}, Y3), ValueError,
      r"x has unknown modality 'txt'.*did you mean 'text'"),
    C("mm-batch-mismatch", mmodel, lambda m, t: fit_quiet(m, mx(text=X8[:7]), Y3), ValueError,
      r"x: every modality must have the same number of samples.*'image': 10, 'text': 7"),
    C("mm-1d-input", mmodel, lambda m, t: fit_quiet(m, mx(text=X8[:, 0]), Y3), ValueError,
      r"modality 'text': Dense\(6\) expected input of shape \(batch, 8\), got \(batch,\)"),
    C("mm-wrong-width", mmodel, lambda m, t: fit_quiet(m, mx(text=X8[:, :7]), Y3), ValueError,
      r"modality 'text': Dense\(6\) expected input of shape \(batch, 8\), got \(batch, 7\)"),
    C("mm-complex", mmodel, lambda m, t: fit_quiet(m, mx(image=X8.astype(complex)), Y3),
      TypeError, r"x\['image'\] must hold real numbers, got dtype complex128"),
    C("mm-object", mmodel, lambda m, t: fit_quiet(m, mx(image=X8.astype(object)), Y3),
      TypeError, r"x\['image'\] must hold real numbers, got dtype object"),
    C("mm-ragged", mmodel, lambda m, t: fit_quiet(m, mx(image=ragged()), Y3), TypeError,
      r"x\['image'\] must be an array of numbers, got list"),
    C("mm-nan", mmodel, lambda m, t: fit_quiet(m, mx(image=with_nan(X8)), Y3), ValueError,
      r"x\['image'\] contains NaN or inf"),
    C("mm-labels-out-of-range", mmodel, lambda m, t: fit_quiet(m, mx(), Y3 + 1), ValueError,
      r"y must be in \[0, 2\] for 3 classes, got 3"),
    C("mm-validation-missing-modality", mmodel,
      lambda m, t: fit_quiet(m, mx(), Y3, validation_data=(mx(text=None), Y3)), ValueError,
      r"validation_data\[0\] is missing modality 'text'"),
    C("mm-validation-wrong-width", mmodel,
      lambda m, t: fit_quiet(m, mx(), Y3, validation_data=(mx(text=X8[:, :7]), Y3)),
      ValueError, r"validation_data\[0\]: modality 'text': Dense\(6\) expected input of shape "
                  r"\(batch, 8\), got \(batch, 7\)"),
    C("mm-predict-unbuilt-missing", None,
      lambda m, t: MultimodalModel({"image": Dense(4), "text": Dense(4)}, fusion.Concat())
      .predict({"image": X8}), ValueError,
      r"modality 'text' is missing and its encoder .* has never seen data"),
    C("mm-dropout-1", None,
      lambda m, t: MultimodalModel({"a": Dense(2), "b": Dense(2)}, fusion.Concat(),
                                   modality_dropout=1.0), ValueError,
      r"modality_dropout must be a probability in \[0, 1\), got 1.0"),
    C("mm-encoders-not-dict", None,
      lambda m, t: MultimodalModel([Dense(2)], fusion.Concat()), TypeError,
      r"encoders must be a non-empty dict"),

    # --- DualEncoder -------------------------------------------------------------
    C("dual-fit-nan", dual, lambda m, t: m.fit(dx(image=with_nan(X8)), verbose=0),
      ValueError, r"DualEncoder.fit: x\['image'\] contains NaN or inf"),
    C("dual-missing-modality", dual, lambda m, t: m.fit(dx(text=None), verbose=0), ValueError,
      r"DualEncoder: x is missing 'text'"),
    C("dual-unknown-modality", dual,
      lambda m, t: m.fit({"image": X8, "txt": X4, "text": X4}, verbose=0), ValueError,
      r"unknown modality 'txt'.*did you mean 'text'"),
    C("dual-batch-mismatch", dual, lambda m, t: m.fit(dx(text=X4[:7]), verbose=0),
      ValueError, r"x\['image'\] and x\['text'\] must have the same batch size"),
    C("dual-complex", dual, lambda m, t: m.fit(dx(image=X8.astype(np.complex64)), verbose=0),
      TypeError, r"DualEncoder.*x\['image'\] must hold real numbers, got dtype complex64"),
    C("dual-object", dual, lambda m, t: m.fit(dx(text=X4.astype(object)), verbose=0),
      TypeError, r"DualEncoder.*x\['text'\] must hold real numbers, got dtype object"),
    C("dual-ragged", dual, lambda m, t: m.fit(dx(image=ragged()), verbose=0), TypeError,
      r"DualEncoder: x\['image'\] must be an array with a batch axis, got list"),
    C("dual-1d", dual, lambda m, t: m(dx(image=X8[:, 0])), ValueError,
      r"image encoder: Dense\(6\) expected input of shape \(batch, 8\), got \(batch,\)"),
    C("dual-wrong-width", dual, lambda m, t: m.fit(dx(text=X8), verbose=0), ValueError,
      r"text encoder: Dense\(6\) expected input of shape \(batch, 4\), got \(batch, 8\)"),
    C("dual-batch-size-1", dual, lambda m, t: m.fit(dx(), batch_size=1, verbose=0),
      ValueError, r"batch_size must be at least 2"),
    C("dual-epochs-negative", dual, lambda m, t: m.fit(dx(), epochs=-1, verbose=0), ValueError,
      r"DualEncoder.fit: epochs must be an int >= 0, got -1"),
    C("dual-encode-wrong-width", dual, lambda m, t: m.encode_image(X4), ValueError,
      r"DualEncoder.encode_image: image encoder: Dense\(6\) expected input of shape "
      r"\(batch, 8\), got \(batch, 4\)"),
    C("dual-encode-nan", dual, lambda m, t: m.encode_text(with_nan(X4)), ValueError,
      r"DualEncoder.encode_text: x contains NaN or inf"),
    C("dual-fit-shuffle-str", dual, lambda m, t: m.fit(dx(), shuffle="no", verbose=0),
      TypeError, r"DualEncoder.fit: shuffle must be True or False, got 'no'"),
    C("dual-embed-dim-0", None,
      lambda m, t: contrastive.DualEncoder(Dense(2), Dense(2), embed_dim=0), ValueError,
      r"DualEncoder: embed_dim must be a positive int, got 0"),

    # --- InfoNCE and retrieval ---------------------------------------------------
    C("infonce-temperature-0", None, lambda m, t: losses.InfoNCE(temperature=0), ValueError,
      r"InfoNCE: temperature must be a positive number, got 0"),
    C("infonce-temperature-negative", None, lambda m, t: losses.InfoNCE(temperature=-0.1),
      ValueError, r"InfoNCE: temperature must be a positive number, got -0.1"),
    C("infonce-temperature-nan", None, lambda m, t: losses.InfoNCE(temperature=float("nan")),
      ValueError, r"InfoNCE: temperature must be a positive number, got nan"),
    C("infonce-not-square", None, lambda m, t: losses.InfoNCE()(None, X8), ValueError,
      r"InfoNCE: y_pred must be a square \(N, N\) matrix.*got shape \(10, 8\)"),
    C("infonce-complex", None,
      lambda m, t: losses.InfoNCE()(None, np.eye(3, dtype=complex)), TypeError,
      r"InfoNCE: y_pred must hold real numbers, got dtype complex128"),
    C("infonce-not-permutation", None,
      lambda m, t: losses.InfoNCE()(np.array([0, 0, 1]), np.eye(3)), ValueError,
      r"y_true must be a permutation of 0..2"),
    C("recall-different-widths", None, lambda m, t: contrastive.recall_at_k(X8, X4),
      ValueError, r"recall_at_k: query_emb and target_emb must have the same shape.*"
                  r"\(10, 8\) and \(10, 4\)"),
    C("recall-k-0", None, lambda m, t: contrastive.recall_at_k(X8, X8, k=0), ValueError,
      r"recall_at_k: k must be a positive int, got 0"),
    C("recall-k-too-large", None, lambda m, t: contrastive.recall_at_k(X8, X8, k=N + 1),
      ValueError, r"recall_at_k: k must be at most the number of candidates \(10\), got 11"),
    C("recall-k-float", None, lambda m, t: contrastive.recall_at_k(X8, X8, k=1.5), ValueError,
      r"recall_at_k: k must be a positive int, got 1.5"),
    C("zero-shot-wrong-width", dual,
      lambda m, t: contrastive.zero_shot_classify(m, X8, np.ones((3, 9), np.float32)),
      ValueError, r"zero_shot_classify: class_texts: DualEncoder.encode_text: text encoder: "
                  r"Dense\(6\) expected input of shape \(batch, 4\), got \(batch, 9\)"),
    C("zero-shot-not-dual", None,
      lambda m, t: contrastive.zero_shot_classify(seq(), X8, np.ones((3, 2), int)), TypeError,
      r"zero_shot_classify: model must be a DualEncoder, got Sequential"),

    # --- mm.data -----------------------------------------------------------------
    C("data-n-0", None, lambda m, t: data.shapes_with_captions(n=0), ValueError,
      r"shapes_with_captions: n must be an int >= 1, got 0"),
    C("data-noise-negative", None, lambda m, t: data.reviews(n=20, noise=-0.1), ValueError,
      r"reviews: noise must be in \[0.0, 10.0\], got -0.1"),
    C("data-seed-str", None, lambda m, t: data.image_caption_pairs(n=20, seed="0"), TypeError,
      r"image_caption_pairs: seed must be a non-negative int or None, got '0'"),
    C("data-seed-float", None, lambda m, t: data.tones_with_spectrograms(n=20, seed=1.5),
      TypeError, r"tones_with_spectrograms: seed must be a non-negative int or None, got 1.5"),
    C("data-too-many-interactions", None,
      lambda m, t: data.users_items(n_users=2, n_items=2, n_interactions=5), ValueError,
      r"users_items: n_interactions must be at most n_users \* n_items = 4"),
    C("data-make-typo", None, lambda m, t: data.make("reveiws"), ValueError,
      r"unknown dataset 'reveiws'.*did you mean 'reviews'"),
    C("data-bow-out-of-range", None,
      lambda m, t: data.bag_of_words(np.array([[1, 5]]), vocab_size=5), ValueError,
      r"bag_of_words: ids must be in \[0, 4\], got 5"),
    C("data-bow-float-ids", None,
      lambda m, t: data.bag_of_words(np.array([[1.0, 2.0]]), vocab_size=5), TypeError,
      r"bag_of_words: ids must be integers, got dtype float64"),
    C("data-bow-ragged", None, lambda m, t: data.bag_of_words([[1, 2], [1]], vocab_size=5),
      ValueError, r"bag_of_words: ids must be an \(n, steps\) array of token ids, every row "
                  r"the same length"),
    C("data-bow-float-list", None, lambda m, t: data.bag_of_words([[1.5, 2.0]], vocab_size=5),
      TypeError, r"bag_of_words: ids must be integers, got dtype float64"),
    C("data-make-unknown-argument", None, lambda m, t: data.make("reviews", nosie=0.1),
      TypeError, r"make\('reviews'\): unknown argument 'nosie'; reviews takes n, seed, .*"
                 r"\(did you mean 'noise'\?\)"),
    C("data-split-test-size-1", None, lambda m, t: data.train_test_split(X8, Y3, test_size=1.0),
      ValueError, r"train_test_split: test_size"),
    C("data-standardizer-nan", None, lambda m, t: data.Standardizer().fit(with_nan(X8)),
      ValueError, r"Standardizer.fit: x holds NaN or inf"),

    # --- weights files -----------------------------------------------------------
    C("load-missing-file", seq, lambda m, t: m.load_weights(os.path.join(t, "nope.npz")),
      FileNotFoundError, r"load_weights: no such file '.*nope.npz'"),
    C("load-directory", seq, lambda m, t: m.load_weights(t), ValueError,
      r"load_weights: '.*' is a directory, not an .npz weights file"),
    C("load-not-npz", seq,
      lambda m, t: (open(os.path.join(t, "w.npz"), "w").write("hello"),
                    m.load_weights(os.path.join(t, "w.npz"))), ValueError,
      r"load_weights: '.*w.npz' is not a readable .npz weights file"),
    C("load-extra-array", seq,
      lambda m, t: m.load_weights(saved(seq(), t, lambda a: a.update(extra=np.ones(3)))),
      ValueError, r"the file has 1 parameter\(s\) the model lacks, e.g. 'extra'.*"
                  r"Nothing was loaded"),
    C("load-missing-array", seq,
      lambda m, t: m.load_weights(saved(seq(), t, _drop_first)), ValueError,
      r"layer 'dense.*' parameter 'W' \(0/dense.*/W\) is not in the file.*Nothing was loaded"),
    C("load-damaged-index", seq,
      lambda m, t: m.load_weights(saved(seq(), t, lambda a: a.pop(first_key(a)))), ValueError,
      r"load_weights: '.*w.npz' is damaged: its index lists '0/dense.*/W' but the array is "
      r"absent"),
    C("load-wrong-shape", seq,
      lambda m, t: m.load_weights(saved(seq(), t, lambda a: _set(a, lambda w: w[:-1]))),
      ValueError, r"parameter 'W' .* has shape \(8, 4\) in the model but \(7, 4\) in the file"),
    C("load-int-weights", seq,
      lambda m, t: m.load_weights(saved(seq(), t, lambda a: _set(
          a, lambda w: np.round(w * 10).astype(np.int64)))), ValueError,
      r"layer 'dense.*' parameter 'W': the file holds dtype int64, expected float"),
    C("load-float16-weights", seq,
      lambda m, t: m.load_weights(saved(seq(), t, lambda a: _set(
          a, lambda w: w.astype(np.float16)))), UserWarning,
      r"load_weights: .* stores layer 'dense.*' parameter 'W' \(float16\) in less precision "
      r"than the model's float32", unchanged=False),
    C("load-nan-weights", seq,
      lambda m, t: m.load_weights(saved(seq(), t, lambda a: _set(a, with_nan_w))), ValueError,
      r"layer 'dense.*' parameter 'W' .* NaN or inf.*Nothing was loaded"),
    C("load-mm-into-sequential", seq,
      lambda m, t: m.load_weights(saved(mmodel(), t)), ValueError,
      r"load_weights: .* does not match Sequential"),
    C("save-unbuilt", None,
      lambda m, t: Sequential([Dense(3)]).save_weights(os.path.join(t, "x.npz")), ValueError,
      r"save_weights: Sequential .* has no weights yet; build it first"),
    C("set-weights-wrong-shape", seq,
      lambda m, t: m.set_weights([w[:-1] if w.ndim == 2 else w for w in seq().get_weights()]),
      ValueError, r"set_weights: 0/dense.*/W \(layer 'dense.*'\) expected shape \(8, 4\), "
                  r"got \(7, 4\)"),

    # --- backend -----------------------------------------------------------------
    C("backend-unknown", None, lambda m, t: mm.set_backend("numpi"), ValueError,
      r"set_backend: name must be one of .*got 'numpi' \(did you mean 'numpy'\?\)"),
    C("backend-not-str", None, lambda m, t: mm.set_backend(None), ValueError,
      r"set_backend: name must be one of .*got None"),
    C("backend-cupy-absent", None, lambda m, t: mm.set_backend("cupy"), RuntimeError,
      r"set_backend\('cupy'\): CuPy is (not installed|installed but no usable CUDA GPU)",
      no_gpu=True),
    C("floatx-float16", None, lambda m, t: mm.set_floatx("float16"), ValueError,
      r"set_floatx: dtype must be one of \('float32', 'float64'\), got 'float16'"),
    C("seed-negative", None, lambda m, t: mm.set_seed(-1), ValueError,
      r"set_seed: seed must be a non-negative int, got -1"),

    # --- optimizers --------------------------------------------------------------
    C("sgd-lr-negative", None, lambda m, t: optimizers.SGD(learning_rate=-0.1), ValueError,
      r"SGD: learning_rate must be a positive finite number, got -0.1"),
    C("adam-lr-zero", None, lambda m, t: optimizers.Adam(learning_rate=0), ValueError,
      r"Adam: learning_rate must be a positive finite number, got 0"),
    C("rmsprop-lr-nan", None, lambda m, t: optimizers.RMSprop(learning_rate=float("nan")),
      ValueError, r"RMSprop: learning_rate must be a positive finite number, got nan"),
    C("adam-lr-str", None, lambda m, t: optimizers.Adam(learning_rate="0.01"), TypeError,
      r"Adam: learning_rate must be a number, got '0.01'"),
    C("adam-beta1-one", None, lambda m, t: optimizers.Adam(beta_1=1.0), ValueError,
      r"Adam: beta_1 must be in \[0, 1\), got 1.0"),
    C("adam-beta2-negative", None, lambda m, t: optimizers.Adam(beta_2=-0.1), ValueError,
      r"Adam: beta_2 must be a non-negative finite number, got -0.1"),
    C("adamw-epsilon-negative", None, lambda m, t: optimizers.AdamW(epsilon=-1e-7), ValueError,
      r"AdamW: epsilon must be a positive finite number, got -1e-07"),
    C("apply-gradients-list", None,
      lambda m, t: optimizers.Adam().apply_gradients([([1.0, 2.0], np.ones(2))]), TypeError,
      r"Adam.apply_gradients: gradient 0 must be an array .*got list"),
    C("optimizer-typo", None, lambda m, t: optimizers.get("adamm"), ValueError,
      r"unknown optimizer 'adamm'.*did you mean 'adam'"),
    C("apply-gradients-shape", None,
      lambda m, t: optimizers.SGD().apply_gradients([(np.ones(3), np.ones(4))]), ValueError,
      r"SGD.apply_gradients: gradient 0 has shape \(3,\) but its parameter has shape \(4,\)"),

    # --- fit / evaluate / predict ------------------------------------------------
    C("fit-epochs-negative", seq, lambda m, t: fit_quiet(m, X8, Y3, epochs=-1), ValueError,
      r"sequential.*\.fit: epochs must be an int >= 0, got -1"),
    C("fit-batch-size-0", seq, lambda m, t: fit_quiet(m, X8, Y3, batch_size=0), ValueError,
      r"\.fit: batch_size must be an int >= 1, got 0"),
    C("fit-validation-split-1", seq, lambda m, t: fit_quiet(m, X8, Y3, validation_split=1.0),
      ValueError, r"\.fit: validation_split must be a fraction in \[0, 1\), got 1.0"),
    C("fit-validation-wrong-width", seq,
      lambda m, t: fit_quiet(m, X8, Y3, validation_data=(X8[:, :7], Y3)), ValueError,
      r"validation_data\[0\]: Dense\(4\) expected input of shape \(batch, 8\), "
      r"got \(batch, 7\)"),
    C("fit-validation-wrong-labels", seq,
      lambda m, t: fit_quiet(m, X8, Y3, validation_data=(X8, Y3[:5])), ValueError,
      r"validation_data\[0\] and validation_data\[1\] must have the same number of samples"),
    C("fit-validation-dict", seq,
      lambda m, t: fit_quiet(m, X8, Y3, validation_data=({"image": X8}, Y3)), TypeError,
      r"validation_data\[0\] must be an array for a Sequential model, got a dict"),
    C("fit-validation-not-pair", seq,
      lambda m, t: fit_quiet(m, X8, Y3, validation_data=(X8, Y3, Y3)), ValueError,
      r"validation_data must be a pair \(x_val, y_val\), got tuple of length 3"),
    C("fit-shuffle-str", seq, lambda m, t: fit_quiet(m, X8, Y3, shuffle="yes"), TypeError,
      r"\.fit: shuffle must be True or False, got 'yes'"),
    C("fit-not-compiled", lambda: seq(False), lambda m, t: fit_quiet(m, X8, Y3), RuntimeError,
      r"\.fit: compile the model first"),
    C("fit-nan-input", seq, lambda m, t: fit_quiet(m, with_nan(X8), Y3), ValueError,
      r"x contains NaN or inf"),
    C("fit-x-y-mismatch", seq, lambda m, t: fit_quiet(m, X8, Y3[:4]), ValueError,
      r"x and y must have the same number of samples, got x: 10, y: 4"),
    C("evaluate-wrong-width", seq, lambda m, t: m.evaluate(X4, Y3, verbose=0), ValueError,
      r"Dense\(4\) expected input of shape \(batch, 8\), got \(batch, 4\)"),
    C("predict-no-layers", None, lambda m, t: Sequential().predict(X8), ValueError,
      r"has no layers; add some first"),
    C("predict-scalar", seq, lambda m, t: m.predict(3.0), ValueError,
      r"x must have at least 1 dimensions, got shape \(\)"),
    C("compile-loss-typo", None, lambda m, t: seq(False).compile(loss="mse2"), ValueError,
      r"unknown loss 'mse2'"),
    C("compile-no-loss", None, lambda m, t: seq(False).compile(optimizer="adam"), ValueError,
      r"compile: loss is required"),

    # --- callbacks ---------------------------------------------------------------
    C("earlystopping-missing-val-metric", seq,
      lambda m, t: fit_quiet(m, X8, Y3, epochs=1,
                             callbacks=[EarlyStopping(monitor="val_accuracy")]), UserWarning,
      r"EarlyStopping monitors 'val_accuracy', which is not in the logs; available: "
      r"accuracy, loss.*val_\* needs validation_data", unchanged=False),
    C("earlystopping-typo-metric", seq,
      lambda m, t: fit_quiet(m, X8, Y3, epochs=1,
                             callbacks=[EarlyStopping(monitor="acuracy", mode="max")]),
      UserWarning, r"'acuracy', which is not in the logs; available: accuracy, loss "
                   r"\(did you mean 'accuracy'\?\)", unchanged=False),
    C("earlystopping-min-delta-nan", None,
      lambda m, t: EarlyStopping(min_delta=float("nan")), ValueError,
      r"EarlyStopping: min_delta must be a finite number, got nan"),
    C("earlystopping-baseline-str", None, lambda m, t: EarlyStopping(baseline="high"),
      ValueError, r"EarlyStopping: baseline must be a finite number, got 'high'"),

    # --- layers, losses, gradcheck ----------------------------------------------
    C("dense-8-called-on-9", dense8, lambda m, t: m(np.ones((N, 9), np.float32)), ValueError,
      r"Dense\(4\) expected input of shape \(batch, 8\), got \(batch, 9\)"),
    C("dense-1d-unbuilt", None, lambda m, t: Dense(4)(np.ones(8)), ValueError,
      r"Dense\(4\) expected input of shape \(batch, features\), got \(8,\)"),
    C("dense-complex", dense8, lambda m, t: m(X8.astype(complex)), TypeError,
      r"Dense\(4\) expected real-valued \(float\) input, got dtype complex128"),
    C("dense-list-input", dense8, lambda m, t: m(X8.tolist()), TypeError,
      r"Dense\(4\) expected an array, got list"),
    C("dense-backward-before-forward", dense8, lambda m, t: m.backward(np.ones((N, 4))),
      RuntimeError, r"dense.*\.backward called before forward"),
    C("dense-backward-wrong-shape", dense8,
      lambda m, t: (m(X8), m.backward(np.ones((N, 5), np.float32))), ValueError,
      r"dense.*\.backward expected grad_out of shape \(10, 4\).*got \(10, 5\)"),
    C("dropout-backward-before-forward", None,
      lambda m, t: Dropout(0.5).backward(np.ones((N, 4))), RuntimeError,
      r"dropout.*\.backward called before forward"),
    C("dense-activation-typo", None, lambda m, t: Dense(4, activation="relux"), ValueError,
      r"did you mean 'relu'"),
    C("embedding-id-out-of-range", None,
      lambda m, t: Embedding(5, 3)(np.array([[1, 7]])), ValueError, r"Embedding.*\[0, 4\].*7"),
    C("loss-typo", None, lambda m, t: losses.get("sparse_categorical_crossentropyy"),
      ValueError, r"did you mean 'sparse_categorical_crossentropy'"),
    C("sparse-ce-label-out-of-range", None,
      lambda m, t: losses.get("sparse_categorical_crossentropy")(np.array([0, 5]),
                                                                 np.full((2, 3), 1 / 3)),
      ValueError, r"y_true must be in \[0, 2\] for 3 classes, got 5"),
    C("neuron-weights-2d", None, lambda m, t: mm.Neuron(weights=[[1.0, 2.0]]), ValueError,
      r"weights must be a 1-d array, got shape \(1, 2\)"),
    C("gradcheck-not-a-layer", None, lambda m, t: gradcheck.check_layer(_not_a_layer, X8),
      TypeError, r"check_layer: layer must be a Layer .* got function"),
    C("gradcheck-x-list", dense8, lambda m, t: gradcheck.check_layer(m, X8.tolist()),
      TypeError, r"check_layer: x must be an array \(a dict of arrays for a fusion layer\), "
                 r"got list"),
    C("gradcheck-loss-not-a-loss", None,
      lambda m, t: gradcheck.check_loss("mse", X8, X8), TypeError,
      r"check_loss: loss must be a loss object .* got str"),
    C("io-save-not-a-model", None,
      lambda m, t: io.save_weights(np.ones(3), os.path.join(t, "a.npz")), TypeError,
      r"save_weights: expected a model or a layer, got ndarray"),
]


def with_nan_w(w: np.ndarray) -> np.ndarray:
    w = w.copy()
    w.flat[0] = np.nan
    return w


def _state(obj: Any) -> Any:
    weights = None
    if obj is not None and getattr(obj, "built", True):
        weights = [np.array(w, copy=True) for w in obj.get_weights()]
    return mm.get_backend(), mm.floatx(), weights


def _same(a: Any, b: Any) -> bool:
    if a[:2] != b[:2] or (a[2] is None) != (b[2] is None):
        return False
    if a[2] is None:
        return True
    return len(a[2]) == len(b[2]) and all(
        x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
        for x, y in zip(a[2], b[2], strict=True))


def test_the_table_is_big_enough():
    assert len(CASES) >= 60
    ids = [p.values[0].id for p in CASES]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", CASES)
def test_bad_input(case: Case, tmp_path: Any, request: Any) -> None:
    if case.no_gpu:
        request.getfixturevalue("no_gpu")
    obj = case.make() if case.make is not None else None
    before = _state(obj)
    if issubclass(case.exc, Warning):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            case.call(obj, str(tmp_path))
        messages = [str(w.message) for w in caught if issubclass(w.category, case.exc)]
        assert messages, f"no {case.exc.__name__}; got {[str(w.message) for w in caught]}"
        message = next((m for m in messages if re.search(case.match, m)), messages[0])
    else:
        with pytest.raises(BaseException) as info:
            case.call(obj, str(tmp_path))
        assert isinstance(info.value, case.exc), \
            f"raised {type(info.value).__name__}: {info.value}"
        message = str(info.value)
    assert re.search(case.match, message), f"message {message!r} does not match {case.match!r}"
    for words in NUMPY_WORDS:
        assert words not in message, f"numpy's words in {message!r}"
    if case.unchanged:
        assert _same(_state(obj), before), "the object (or backend/floatx) changed"


# =============================================================================
# What Keras would cast must be accepted, and give the float result
# =============================================================================
def test_integer_and_bool_inputs_are_cast_as_keras_does():
    xi = (X8 * 3).astype(np.int32)
    xb = X8 > 0
    model = mmodel()
    for x in (xi, xb):
        got = mm.to_numpy(model.predict({"image": x, "text": x}))
        want = mm.to_numpy(model.predict({"image": x.astype(np.float32),
                                          "text": x.astype(np.float32)}))
        np.testing.assert_array_equal(got, want)
    layer = gated()
    a = mm.to_numpy(layer({"image": xi, "text": xb[:, :4]}))
    b = mm.to_numpy(layer({"image": xi.astype(np.float32),
                           "text": xb[:, :4].astype(np.float32)}))
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    enc = dual()
    s1 = mm.to_numpy(enc({"image": xi, "text": xb[:, :4]}))
    s2 = mm.to_numpy(enc({"image": xi.astype(np.float32), "text": xb[:, :4].astype(np.float32)}))
    np.testing.assert_array_equal(s1, s2)


def test_recall_at_k_equal_to_the_number_of_candidates_is_legal():
    assert contrastive.recall_at_k(X8, X8[::-1], k=N) == 1.0


def test_predict_builds_a_never_built_sequential():
    model = Sequential([Dense(3)])
    assert mm.to_numpy(model.predict(X8)).shape == (N, 3)


def test_float16_weights_load_with_a_warning_and_their_values(tmp_path):
    model = seq()
    path = saved(model, str(tmp_path), lambda a: _set(a, lambda w: w.astype(np.float16)))
    other = seq()
    with pytest.warns(UserWarning, match="float16"):
        other.load_weights(path)
    np.testing.assert_array_equal(other.get_weights()[0],
                                  model.get_weights()[0].astype(np.float16).astype(np.float32))


# =============================================================================
# Widget checkers: any answer gets feedback, none raises
# =============================================================================
def _quiz():
    return Quiz("2 + 2?", ["3", "4"], answer=1)


def _numeric():
    return NumericExercise("σ(0)?", 0.5, tol=1e-3)


def _function():
    return FunctionExercise("Write relu(x).", "relu", [(2.0,), (-1.5,)],
                            reference=lambda x: max(x, 0.0), time_limit=0.3)


def _neuron():
    return NeuronWeightsExercise("AND")


BAD_ANSWERS = [None, "", "abc", "nan", float("nan"), float("inf"), "-inf", 10**400, "10**400",
               1e308, "1e308*10", "1e400", [1, 2], {"a": 1}, object(), b"\xff"]
FUNCTION_CODE = [
    "def relu(x):\n    raise ValueError('boom')\n",
    "def relu(x):\n    while True:\n        pass\n",
    "while True:\n    pass\n",
    "def relu(x):\n    return 10**400\n",
    "def relu(x):\n    return 1e308 * 10\n",
    "def relu(x):\n    return float('nan')\n",
    "def relu(x):\n    return 'two'\n",
    "def relu(x):\n    return [x] * 10**3\n",
    "import sys\nsys.exit(1)\n",
    "def relu(x):\n    return relu(x)\n",
    "def relu(x)\n    return x\n",
]
NEURON_ANSWERS = [(float("nan"), 1, 1), (float("inf"), 1, -1), (10**400, 1, 1),
                  (1e308, 1e308, -1e308), ("a", "b", "c"), (1, 2), {"w1": 1}, "1, 2, 3"]


@pytest.mark.parametrize("make, answer", [
    *[pytest.param(_quiz, a, id=f"quiz-{i}") for i, a in enumerate([*BAD_ANSWERS, -1, 5, 1.5])],
    *[pytest.param(_numeric, a, id=f"numeric-{i}") for i, a in enumerate(BAD_ANSWERS)],
    *[pytest.param(_function, a, id=f"function-{i}")
      for i, a in enumerate([*BAD_ANSWERS, *FUNCTION_CODE])],
    *[pytest.param(_neuron, a, id=f"neuron-{i}")
      for i, a in enumerate([*BAD_ANSWERS, *NEURON_ANSWERS])],
])
def test_widget_checkers_never_raise(make, answer):
    fb = make().check(answer)
    assert isinstance(fb, Feedback)
    assert not fb.correct
    assert fb.message and "Please report this" not in fb.message, fb.message


def _ids_with_one_bad_row() -> np.ndarray:
    ids = np.ones((40, 3), np.int64)
    ids[37, 1] = 9                                     # row 37: beyond the first batches
    return ids


def test_fit_and_predict_check_every_id_once_before_any_step():
    """Layers check their input when called, not in ``forward``; a model checks its data
    once per fit/evaluate/predict: one sample through every layer, and all of it through
    the layer it enters first, so an Embedding id out of range in row 37 is refused before
    the first step, not in the fifth batch (nor, worse, wrapped around if negative)."""
    mm.set_seed(0)
    model = Sequential([Embedding(5, 3), mm.layers.GlobalAveragePooling1D(),
                        Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    ids, y = _ids_with_one_bad_row(), np.zeros(40, np.int64)
    model(ids[:1])
    before = model.get_weights()
    for call in (lambda: model.fit(ids, y, batch_size=8, verbose=0),
                 lambda: model.evaluate(ids, y, verbose=0), lambda: model.predict(ids)):
        with pytest.raises(ValueError, match=r"Embedding\(5, 3\): ids must be in \[0, 4\].*9"):
            call()
    negative = np.ones((40, 3), np.int64)
    negative[30, 0] = -1
    with pytest.raises(ValueError, match=r"ids must be in \[0, 4\].*got -1"):
        model.fit(negative, y, batch_size=8, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    assert model.optimizer.iterations == 0


def test_multimodal_fit_checks_every_id_of_each_modality_once():
    mm.set_seed(0)
    model = MultimodalModel(
        encoders={"text": Sequential([Embedding(5, 3), mm.layers.GlobalAveragePooling1D()]),
                  "num": Dense(3)},
        fusion=fusion.Concat(), head=Dense(2, activation="softmax"))
    model.compile("adam", "sparse_categorical_crossentropy")
    x = {"text": _ids_with_one_bad_row(), "num": np.ones((40, 4), np.float32)}
    with pytest.raises(ValueError, match=r"^modality 'text': Embedding\(5, 3\): ids must be"):
        model.fit(x, np.zeros(40, np.int64), batch_size=8, verbose=0)
    assert model.optimizer.iterations == 0
