"""Sound effects synthesized procedurally with numpy (no sample files): birdsong, wind, rain,
waves, city ambience, footsteps, water drops and wings. Which ones a shot gets comes from its
description through the lexicon (tools/data/music.json 'effects')."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from tools import lexicon
from tools.project import SAMPLE_RATE, sample_index

EFFECTS = ("birdsong", "wind", "rain", "waves", "city", "footsteps", "drops", "wings")


def _noise(rng: np.random.Generator, n: int) -> Any:
    return rng.standard_normal(n).astype(np.float32)


def _lowpass(x: Any, alpha: float) -> Any:
    """One-pole low-pass via an exponential moving average (vectorised with lfilter-free
    cumulative form is not exact; a short FIR of decaying taps is close enough for ambience)."""
    taps = int(max(1, 1 / max(alpha, 1e-3)))
    kernel = np.exp(-np.arange(taps * 4) * alpha).astype(np.float32)
    kernel /= kernel.sum()
    return np.convolve(x, kernel, mode="same")


def _t(n: int) -> Any:
    return np.arange(n, dtype=np.float32) / SAMPLE_RATE


def birdsong(seconds: float, rng: np.random.Generator) -> Any:
    """Chirps: short rising/falling sine sweeps in bursts."""
    n = sample_index(seconds)
    out = np.zeros(n, dtype=np.float32)
    t = 0.2
    while t < seconds - 0.3:
        for _ in range(int(rng.integers(2, 5))):
            length = float(rng.uniform(0.05, 0.12))
            s0, m = sample_index(t), sample_index(length)
            if s0 + m >= n:
                break
            tt = _t(m)
            f0, f1 = float(rng.uniform(2500, 3500)), float(rng.uniform(3800, 5200))
            if rng.random() < 0.5:
                f0, f1 = f1, f0
            phase = 2 * np.pi * (f0 * tt + (f1 - f0) * tt**2 / (2 * length))
            out[s0 : s0 + m] += np.sin(phase) * np.sin(np.pi * tt / length) * 0.5
            t += length + float(rng.uniform(0.03, 0.08))
        t += float(rng.uniform(0.6, 1.8))
    return out


def wind(seconds: float, rng: np.random.Generator) -> Any:
    """Low-passed noise with a slow swell."""
    n = sample_index(seconds)
    base = _lowpass(_noise(rng, n), 0.02)
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * _t(n) / float(rng.uniform(4, 7)) + float(rng.uniform(0, 6)))
    return base / (np.max(np.abs(base)) or 1) * swell * 0.6


def rain(seconds: float, rng: np.random.Generator) -> Any:
    """A hiss of high noise with scattered drop ticks."""
    n = sample_index(seconds)
    hiss = _noise(rng, n) - _lowpass(_noise(rng, n), 0.05)
    out = hiss / (np.max(np.abs(hiss)) or 1) * 0.25
    for pos in rng.integers(0, max(1, n - 800), size=int(seconds * 40)):
        out[pos : pos + 400] += np.exp(-np.arange(400) / 60.0).astype(np.float32) * float(
            rng.uniform(0.1, 0.4)
        )
    return out


def waves(seconds: float, rng: np.random.Generator) -> Any:
    """Surf: low-passed noise swelling and breaking every few seconds."""
    n = sample_index(seconds)
    base = _lowpass(_noise(rng, n), 0.01)
    period = float(rng.uniform(5, 7))
    phase = (_t(n) / period) % 1.0
    env = np.where(phase < 0.6, phase / 0.6, np.exp(-(phase - 0.6) * 6)).astype(np.float32)
    return base / (np.max(np.abs(base)) or 1) * (0.15 + 0.85 * env)


def city(seconds: float, rng: np.random.Generator) -> Any:
    """Traffic rumble and a distant horn now and then."""
    n = sample_index(seconds)
    rumble = _lowpass(_noise(rng, n), 0.005)
    out = rumble / (np.max(np.abs(rumble)) or 1) * 0.6
    for _ in range(max(1, int(seconds / 6))):
        s0 = int(rng.uniform(0, max(0.1, seconds - 1)) * SAMPLE_RATE)
        m = sample_index(0.4)
        if s0 + m < n:
            tt = _t(m)
            out[s0 : s0 + m] += 0.15 * np.sign(np.sin(2 * np.pi * 420 * tt)) * np.sin(np.pi * tt / 0.4)
    return out


def footsteps(seconds: float, rng: np.random.Generator) -> Any:
    """Soft thumps at a walking pace."""
    n = sample_index(seconds)
    out = np.zeros(n, dtype=np.float32)
    step = float(rng.uniform(0.45, 0.55))
    m = sample_index(0.08)
    thump = (_lowpass(_noise(rng, m), 0.1) * np.exp(-np.arange(m) / (0.02 * SAMPLE_RATE))).astype(np.float32)
    thump /= np.max(np.abs(thump)) or 1
    t = 0.1
    while t < seconds - 0.1:
        s0 = sample_index(t)
        if s0 + m < n:
            out[s0 : s0 + m] += thump * float(rng.uniform(0.6, 0.9))
        t += step
    return out


def drops(seconds: float, rng: np.random.Generator) -> Any:
    """Water drops: a sine whose pitch rises quickly, decaying ('plink')."""
    n = sample_index(seconds)
    out = np.zeros(n, dtype=np.float32)
    m = sample_index(0.15)
    tt = _t(m)
    t = 0.3
    while t < seconds - 0.2:
        f0 = float(rng.uniform(700, 1200))
        plink = np.sin(2 * np.pi * (f0 * tt + 2500 * tt**2)) * np.exp(-tt * 30)
        s0 = sample_index(t)
        if s0 + m < n:
            out[s0 : s0 + m] += plink * 0.7
        t += float(rng.uniform(0.8, 2.0))
    return out


def wings(seconds: float, rng: np.random.Generator) -> Any:
    """Flutter: noise bursts amplitude-modulated at a wingbeat rate."""
    n = sample_index(seconds)
    base = _lowpass(_noise(rng, n), 0.08)
    beat = np.abs(np.sin(2 * np.pi * 7 * _t(n))) ** 3
    burst = np.clip(np.sin(2 * np.pi * _t(n) / 3.0), 0, 1)
    return base / (np.max(np.abs(base)) or 1) * beat * (0.3 + 0.7 * burst)


SYNTHS: dict[str, Callable[[float, np.random.Generator], Any]] = {
    "birdsong": birdsong,
    "wind": wind,
    "rain": rain,
    "waves": waves,
    "city": city,
    "footsteps": footsteps,
    "drops": drops,
    "wings": wings,
}


def effects_for(description: str) -> list[str]:
    """The effects a shot description calls for, through the lexicon."""
    low = description.lower()
    table = lexicon.load("music")["effects"]
    found = []
    for name, words in table.items():
        for w in words:
            hit = re.search(rf"\b{re.escape(w)}", low) if w.isascii() else (w in low)
            if hit:
                found.append(name)
                break
    return found


def synthesize(name: str, seconds: float, seed: int) -> Any:
    """One effect as mono float samples of `seconds`, normalised to a peak of 1."""
    rng = np.random.default_rng(seed)
    x = SYNTHS[name](seconds, rng)
    n = sample_index(seconds)
    fade = min(sample_index(0.3), n // 4)
    if fade:
        x[:fade] *= np.linspace(0, 1, fade, dtype=np.float32)
        x[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
    return x / (np.max(np.abs(x)) or 1)
