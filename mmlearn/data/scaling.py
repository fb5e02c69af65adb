"""Scaling: fit the statistics on the training data, apply them to any data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mmlearn._validation import fraction
from mmlearn.backend import array_namespace
from mmlearn.data._dataset import count_samples

__all__ = ["Normalizer", "Standardizer", "normalize", "standardize"]


class _Scaler:
    """Per-feature affine scaling ``(x − shift) / scale``, with statistics over the sample axis.

    Dicts are scaled per modality; integer arrays (token ids, user ids) pass through
    unchanged, since scaling an id makes no sense.
    """

    def __init__(self, eps: float = 1e-7) -> None:
        self.eps = fraction(eps, "eps", type(self).__name__, high=1.0)
        self.stats_: Any = None

    def _stats(self, x: Any) -> tuple[Any, Any]:
        raise NotImplementedError

    @staticmethod
    def _is_float(a: Any) -> bool:
        return array_namespace(a).isdtype(a.dtype, "real floating")

    def fit(self, x: Any) -> _Scaler:
        """Learn the statistics of ``x`` (array or dict of arrays, samples first)."""
        who = f"{type(self).__name__}.fit"
        count_samples(x, None, who)
        if isinstance(x, Mapping):
            stats = {k: self._checked_stats(v, f"{who}: x[{k!r}]") for k, v in x.items()
                     if self._is_float(v)}
        elif not self._is_float(x):
            raise TypeError(f"{who}: x must be a float array, got dtype {x.dtype}")
        else:
            stats = self._checked_stats(x, f"{who}: x")
        self.stats_ = stats                  # every array checked: now keep the statistics
        return self

    def _checked_stats(self, x: Any, arg: str) -> tuple[Any, Any]:
        xp = array_namespace(x)
        if x.shape[0] == 0:
            raise ValueError(f"{arg} has no samples: the statistics need at least one")
        if not bool(xp.all(xp.isfinite(x))):
            raise ValueError(f"{arg} holds NaN or inf values: the statistics would be NaN; "
                             "remove or impute them first")
        shift, scale = self._stats(x)
        # A feature that never varies (scale 0) keeps scale 1: shifted, never divided by ~0.
        return shift, xp.where(scale > 0, scale + self.eps, xp.ones_like(scale))

    def transform(self, x: Any) -> Any:
        """Scale ``x`` with the statistics learnt by :meth:`fit`."""
        who = f"{type(self).__name__}.transform"
        if self.stats_ is None:
            raise RuntimeError(f"{who}: call fit(x_train) first")
        count_samples(x, None, who)
        if isinstance(self.stats_, dict) != isinstance(x, Mapping):
            fitted = "dict" if isinstance(self.stats_, dict) else "array"
            got = "dict" if isinstance(x, Mapping) else "array"
            raise TypeError(f"{who}: fitted on a {fitted}, got a {got}")
        if isinstance(x, Mapping):
            missing = sorted(set(self.stats_) - set(x))
            if missing:
                raise ValueError(f"{who}: x lacks the modalities {missing} seen by fit")
            return {k: self._apply(v, self.stats_[k], f"{who}: x[{k!r}]") if k in self.stats_
                    else v for k, v in x.items()}
        return self._apply(x, self.stats_, f"{who}: x")

    def _apply(self, x: Any, stats: tuple[Any, Any], arg: str) -> Any:
        shift, scale = stats
        if tuple(x.shape[1:]) != tuple(shift.shape):
            raise ValueError(f"{arg} must have shape (n, {', '.join(map(str, shift.shape))}) as "
                             f"at fit, got {tuple(x.shape)}")
        xp = array_namespace(x)
        if not self._is_float(x):      # integer pixels: compute in float, never wrap around
            x = xp.astype(x, shift.dtype)
        shift, scale = xp.astype(shift, x.dtype), xp.astype(scale, x.dtype)
        return (x - shift) / scale

    def fit_transform(self, x: Any) -> Any:
        return self.fit(x).transform(x)


class Standardizer(_Scaler):
    """z = (x − μ) / (σ + ε), μ and σ per feature over the training samples.

    A feature with σ = 0 is only shifted (divided by 1). NaN, inf or no samples at ``fit``
    raise ``ValueError``; integer data given to ``transform`` is computed in float.

    Fit on the training set only, then transform training and test sets alike: the test
    set must not leak into the statistics.
    """

    def _stats(self, x: Any) -> tuple[Any, Any]:
        xp = array_namespace(x)
        return xp.mean(x, axis=0), xp.std(x, axis=0)


class Normalizer(_Scaler):
    """Min–max scaling to [0, 1] on the training set: (x − min) / (max − min + ε), per feature.

    A feature with max = min is only shifted (divided by 1); bad data as for Standardizer.
    """

    def _stats(self, x: Any) -> tuple[Any, Any]:
        xp = array_namespace(x)
        low = xp.min(x, axis=0)
        return low, xp.max(x, axis=0) - low


def standardize(x_train: Any, *others: Any, eps: float = 1e-7) -> Any:
    """Standardise with the training statistics: ``x_tr, x_te = standardize(x_tr, x_te)``.

    Returns the scaled ``x_train`` alone when no other set is given, else a tuple.
    """
    scaler = Standardizer(eps).fit(x_train)
    out = tuple(scaler.transform(a) for a in (x_train, *others))
    return out[0] if not others else out


def normalize(x_train: Any, *others: Any, eps: float = 1e-7) -> Any:
    """Min–max scale to [0, 1] with the training range: ``x_tr, x_te = normalize(x_tr, x_te)``.

    Test values outside the training range land outside [0, 1].
    """
    scaler = Normalizer(eps).fit(x_train)
    out = tuple(scaler.transform(a) for a in (x_train, *others))
    return out[0] if not others else out
