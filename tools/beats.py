"""Beats of a song, and cuts that land on them ("cut to the beat", 卡点).

The analysis is librosa's: an onset-strength envelope, its dynamic-programming beat tracker
(Ellis 2007) for the beats, and the onsets. Which beat of four starts a bar is the phase whose
beats carry the most onset strength (the downbeats: 'strong beats'). The song is laid from
the video's start and looped when it is shorter (as the mixer lays it), so the beats are too.

Cutting keeps the total length. `snap_cuts` moves each cut between shots to the nearest beat
within a tolerance, keeping every shot at least `MIN_SHOT` long; `bar_cuts` (a music video)
puts every cut on a downbeat, so each shot lasts whole bars, as close as it can to the shot
lengths the script had. Cut times are exact beat times, not rounded to a grid."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tools.errors import RequestError
from tools.ffmpeg import MediaError, decode_pcm

SAMPLE_RATE = 22050
HOP = 512  # 23 ms per onset frame at 22.05 kHz
MIN_SHOT = 1.0
"""The shortest shot a cut may leave (seconds)."""
MIN_BEATS = 4


class BeatError(RequestError):
    """A song whose beats cannot be found (silent, or no steady pulse)."""


@dataclass
class Beats:
    """A song's beats over the video's length: times in seconds from the video's start."""

    tempo: float
    beats: list[float]
    downbeats: list[float]
    onsets: list[float] = field(default_factory=list)
    song_seconds: float = 0.0

    def strong_between(self, start: float, end: float) -> list[float]:
        """The downbeats in [start, end)."""
        return [b for b in self.downbeats if start <= b < end]

    def as_dict(self) -> dict[str, object]:
        """Plain data for the project's settings (rounded to the millisecond)."""
        return {
            "tempo": round(self.tempo, 2),
            "beats": [round(b, 4) for b in self.beats],
            "downbeats": [round(b, 4) for b in self.downbeats],
        }


def decode(path: str | Path, seconds: float | None = None) -> np.ndarray:
    """The file's audio as mono float32 at SAMPLE_RATE."""
    try:
        return np.asarray(decode_pcm(path, SAMPLE_RATE, seconds))
    except MediaError as err:
        raise BeatError("audio_invalid", reason="unreadable") from err


def analyse(path: str | Path, seconds: float | None = None, max_song: float = 600.0) -> Beats:
    """The beats of the song at `path` laid over `seconds` of video (looped when shorter);
    raises BeatError for a silent or pulseless song."""
    import librosa

    y = decode(path, max_song)
    song = len(y) / SAMPLE_RATE
    if song < 1.0 or float(np.max(np.abs(y), initial=0.0)) < 1e-3:
        raise BeatError("beats_silent")
    envelope = librosa.onset.onset_strength(y=y, sr=SAMPLE_RATE, hop_length=HOP)
    tempo, frames = librosa.beat.beat_track(
        onset_envelope=envelope, sr=SAMPLE_RATE, hop_length=HOP, trim=True, units="frames"
    )
    if len(frames) < MIN_BEATS:
        raise BeatError("beats_none")
    onset_frames = librosa.onset.onset_detect(
        onset_envelope=envelope, sr=SAMPLE_RATE, hop_length=HOP, backtrack=True
    )
    times = refine(librosa.frames_to_time(frames, sr=SAMPLE_RATE, hop_length=HOP), y)
    onsets = librosa.frames_to_time(onset_frames, sr=SAMPLE_RATE, hop_length=HOP)
    strength = loudness(y, times)
    phase = int(np.argmax([strength[p::4].mean() if len(strength[p::4]) else 0.0 for p in range(4)]))
    beats, downs = list(map(float, times)), [float(t) for i, t in enumerate(times) if i % 4 == phase]
    if seconds and seconds > song:  # the mixer loops a short song: so do its beats
        loops = int(np.ceil(seconds / song))
        beats = [b + k * song for k in range(loops) for b in beats]
        downs = [b + k * song for k in range(loops) for b in downs]
    limit = seconds if seconds else song
    period = float(np.median(np.diff(times))) if len(times) > 1 else 60.0 / float(np.atleast_1d(tempo)[0])
    return Beats(
        60.0 / period,  # from the beats found (the tracker's own estimate is on a coarse grid)
        [b for b in beats if b < limit],
        [b for b in downs if b < limit],
        [float(o) for o in onsets if o < limit],
        song,
    )


