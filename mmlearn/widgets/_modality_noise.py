"""The modality-noise explorer: how noisy each modality may get before fusing stops
helping."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from mmlearn._i18n import N_
from mmlearn.widgets._common import (
    merge_messages,
    new_figure,
)
from mmlearn.widgets._playground import _Playground, _slider

__all__ = ["ModalityNoiseExplorer", "modality_accuracies", "modality_noise_explorer"]


@functools.lru_cache(maxsize=8)
def _modality_base(n_train: int, n_test: int, dim: int, seed: int) -> tuple[np.ndarray, ...]:
    """Labels and unit-variance noise, drawn once: moving a slider only rescales the noise."""
    gen = np.random.default_rng(seed)
    n = n_train + n_test
    sign = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    gen.shuffle(sign)
    noise_a = gen.standard_normal((n, dim))
    noise_b = gen.standard_normal((n, dim))
    for a in (sign, noise_a, noise_b):
        a.setflags(write=False)
    return sign, noise_a, noise_b


def _least_squares_accuracy(X: np.ndarray, t: np.ndarray, n_train: int) -> float:
    """Fit t ≈ [X, 1] w by least squares on the first n_train rows; accuracy of sign on
    the rest. (For two Gaussian classes this is Fisher's linear discriminant.)"""
    A = np.concatenate([X, np.ones((X.shape[0], 1))], axis=1)
    w, *_ = np.linalg.lstsq(A[:n_train], t[:n_train], rcond=None)
    pred = np.where(A[n_train:] @ w >= 0, 1.0, -1.0)
    return float(np.mean(pred == t[n_train:]))


def modality_accuracies(noise_image: float, noise_text: float, *, separation: float = 1.0,
                        dim: int = 4, n_train: int = 500, n_test: int = 2000,
                        seed: int = 0) -> dict[str, float]:
    """Test accuracy of an image-only, a text-only and a fused (concatenated) linear model.

    The task: a label y = ±1; each modality is a ``dim``-vector ``y·μ + σ·ε`` with
    ``|μ| = separation`` and ε standard normal, σ its own noise level. Each model is fit
    in closed form (least squares, ``numpy.linalg.lstsq``). The best possible accuracies
    are Φ(separation/σ) for one modality and Φ(√(separation²/σ_image² + separation²/σ_text²))
    for both, so fusing beats either alone whenever both carry signal.
    Returns ``{"image": ..., "text": ..., "fused": ...}``.
    """
    for arg, v in (("noise_image", noise_image), ("noise_text", noise_text)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
                or v < 0:
            raise ValueError(f"modality_accuracies: {arg} must be a number >= 0, got {v!r}")
    sign, eps_a, eps_b = _modality_base(n_train, n_test, dim, seed)
    mu = np.full(dim, separation / math.sqrt(dim))
    image = sign[:, None] * mu + noise_image * eps_a
    text = sign[:, None] * mu + noise_text * eps_b
    return {
        "image": _least_squares_accuracy(image, sign, n_train),
        "text": _least_squares_accuracy(text, sign, n_train),
        "fused": _least_squares_accuracy(np.concatenate([image, text], axis=1), sign, n_train),
    }


class ModalityNoiseExplorer(_Playground):
    """One noise slider per modality; shows the test accuracy of image-only, text-only and
    fused models (:func:`modality_accuracies`) as text and as a bar chart.

    Attributes: ``image_slider``, ``text_slider``, ``output``, ``plot``, ``accuracies``,
    ``text``.
    """

    LABELS: ClassVar[dict[str, str]] = {
        "output": N_("{image_name} only: {image:.1%} · {text_name} only: {text:.1%} · "
                     "fused: {fused:.1%}"),
        "image": N_("image"),
        "text": N_("text"),
        "fused": N_("fused"),
        "noise": N_("{name} noise"),
        "accuracy": N_("test accuracy"),
        "chance": N_("chance"),
    }
    kind = "modality-noise"

    def __init__(self, noise_image: float = 1.0, noise_text: float = 1.5, *,
                 max_noise: float = 4.0, separation: float = 1.0, dim: int = 4,
                 n_train: int = 500, n_test: int = 2000, seed: int = 0,
                 labels: Mapping[str, str] | None = None) -> None:
        lab = merge_messages(self.LABELS, labels, type(self).__name__)
        self._options = {"separation": separation, "dim": dim, "n_train": n_train,
                         "n_test": n_test, "seed": seed}
        self.image_slider = _slider(lab["noise"].format(name=lab["image"]), noise_image, 0.0,
                                    max_noise, 0.1, "mm-noise-image")
        self.text_slider = _slider(lab["noise"].format(name=lab["text"]), noise_text, 0.0,
                                   max_noise, 0.1, "mm-noise-text")
        for s in (self.image_slider, self.text_slider):
            s.style.description_width = "initial"
        self._setup(labels, [self.image_slider, self.text_slider])
        self._observe([self.image_slider, self.text_slider])
        self.update()

    def update(self) -> None:
        """Refit the three models for the current noise levels and redraw."""
        acc = modality_accuracies(self.image_slider.value, self.text_slider.value,
                                  **self._options)
        self.accuracies = acc
        lab = self.labels
        self._show_text(lab["output"].format(image_name=lab["image"], text_name=lab["text"],
                                             **acc))
        fig = new_figure(4.0, 2.8)
        ax = fig.add_subplot()
        names = [lab["image"], lab["text"], lab["fused"]]
        values = [acc["image"], acc["text"], acc["fused"]]
        bars = ax.bar(names, values, color=["C0", "C1", "C2"])
        for bar, v in zip(bars, values, strict=True):
            ax.text(bar.get_x() + bar.get_width() / 2, v + 0.01, f"{v:.0%}", ha="center",
                    fontsize=9)
        ax.axhline(0.5, color="k", linestyle="--", linewidth=1, label=lab["chance"])
        ax.set_ylim(0.0, 1.08)
        ax.set_ylabel(lab["accuracy"])
        ax.legend(loc="lower right", fontsize=8)
        self._show_figure(fig)


def modality_noise_explorer(noise_image: float = 1.0, noise_text: float = 1.5,
                            **kwargs: Any) -> ModalityNoiseExplorer:
    """A :class:`ModalityNoiseExplorer` (noise per modality -> three accuracies)."""
    return ModalityNoiseExplorer(noise_image, noise_text, **kwargs)
