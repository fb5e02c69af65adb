"""Tones with spectrograms: a waveform that tells the pitch and a spectrogram that tells
the envelope (bowed or plucked), so the class needs both."""

from __future__ import annotations

import numpy as np

from mmlearn._validation import check_int, fraction
from mmlearn.data._dataset import Dataset
from mmlearn.data._generate import as_float, as_int, generator, image_out

__all__ = ["tones_with_spectrograms"]

_PITCHES = ("low", "mid", "high")
_TIMBRES = ("bowed", "plucked")


def tones_with_spectrograms(n: int = 2000, length: int = 64, seed: int | None = None, *,
                            n_bands: int = 8, n_frames: int = 12, noise: float = 0.3,
                            flatten: bool = True) -> Dataset:
    """A short waveform (its pitch) and a spectrogram-like image (its envelope) of a note.

    Each note has a pitch register (``low``, ``mid``, ``high``) and is ``bowed`` (the
    sound is sustained) or ``plucked`` (a sharp attack, then an exponential decay): six
    classes, "low bowed", "low plucked", ..., drawn uniformly.

    * ``x["audio"]``: (n, length) float32, a steady-state clip from the middle of the note,
      scaled to unit RMS: x(t) = Σₖ aₖ sin(2π k f₀ t / length + φₖ) + noise, k = 1, 2, with
      f₀ (cycles per clip) uniform in [3, 5] (low), [7, 9] (mid) or [11, 13] (high), random
      harmonic weights aₖ and phases φₖ. It tells the pitch; being a slice of the steady
      part, it knows nothing of the envelope.
    * ``x["spectrogram"]``: (n, n_bands · n_frames) float32 (``flatten=False``: (n, n_bands,
      n_frames)), log-energy over time of the upper bands of the whole note, as recorded by a
      sensor that filters out the fundamental: energy(b, t) = envelope(t) · profile(b), where
      ``profile`` is a random brightness curve (the same for every pitch) and ``envelope`` is
      flat with a slow tremolo (bowed) or 1 → e^(−t/τ) (plucked). It tells the timbre, not
      the pitch.
    * ``y``: (n,) int64, ``pitch * 2 + timbre``.

    Audio alone can reach at most 50% (pitch known, timbre a coin flip), the spectrogram
    alone at most 33%; together, 100%. ``extras``: ``pitch``, ``timbre``, ``f0``.
    """
    who = "tones_with_spectrograms"
    n = check_int(n, "n", who, wrong_type=TypeError)
    length = check_int(length, "length", who, minimum=32, wrong_type=TypeError)
    n_bands = check_int(n_bands, "n_bands", who, minimum=2, wrong_type=TypeError)
    n_frames = check_int(n_frames, "n_frames", who, minimum=4, wrong_type=TypeError)
    noise = fraction(noise, "noise", who, high=10.0)
    g = generator(seed, who)

    pitch = g.integers(0, len(_PITCHES), n)
    timbre = g.integers(0, len(_TIMBRES), n)
    f0, audio = _waveforms(g, pitch, length, noise)
    spec = _spectrograms(g, timbre, n_bands, n_frames, noise)
    return Dataset(
        x={"audio": as_float(audio), "spectrogram": image_out(spec, flatten)},
        y=as_int(pitch * len(_TIMBRES) + timbre),
        class_names=[f"{p} {tb}" for p in _PITCHES for tb in _TIMBRES],
        image_shape=(n_bands, n_frames),
        description="audio: steady clip, pitch from f0; spectrogram: upper bands over time, "
                    "bowed (flat) or plucked (decaying); y = pitch * 2 + timbre (needs both).",
        extras={"pitch": pitch, "timbre": timbre, "f0": f0},
    )


def _waveforms(g: np.random.Generator, pitch: np.ndarray, length: int,
               noise: float) -> tuple[np.ndarray, np.ndarray]:
    """f0 (n,) and the clips (n, length): two harmonics of f0 plus noise, at unit RMS."""
    n = pitch.shape[0]
    scale = length / 64.0                                   # keep 2·f0 below Nyquist
    f0 = (g.uniform(3.0, 5.0, n) + 4.0 * pitch) * scale
    t = np.arange(length, dtype=np.float64)
    audio = np.zeros((n, length))
    for k in (1, 2):
        a_k = g.uniform(0.5, 1.0, n) if k == 1 else g.uniform(0.0, 0.6, n)
        phase = g.uniform(0.0, 2 * np.pi, n)
        audio += a_k[:, None] * np.sin(2 * np.pi * k * f0[:, None] * t[None] / length
                                       + phase[:, None])
    audio += noise * g.standard_normal(audio.shape)
    audio /= np.sqrt(np.mean(audio**2, axis=1, keepdims=True))
    return f0, audio


def _spectrograms(g: np.random.Generator, timbre: np.ndarray, n_bands: int, n_frames: int,
                  noise: float) -> np.ndarray:
    """(n, n_bands, n_frames) log-energy: envelope(t) · profile(b), plus noise."""
    n = timbre.shape[0]
    frames = np.arange(n_frames, dtype=np.float64) / (n_frames - 1)      # 0 .. 1
    tau = g.uniform(0.15, 0.35, n)
    wobble = 1.0 + 0.15 * np.sin(2 * np.pi * g.uniform(1.0, 3.0, n)[:, None] * frames[None]
                                 + g.uniform(0, 2 * np.pi, n)[:, None])
    envelope = np.where(timbre[:, None] == 0, wobble, np.exp(-frames[None] / tau[:, None]))
    bands = np.arange(n_bands, dtype=np.float64) / (n_bands - 1)
    bright = g.uniform(0.5, 3.0, n)
    profile = np.exp(-bands[None] * bright[:, None])                      # (n, bands)
    energy = profile[:, :, None] * envelope[:, None, :]                   # (n, bands, frames)
    spec = np.log1p(9.0 * energy) / np.log(10.0)                          # in [0, 1]
    spec += noise * 0.5 * g.standard_normal(spec.shape)
    return spec
