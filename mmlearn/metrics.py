"""Metrics: how good the predictions are, as numbers a person reads (not differentiated).

    sparse_categorical_accuracy   mean(argmax(ŷ) == y), integer labels
    categorical_accuracy          mean(argmax(ŷ) == argmax(y)), one-hot targets
    binary_accuracy               mean((ŷ > 0.5) == y)
    mean_squared_error            mean((ŷ − y)²)
    mean_absolute_error           mean(|ŷ − y|)
    recall_at_k                   retrieval: is a query's partner among its k nearest?
    zero_shot_classify            a DualEncoder's class for each image, from text prompts

``model.compile(metrics=["accuracy"])`` picks the accuracy that fits the loss (Keras's rule);
the training loop calls these on each batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mmlearn._validation import check_int, float_matrix, prefixed
from mmlearn.backend import array_namespace, asarray, is_array, to_numpy

__all__ = [
    "binary_accuracy", "categorical_accuracy", "mean_absolute_error", "mean_squared_error",
    "recall_at_k", "sparse_categorical_accuracy", "zero_shot_classify",
]


def sparse_categorical_accuracy(y: Any, p: Any) -> Any:
    """mean(argmax(ŷ) == y): y integer labels (batch,), ŷ (batch, classes)."""
    xp = array_namespace(p)
    return xp.mean(xp.astype(xp.argmax(p, axis=-1) == y, p.dtype))


def categorical_accuracy(y: Any, p: Any) -> Any:
    """mean(argmax(ŷ) == argmax(y)): one-hot (or soft) targets."""
    xp = array_namespace(p)
    return xp.mean(xp.astype(xp.argmax(p, axis=-1) == xp.argmax(y, axis=-1), p.dtype))


def binary_accuracy(y: Any, p: Any) -> Any:
    """mean((ŷ > 0.5) == y): targets 0/1, one probability per output."""
    xp = array_namespace(p)
    return xp.mean(xp.astype(xp.astype(p > 0.5, p.dtype) == y, p.dtype))


def mean_squared_error(y: Any, p: Any) -> Any:
    """mean((ŷ − y)²) over every entry."""
    xp = array_namespace(p)
    d = p - y
    return xp.mean(d * d)


def mean_absolute_error(y: Any, p: Any) -> Any:
    """mean(|ŷ − y|) over every entry."""
    xp = array_namespace(p)
    return xp.mean(xp.abs(p - y))


#: The names ``compile(metrics=[...])`` accepts, to the function's canonical name
#: ("accuracy" is resolved from the loss by the model).
ALIASES = {
    "accuracy": "accuracy", "acc": "accuracy",
    "binary_accuracy": "binary_accuracy",
    "categorical_accuracy": "categorical_accuracy",
    "sparse_categorical_accuracy": "sparse_categorical_accuracy",
    "mse": "mse", "mean_squared_error": "mse",
    "mae": "mae", "mean_absolute_error": "mae",
}

FUNCTIONS: dict[str, Callable[[Any, Any], Any]] = {
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "binary_accuracy": binary_accuracy,
    "mse": mean_squared_error,
    "mae": mean_absolute_error,
}


def zero_shot_classify(model: Any, images: Any, class_texts: Any,
                       vocab: Any = None) -> Any:
    """Classify images with no labelled example: embed one text prompt per class ("a photo
    of a circle") and give each image the class whose prompt is nearest,

        ŷ_i = argmax_c  Ĩ_i · T̃_c.

    ``class_texts``: the prompts' token ids (C, steps), or a list of C strings together
    with the ``vocab`` that encodes them. Returns (N,) int64 class indices on the
    images' backend.
    """
    who = "zero_shot_classify"
    if not all(callable(getattr(model, f"encode_{tower}", None)) for tower in ("image", "text")):
        raise TypeError(f"{who}: model must be a DualEncoder, got {type(model).__name__}")
    if isinstance(class_texts, str):
        raise TypeError(f"{who}: class_texts must be a list of prompts (one per class), "
                        "got a single str")
    if isinstance(class_texts, list | tuple) and class_texts and \
            all(isinstance(t, str) for t in class_texts):
        if vocab is None or not callable(getattr(vocab, "encode", None)):
            raise TypeError(f"{who}: class_texts are strings, so pass vocab= (the Vocabulary "
                            "that encoded the training captions)")
        class_texts = vocab.encode(list(class_texts))
    if not is_array(class_texts) or class_texts.ndim < 1 or int(class_texts.shape[0]) < 1:
        raise ValueError(f"{who}: class_texts must hold at least one prompt, got "
                         f"{class_texts!r}")
    try:
        img = model.encode_image(images)
    except (ValueError, TypeError) as err:
        raise prefixed(err, f"{who}: images") from err
    try:
        txt = model.encode_text(class_texts)
    except (ValueError, TypeError) as err:
        raise prefixed(err, f"{who}: class_texts") from err
    xp = array_namespace(img)
    return xp.astype(xp.argmax(img @ xp.matrix_transpose(txt), axis=1), xp.int64)


def recall_at_k(query_emb: Any, target_emb: Any, k: int = 1) -> float:
    """Fraction of queries whose own partner is among the k targets most similar to it.

    Row i of ``query_emb`` (N, E) belongs with row i of ``target_emb`` (N, E); similarity
    is the cosine. Query i's partner ranks r_i = #{j ≠ i : sim(i, j) > sim(i, i)}; targets
    that tie with the partner (within 1e-6, e.g. duplicate captions) are ordered at random,
    and the recall counts the expected hit,

        recall@k = (1/N) Σ_i clip((k − r_i) / (e_i + 1), 0, 1),   e_i = #ties,

    so duplicates neither inflate nor deflate it. Chance level is k/N.
    """
    who = "recall_at_k"
    q = float_matrix(query_emb, "query_emb", who)
    t = float_matrix(target_emb, "target_emb", who)
    if tuple(q.shape) != tuple(t.shape):
        raise ValueError(f"{who}: query_emb and target_emb must have the same shape (N, E), "
                         f"row i matching row i; got {tuple(q.shape)} and {tuple(t.shape)}")
    n = int(q.shape[0])
    if n == 0:
        raise ValueError(f"{who}: the embeddings are empty")
    k = check_int(k, "k", who, expected="a positive int")
    if k > n:
        raise ValueError(f"{who}: k must be at most the number of candidates ({n}), got {k}; "
                         f"with k >= {n} every partner is found and the recall is 1.0")
    if array_namespace(t) is not array_namespace(q):
        t = asarray(to_numpy(t), xp=array_namespace(q))
    xp = array_namespace(q)
    if not bool(xp.all(xp.isfinite(q))) or not bool(xp.all(xp.isfinite(t))):
        raise ValueError(f"{who}: the embeddings contain NaN or inf")
    qn = q / xp.sqrt(xp.sum(q * q, axis=1, keepdims=True) + 1e-12)
    tn = t / xp.sqrt(xp.sum(t * t, axis=1, keepdims=True) + 1e-12)
    sim = qn @ xp.matrix_transpose(tn)                               # (N, N)
    own = xp.reshape(xp.sum(qn * tn, axis=1), (n, 1))                # sim(i, i)
    others = xp.astype(1 - xp.eye(n, dtype=xp.int64), sim.dtype)
    better = xp.sum(xp.astype(sim > own + 1e-6, sim.dtype) * others, axis=1)
    ties = xp.sum(xp.astype(xp.abs(sim - own) <= 1e-6, sim.dtype) * others, axis=1)
    hit = xp.clip((k - better) / (ties + 1.0), min=0.0, max=1.0)
    return float(to_numpy(xp.mean(hit)))
