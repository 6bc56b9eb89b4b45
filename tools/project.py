"""The shapes of a project, in one place: the script and its shots, the output settings, the
render plan, the render, the review and the version index, with every default defined once.

They are TypedDicts over plain JSON-like values, so a checkpoint stays readable by any process
(and by databases written before these types existed) while mypy checks every read and write."""

from __future__ import annotations

from typing import Any, Literal

from typing_extensions import TypedDict

# --- defaults, defined once --------------------------------------------------------------

MUSIC_GAIN_DB = -12.0
"""How far under the voice the music bed sits by default (dB)."""
EFFECTS_GAIN_DB = -16.0
"""How far under the voice the sound effects sit by default (dB)."""
TARGET_LUFS = -14.0
SAMPLE_RATE = 48000
"""The sample rate of every audio track (music, effects, narration, mix)."""


def sample_index(seconds: float) -> int:
    """The sample at `seconds`: the one rounding every audio position and length goes
    through, so spans computed from the same times always have the same number of samples."""
    return int(round(seconds * SAMPLE_RATE))


"""The master's integrated loudness (the streaming platforms' target)."""
LOUDNESS_TOLERANCE_LU = 1.0
"""How far the measured loudness may be from the target before the review reports it."""
TRUE_PEAK_MAX_DBTP = -1.0
"""The master's highest true peak."""
VOICE_MAX_SPEEDUP = 1.35
"""How much faster than natural the narration may be spoken to fit its shot."""
DEFAULT_MOOD = "warm"
"""The mood of a project whose request names none."""

Aspect = Literal["16:9", "9:16", "1:1"]
ShotType = Literal["close-up", "medium", "wide", "long", "aerial", "tracking"]


class Grade(TypedDict, total=False):
    """A shot's colour grading: 0 means untouched for the additive ones, 1 for the scales."""

    brightness: float
    contrast: float
    saturation: float
    temperature: float


NEUTRAL_GRADE: Grade = {"brightness": 0.0, "contrast": 1.0, "saturation": 1.0, "temperature": 0.0}


class StoredFile(TypedDict, total=False):
    """A file kept in the asset store: its content key and where it lies."""

    key: str
    path: str
    kind: str
    name: str


class Overlay(TypedDict, total=False):
    """Text drawn over a shot between two shot-relative times."""

    text: str
    kind: str
    position: str
    start: float
    end: float


class Shot(TypedDict, total=False):
    """One shot of the script."""

    id: str
    shot_type: str
    description: str
    camera: str
    motes: bool
    narration: str
    duration: float
    grade: Grade
    speed: float
    overlays: list[Overlay]
    effects: list[str]
    image: StoredFile
    drawn: list[dict[str, Any]]  # what the animatic draws for the description, word by word
    undrawn: list[str]  # the visible things the description names that it cannot draw


class Script(TypedDict, total=False):
    """The story: what the video says and shows, shot by shot."""

    title: str
    theme: str
    story: str
    synopsis: str
    mood: str
    language: str
    duration: float
    shots: list[Shot]
    next_id: int
    request: str
    genre: str
    subjects: list[str]


class Settings(TypedDict, total=False):
    """Output settings of a project: picture format, voice, music, captions, transitions."""

    aspect: str
    resolution: str
    fps: int
    voice: str
    voice_rate: float
    voice_max_speedup: float
    music: str
    music_file: StoredFile
    music_instrument: str
    music_tempo: float
    music_gain_db: float
    effects: str
    effects_gain_db: float
    master_offset_db: float
    captions: bool
    caption_scale: float
    transition: str
    transitions: dict[str, str]
    beat_sync: dict[str, Any]
    voiceover: dict[str, Any]
    """Set by a cut to the beat: {mode: beats|bars, tempo, downbeats: [seconds]}."""


DEFAULT_SETTINGS: Settings = {
    "aspect": "16:9",
    "resolution": "1080p",
    "fps": 24,
    "voice": "female",
    "voice_rate": 1.0,
    "music": DEFAULT_MOOD,
    "music_gain_db": MUSIC_GAIN_DB,
    "captions": True,
    "transition": "cut",
}


def new_settings(**overrides: Any) -> Settings:
    """The settings of a new project: the defaults with the run's choices over them."""
    settings: Settings = {**DEFAULT_SETTINGS}
    settings.update(overrides)  # type: ignore[typeddict-item]
    return settings


class NarrationLine(TypedDict, total=False):
    """A shot's spoken line as the storyboard timed it."""

    shot_id: str
    key: str
    path: str
    text: str
    start: float
    duration: float
    room: float
    overflow: float
    spoken: float


class ShotSpec(TypedDict, total=False):
    """Everything that determines a clip's pixels; its content hash is the clip key."""

    renderer: str
    description: str
    shot_type: str
    camera: str
    motes: bool
    mood: str
    width: int
    height: int
    fps: int
    frames: int
    seed: int
    caption: str
    captions: bool
    grade: Grade
    speed: float
    fade_in: float
    fade_out: float
    head: int
    caption_cue: list[float]
    caption_scale: float
    overlays: list[Overlay]
    tail: int
    image: str | None
    diffusion: dict[str, Any]
    pulses: list[int]
    flash: int
    sketch: bool
    talk: str


class PlanItem(TypedDict, total=False):
    """One shot of a render plan: where it sits on the timeline and what to render."""

    shot_id: str
    start: float
    end: float
    key: str
    spec: ShotSpec
    image_path: str | None
    line: NarrationLine | None


class ShotResult(TypedDict, total=False):
    """What rendering one planned shot produced."""

    key: str
    path: str
    cached: bool
    backend: dict[str, Any]
    seconds: float


class Render(TypedDict, total=False):
    """The rendered video of a version, with the assets it was made from."""

    path: str
    key: str
    srt: str
    stems: str
    mix: str
    master_key: str
    master: str
    version: str
    duration: float
    width: int
    height: int
    probe: dict[str, Any]
    narration: list[dict[str, Any]]
    music: str
    music_file: str | None
    effects: list[dict[str, Any]]
    backends: list[dict[str, Any]]
    picture: str
    picture_key: str
    clips: list[str]
    rendered: int
    cached: int


class Problem(TypedDict, total=False):
    """A defect the review found: a code, the shot (1-based, or None for the whole video), the
    measured values its sentence needs and the known fix (the sentences are in the catalogue)."""

    code: str
    shot: int | None
    values: dict[str, Any]
    fix: dict[str, Any]


class Review(TypedDict, total=False):
    """Computed scores of the script and measurements of the rendered media."""

    scores: dict[str, Any]
    overall: float
    story_flow: float
    delta: dict[str, float]
    problems: list[Problem]
    measured: dict[str, Any]
    critique: str
    version: str | None


class Gate(TypedDict, total=False):
    """The quality gate's rounds in this turn: fixes applied, and whether a re-check is due."""

    round: int
    fixed: list[dict[str, Any]]
    pending: bool


class VersionEntry(TypedDict, total=False):
    """One label of the version index: the checkpoint holding its final values, its parent
    label, its note and when it was made."""

    checkpoint_id: str | None
    parent: str | None
    note: str
    time: str
    order: int
    rendered: bool


class Choice(TypedDict):
    """A button under a reply: its label and the words it sends."""

    label: str
    send: str