def refine(beats: np.ndarray, y: np.ndarray, window: float = 0.04) -> np.ndarray:
    """Each tracked beat moved onto its attack: within `window` seconds either side, the first
    sample whose smoothed level reaches half the window's peak, when the peak stands well above
    where the window starts (an attack, not a held note). The tracker's beats sit on its
    23 ms frame grid; this puts them on the sample."""
    out = beats.astype(float).copy()
    half = int(window * SAMPLE_RATE)
    level = np.convolve(np.abs(y), np.ones(44) / 44, mode="same")  # 2 ms smoothing
    for i, b in enumerate(beats):
        c = int(b * SAMPLE_RATE)
        lo, hi = max(0, c - half), min(len(level), c + half)
        if hi - lo < 8:
            continue
        part = level[lo:hi]
        peak = float(part.max())
        if peak <= 0 or peak < 3 * float(part[: max(1, len(part) // 8)].mean()):
            continue
        out[i] = (lo + int(np.argmax(part >= peak / 2))) / SAMPLE_RATE
    return out


def loudness(y: np.ndarray, times: np.ndarray, span: float = 0.06) -> np.ndarray:
    """Each beat's strength: the RMS level of the `span` seconds from its attack (a downbeat's
    kick or accent is the loudest of its bar; the onset envelope, on a log scale from silence,
    hardly tells an accent from a plain beat)."""
    width = int(span * SAMPLE_RATE)
    out = []
    for t in times:
        a = int(t * SAMPLE_RATE)
        part = y[a : a + width]
        out.append(float(np.sqrt(np.mean(part**2))) if len(part) else 0.0)
    return np.asarray(out)


def _cuts(durations: list[float]) -> tuple[list[float], float]:
    ends, t = [], 0.0
    for d in durations:
        t += float(d)
        ends.append(t)
    return ends[:-1], t


def _lengths(cuts: list[float], total: float) -> list[float]:
    """Shot lengths from cut times; the last takes what is left, so the total is exact."""
    edges = [0.0, *cuts, total]
    return [round(b - a, 6) for a, b in zip(edges, edges[1:], strict=False)]  # printed as measured


def snap_cuts(durations: list[float], beats: list[float], tolerance: float | None = None) -> list[float]:
    """Shot lengths whose cuts land on the nearest beat within `tolerance` seconds (default: half
    a beat, so every cut finds one), in order, each shot at least MIN_SHOT; the total is kept.
    A cut with no beat in reach stays where it was."""
    cuts, total = _cuts(durations)
    if not cuts or not beats:
        return [float(d) for d in durations]
    period = float(np.median(np.diff(beats))) if len(beats) > 1 else 0.5
    reach = tolerance if tolerance is not None else period / 2 + 1e-6
    grid = np.asarray(beats)
    placed: list[float] = []
    for k, cut in enumerate(cuts):
        low = (placed[-1] if placed else 0.0) + MIN_SHOT
        high = total - MIN_SHOT * (len(cuts) - k)
        fits = grid[(grid >= low - 1e-9) & (grid <= high + 1e-9) & (np.abs(grid - cut) <= reach)]
        if len(fits):
            placed.append(float(fits[np.argmin(np.abs(fits - cut))]))
        else:
            placed.append(min(max(cut, low), high))
    return _lengths(placed, total)


def bar_cuts(durations: list[float], downbeats: list[float], beats: list[float] | None = None) -> list[float]:
    """Shot lengths in whole bars: every cut on a downbeat, chosen (by dynamic programming) to
    stay closest to the script's cuts with every shot at least MIN_SHOT; the total is kept.
    With fewer downbeats than cuts, the beats are used instead."""
    cuts, total = _cuts(durations)
    grid = [d for d in downbeats if MIN_SHOT <= d <= total - MIN_SHOT]
    if len(grid) < len(cuts) and beats:
        grid = [b for b in beats if MIN_SHOT <= b <= total - MIN_SHOT]
    if not cuts or len(grid) < len(cuts):
        return snap_cuts(durations, beats or downbeats)
    n, m = len(cuts), len(grid)
    inf = float("inf")
    cost = [[inf] * m for _ in range(n)]
    back = [[-1] * m for _ in range(n)]
    for j in range(m):
        if grid[j] >= MIN_SHOT:
            cost[0][j] = (grid[j] - cuts[0]) ** 2
    for i in range(1, n):
        best, arg = inf, -1
        lo = 0
        for j in range(m):
            while lo < j and grid[j] - grid[lo] >= MIN_SHOT:  # candidates at least MIN_SHOT before
                if cost[i - 1][lo] < best:
                    best, arg = cost[i - 1][lo], lo
                lo += 1
            if arg >= 0:
                cost[i][j] = best + (grid[j] - cuts[i]) ** 2
                back[i][j] = arg
    last = [j for j in range(m) if total - grid[j] >= MIN_SHOT and cost[n - 1][j] < inf]
    if not last:
        return snap_cuts(durations, beats or downbeats)
    j = min(last, key=lambda j: cost[n - 1][j])
    chosen = [j]
    for i in range(n - 1, 0, -1):
        j = back[i][j]
        chosen.append(j)
    return _lengths([grid[j] for j in reversed(chosen)], total)


def click_track(path: Path, bpm: float, seconds: float, start: float = 0.0, accent: int = 4) -> list[float]:
    """A click track (for tests and the benchmark): a short 1.5 kHz click on every beat, louder
    on every `accent`-th, from `start`; returns the click times."""
    from tools.music import write_wav

    sr = 48_000
    n = int(seconds * sr)
    out = np.zeros(n, dtype=np.float32)
    period, t, times, i = 60.0 / bpm, start, [], 0
    click = np.sin(2 * np.pi * 1500 * np.arange(int(0.03 * sr)) / sr) * np.exp(
        -np.arange(int(0.03 * sr)) / 200
    )
    while t < seconds - 0.05:
        a = int(t * sr)
        gain = 0.9 if i % accent == 0 else 0.45
        out[a : a + len(click)] += (gain * click).astype(np.float32)[: n - a]
        times.append(t)
        t, i = start + (i + 1) * period, i + 1
    write_wav(np.stack([out, out], axis=1), path)
    return times
