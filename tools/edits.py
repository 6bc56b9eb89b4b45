"""The edit operations, as a registry: each has a name, typed parameters with their bounds and
units, and an `apply` that returns a new script and new settings (its inputs stay as they were),
the shots it touched and what the reply needs. The editor, the help text and the LLM decision
schema are all made from this registry."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from tools import catalog, lexicon
from tools.effects import EFFECTS, effects_for
from tools.errors import RequestError
from tools.project import DEFAULT_MOOD, MUSIC_GAIN_DB, NEUTRAL_GRADE, Grade, Script, Settings, Shot
from tools.renderer import TRANSITIONS
from tools.scripts import set_shot_duration


@dataclass(frozen=True)
class Param:
    """One parameter of an operation. `type` is 'number', 'integer', 'text', 'flag', 'choice'
    (one of `choices`), 'choices' (several of them), 'shots' (1-based shot numbers) or 'file'
    (a path the editor stores in the asset store's `folder` first)."""

    name: str
    type: str
    description: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    folder: str = ""


@dataclass(frozen=True)
class Level:
    """A number of the project that an operation moves and keeps within [low, high]: a key of
    each shot's grade ('grade.brightness'), of each shot ('speed') or of the settings."""

    key: str
    low: float
    high: float
    neutral: float
    unit: str = ""

    @property
    def per_shot(self) -> bool:
        """Whether each shot has its own value (else the settings hold one)."""
        return self.key.startswith("grade.") or self.key == "speed"

    def read(self, script: Script, settings: Settings) -> list[float]:
        """The current value: one per shot, or the one of the settings."""
        if not self.per_shot:
            return [float(_plain(settings).get(self.key, self.neutral))]
        name = self.key.removeprefix("grade.")
        return [
            float(_plain(shot.get("grade") or {}).get(name, self.neutral))
            if self.key.startswith("grade.")
            else float(shot.get("speed", self.neutral))
            for shot in script["shots"]
        ]

    def hold(self, wanted: float, places: int) -> tuple[float, bool]:
        """`wanted` rounded and held within the bounds, and whether the bounds held it."""
        value = round(min(self.high, max(self.low, wanted)), places)
        return value, value != round(wanted, places)


@dataclass
class EditResult:
    """What an operation made: the new script and settings, the shots whose content changed
    (1-based), whether a value was held at a bound, and the details the reply needs."""

    script: Script
    settings: Settings
    touched: list[int] = field(default_factory=list)
    clamped: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


SHOTS = Param("shots", "shots", "the shots to change, 1-based; none means every shot")
ONE_SHOT = Param("shots", "shots", "the shot to change, 1-based")
AMOUNT = Param(
    "amount", "number", "relative change: 0.2 is 20% more, -0.2 is 20% less", "fraction", -1.0, 3.0
)
TEXT = Param("text", "text", "the words, as the user gave them")
ENABLED = Param("enabled", "flag", "true to turn on, false to turn off")
POSITION = Param(
    "position",
    "choice",
    "where on the picture",
    choices=("top-left", "top-right", "bottom-left", "bottom-right", "top", "bottom", "center"),
)
START = Param("start", "number", "when the text appears, from the start of its shot", "s", 0.0, 180.0)
END = Param("end", "number", "when the text disappears, from the start of its shot", "s", 0.0, 180.0)
REMOVE = Param("remove", "flag", "true to remove the texts of the shots instead")

STEP = 0.15
"""The relative amount of a change asked for without one ('brighter')."""
LOOKS: dict[str, dict[str, float]] = {
    "bw": {"saturation": 0.0},
    "vintage": {"saturation": 0.7, "temperature": 0.3, "contrast": 0.9},
    "cinematic": {"contrast": 1.15, "saturation": 0.9, "temperature": -0.1},
    "soft": {"contrast": 0.9, "brightness": 0.03},
}
LEVELS: dict[str, Level] = {
    level.key: level
    for level in (
        Level("grade.brightness", -0.5, 0.5, NEUTRAL_GRADE["brightness"]),
        Level("grade.contrast", 0.5, 2.0, NEUTRAL_GRADE["contrast"], "×"),
        Level("grade.saturation", 0.0, 2.5, NEUTRAL_GRADE["saturation"], "×"),
        Level("grade.temperature", -1.0, 1.0, NEUTRAL_GRADE["temperature"]),
        Level("speed", 0.5, 2.0, 1.0, "×"),
        Level("caption_scale", 0.6, 1.8, 1.0, "×"),
        Level("music_gain_db", -30.0, 0.0, MUSIC_GAIN_DB, "dB"),
        Level("music_tempo", 0.6, 1.6, 1.0, "×"),
        Level("voice_rate", 0.7, 1.4, 1.0, "×"),
        Level("fps", 12, 60, 24, "fps"),
    )
}


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """A typed dict read by a key only known at run time."""
    return dict(values)


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _targets(script: Script, params: dict[str, Any]) -> list[int]:
    """The 0-based indices of the shots named in params, or of every shot."""
    count = len(script["shots"])
    named = [int(n) for n in params.get("shots") or []]
    bad = [n for n in named if not 1 <= n <= count]
    if bad:
        raise RequestError("bad_shot", bad_shots=bad, count=count)
    return [n - 1 for n in named] or list(range(count))


def _where(script: Script, params: dict[str, Any]) -> tuple[list[int], dict[str, Any]]:
    """The target indices and the reply's part about them."""
    targets = _targets(script, params)
    return targets, {"targets": [i + 1 for i in targets], "all": not params.get("shots")}


def level_change(level: Level, script: Script, settings: Settings, work: EditResult) -> dict[str, Any] | None:
    """The level's values before and after an edit, read from the project (the target shots'
    values for a per-shot level), or None when the edit did not touch it."""
    before, after = level.read(script, settings), level.read(work.script, work.settings)
    if level.per_shot:
        shots = [n - 1 for n in work.detail.get("targets") or []] or list(range(len(before)))
        before, after = [before[i] for i in shots], [after[i] for i in shots]
    if before == after and not work.clamped:
        return None
    return {"key": level.key.removeprefix("grade."), "unit": level.unit, "before": before, "after": after}


class Operation:
    """An edit operation: its name, its group in the help, its parameters and, for one that
    moves a number, the level it moves. Subclasses implement `edit` on copies."""

    name: str
    group: str
    params: tuple[Param, ...] = ()
    level: Level | None = None

    def apply(self, script: Script, settings: Settings, params: dict[str, Any]) -> EditResult:
        """This edit with `params` on copies of `script` and `settings`; raises RequestError
        when it cannot apply, leaving the inputs as they were."""
        work = EditResult(copy.deepcopy(script), copy.deepcopy(settings))
        self.edit(work, params)
        if self.level is not None:
            change = level_change(self.level, script, settings, work)
            if change:
                work.detail["change"] = change
        return work

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Change `work` in place."""
        raise NotImplementedError

    def direction(self, params: dict[str, Any]) -> int:
        """+1 when params ask for more of the level, -1 for less, 0 for neither."""
        return _sign(float(params.get("amount", STEP)))


@dataclass(frozen=True)
class GradeOperation(Operation):
    """Brightness, contrast, saturation or colour temperature of shots, by a relative amount."""

    name: str
    key: str
    scale: bool
    step: float = 1.0
    group: str = "picture"
    params: tuple[Param, ...] = (SHOTS, AMOUNT)

    @property
    def level(self) -> Level:  # type: ignore[override]
        """The grade value this operation moves."""
        return LEVELS[f"grade.{self.key}"]

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Move the grade value of each target shot by the amount, within its bounds."""
        targets, work.detail = _where(work.script, params)
        amount = float(params.get("amount", STEP))
        for i in targets:
            grade = dict(_plain(work.script["shots"][i].get("grade") or {}))
            old = float(grade.get(self.key, self.level.neutral))
            wanted = old * (1 + amount) if self.scale else old + amount * self.step
            grade[self.key], clamped = self.level.hold(wanted, 3)
            work.script["shots"][i]["grade"] = cast(Grade, grade)
            work.clamped = work.clamped or clamped
        work.touched = [i + 1 for i in targets]


class LookOperation(Operation):
    """A named look (black and white, vintage, cinematic, soft) on shots."""

    name = "look"
    group = "picture"
    params = (SHOTS, Param("look", "choice", "the look", choices=tuple(LOOKS)))

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Set the look's grade values on each target shot."""
        look = str(params.get("look") or "soft")
        if look not in LOOKS:
            raise RequestError("not_yet", feature=look)
        targets, work.detail = _where(work.script, params)
        for i in targets:
            shot = work.script["shots"][i]
            shot["grade"] = cast(Grade, {**(shot.get("grade") or {}), **LOOKS[look]})
        work.touched = [i + 1 for i in targets]


class ImageOperation(Operation):
    """An uploaded picture as one shot's image."""

    name = "image"
    group = "picture"
    params = (
        ONE_SHOT,
        Param("image", "file", "the uploaded image", folder="images"),
        Param("sketch", "flag", "the image is a drawing, animated as an element of the shot"),
    )

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Give the named shot the stored image (a sketch: its drawn element)."""
        if not params.get("shots") or not params.get("image"):
            raise RequestError("which_shot_image")
        targets, work.detail = _where(work.script, params)
        for i in targets:
            stored = dict(params["image"])
            if params.get("sketch"):
                stored["kind"] = "sketch"
            work.script["shots"][i]["image"] = stored  # type: ignore[typeddict-item]
        work.touched = [i + 1 for i in targets]
        work.detail["value"] = "sketch" if params.get("sketch") else None


class NarrationOperation(Operation):
    """New narration text for a shot (empty text: no narration)."""

    name = "narration"
    group = "words"
    params = (ONE_SHOT, TEXT)

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Replace the narration of the named shots; an empty text with no shot named takes
        the narration out of every shot ('把旁白去掉，只留音乐', 'no narration')."""
        if not params.get("shots") and str(params.get("text") or ""):
            raise RequestError("which_shot")
        targets, work.detail = _where(work.script, params)
        for i in targets:
            work.script["shots"][i]["narration"] = str(params.get("text") or "")
        work.touched = [i + 1 for i in targets]


class VoiceOperation(Operation):
    """The narrator's voice and speaking rate."""

    name = "voice"
    group = "sound"
    level: Level = LEVELS["voice_rate"]
    params = (
        Param("voice", "choice", "the narrator's voice", choices=("female", "male")),
        Param("rate", "number", "change of speaking rate: 0.15 faster, -0.15 slower", "×", -0.5, 0.5),
    )

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Set the voice and move the rate, within its bounds."""
        if params.get("voice") is None and params.get("rate") is None:
            raise RequestError("which_voice")
        if params.get("voice") is not None:
            work.settings["voice"] = str(params["voice"])
        if params.get("rate") is not None:
            old = float(work.settings.get("voice_rate", 1.0))
            work.settings["voice_rate"], work.clamped = self.level.hold(old + float(params["rate"]), 2)
        work.detail = {"value": params.get("voice")}

    def direction(self, params: dict[str, Any]) -> int:
        """Faster or slower speech."""
        return _sign(float(params.get("rate") or 0.0))


class SpeedOperation(Operation):
    """Playback speed of shots; a slowed shot lasts longer (a faster one shorter) so it shows
    the same action, and the other shots give or take the time, so the total holds."""

    name = "speed"
    group = "picture"
    level: Level = LEVELS["speed"]
    params = (SHOTS, AMOUNT)

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Change the speed of the target shots and retime the script."""
        targets, work.detail = _where(work.script, params)
        before = [(float(s.get("speed", 1.0)), float(s["duration"])) for s in work.script["shots"]]
        for i in targets:
            old = before[i][0]
            shot = work.script["shots"][i]
            shot["speed"], clamped = self.level.hold(old * (1 + float(params.get("amount", STEP))), 3)
            work.clamped = work.clamped or clamped
        if len(targets) < len(work.script["shots"]):
            for i in targets:
                self._retime(work, i, before[i][0])
        retimed = [
            i for i, s in enumerate(work.script["shots"]) if abs(float(s["duration"]) - before[i][1]) >= 0.05
        ]
        work.detail["moved"] = [
            [i + 1, before[i][1], float(work.script["shots"][i]["duration"])] for i in retimed
        ]
        work.touched = sorted({i + 1 for i in [*targets, *retimed]})

    @staticmethod
    def _retime(work: EditResult, index: int, old_speed: float) -> None:
        """Give shot `index` the length that shows its action at its new speed, when the others
        can take up the difference."""
        shot = work.script["shots"][index]
        seconds = round(float(shot["duration"]) * old_speed / float(shot["speed"]), 1)
        if abs(seconds - float(shot["duration"])) < 0.1:
            return
        try:
            fresh = set_shot_duration({**work.script}, index, seconds)
        except RequestError:  # the others cannot give the time: keep the lengths
            return
        work.script["shots"] = fresh["shots"]


@dataclass(frozen=True)
class TextOperation(Operation):
    """A title card or a text overlay on a shot, between two shot-relative times, or the
    removal of a shot's texts."""

    name: str
    kind: str
    position: str
    span: tuple[float, float] | None
    group: str = "words"
    params: tuple[Param, ...] = (SHOTS, TEXT, POSITION, START, END, REMOVE)

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Add the text to (or remove the texts from) the target shots; an overlay given a
        time on the video's timeline goes to the shot playing then."""
        if not params.get("remove") and not params.get("text"):
            raise RequestError("what_text")
        params = dict(params)
        if not params.get("shots") and params.get("start") is not None and self.kind == "text":
            params.update(locate(work.script, float(params["start"]), params.get("end")))
        elif not params.get("shots"):
            params["shots"] = [1]
        targets, work.detail = _where(work.script, params)
        for i in targets:
            shot = work.script["shots"][i]
            if params.get("remove"):
                shot.pop("overlays", None)
                continue
            length = float(shot["duration"])
            default_start, default_end = self.span or (0.0, length)
            asked_start = default_start if params.get("start") is None else float(params["start"])
            asked_end = default_end if params.get("end") is None else float(params["end"])
            start = max(0.0, min(asked_start, length - 0.5))
            end = min(length, asked_end)
            work.clamped = work.clamped or start != asked_start or end != asked_end
            overlay = {
                "text": str(params["text"]),
                "kind": self.kind,
                "position": str(params.get("position") or self.position),
                "start": round(start, 2),
                "end": round(max(end, start + 0.5), 2),
            }
            shot["overlays"] = [*shot.get("overlays", []), overlay]  # type: ignore[list-item]
        work.touched = [i + 1 for i in targets]

    def direction(self, params: dict[str, Any]) -> int:
        """A text moves no level."""
        return 0


def locate(script: Script, start: float, end: float | None) -> dict[str, Any]:
    """A time span on the video's timeline as the shot playing at its start and times relative
    to that shot."""
    stop = start + 3 if end is None else float(end)
    t = 0.0
    for i, shot in enumerate(script["shots"]):
        d = float(shot["duration"])
        if start < t + d:
            return {"shots": [i + 1], "start": round(start - t, 2), "end": round(min(stop, t + d) - t, 2)}
        t += d
    return {"shots": [len(script["shots"])], "start": 0.0, "end": 3.0}


class SubtitlesOperation(Operation):
    """Subtitles on or off."""

    name = "subtitles"
    group = "words"
    params = (ENABLED,)

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Turn the captions on or off."""
        work.settings["captions"] = bool(params.get("enabled", True))
        work.detail = {"value": work.settings["captions"]}


class SubtitleSizeOperation(Operation):
    """Subtitles bigger or smaller (which also turns them on)."""

    name = "subtitle_size"
    group = "words"
    level: Level = LEVELS["caption_scale"]
    params = (Param("scale", "number", "size factor: 1.25 bigger, 0.8 smaller", "×", 0.5, 2.0),)

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Scale the captions, within their bounds."""
        old = float(work.settings.get("caption_scale", 1.0))
        work.settings["caption_scale"], work.clamped = self.level.hold(
            old * float(params.get("scale", 1.25)), 2
        )
        work.settings["captions"] = True
        work.detail = {"clamped": work.clamped}

    def direction(self, params: dict[str, Any]) -> int:
        """Bigger or smaller."""
        return _sign(float(params.get("scale", 1.25)) - 1)


class AspectOperation(Operation):
    """The picture's aspect ratio."""

    name = "aspect"
    group = "format"
    params = (Param("aspect", "choice", "width:height", choices=("16:9", "9:16", "1:1")),)

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Set the aspect ratio."""
        aspect = str(params.get("aspect") or "")
        if aspect not in self.params[0].choices:
            raise RequestError("bad_format", value=aspect)
        work.settings["aspect"] = aspect
        work.detail = {"value": aspect}


class ResolutionOperation(Operation):
    """The picture's resolution and frame rate."""

    name = "resolution"
    group = "format"
    params = (
        Param("resolution", "choice", "the picture's height", choices=("720p", "1080p", "2160p")),
        Param("fps", "integer", "frames per second", "fps", LEVELS["fps"].low, LEVELS["fps"].high),
    )

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Set the resolution and the frame rate (a rate outside the bounds is refused)."""
        if params.get("resolution") is not None:
            if params["resolution"] not in self.params[0].choices:
                raise RequestError("bad_format", value=params["resolution"])
            work.settings["resolution"] = str(params["resolution"])
        if params.get("fps") is not None:
            fps = LEVELS["fps"]
            if not fps.low <= int(params["fps"]) <= fps.high:
                raise RequestError("bad_fps", value=params["fps"])
            work.settings["fps"] = int(params["fps"])
        work.detail = {"value": f"{work.settings.get('resolution')} {work.settings.get('fps')}fps"}


class TransitionOperation(Operation):
    """The transition between all shots, or at one boundary."""

    name = "transition"
    group = "format"
    params = (
        Param("shots", "shots", "two neighbouring shots, or the shot after the boundary; none: all"),
        Param("transition", "choice", "the kind of transition", choices=TRANSITIONS),
    )

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Set the transition everywhere, or at the boundary the shots name."""
        kind = str(params.get("transition") or "fade")
        if kind not in TRANSITIONS:
            raise RequestError("not_yet", feature=kind)
        shots = sorted(int(n) for n in params.get("shots") or [])
        if not shots:
            work.settings["transition"] = kind
            work.settings.pop("transitions", None)
            work.detail = {"value": kind}
            return
        # "between shot 1 and 2" -> the boundary after 1; "before shot 3" -> after 2.
        after = shots[0] if len(shots) > 1 else max(1, shots[0] - 1)
        count = len(work.script["shots"])
        if after >= count:
            raise RequestError("no_boundary", count=count)
        work.settings["transitions"] = {**(work.settings.get("transitions") or {}), str(after): kind}
        work.detail = {"value": kind, "boundary": [after, after + 1]}


class MusicOperation(Operation):
    """The music bed: a mood, an instrument, a tempo, or the user's own file."""

    name = "music"
    group = "sound"
    level: Level = LEVELS["music_tempo"]
    params = (
        Param("mood", "choice", "the music's mood", choices=tuple(lexicon.load("music")["moods"])),
        Param(
            "instrument",
            "choice",
            "the lead instrument",
            choices=tuple(lexicon.load("music")["instrument_words"]),
        ),
        Param("tempo", "number", "tempo factor: 1.2 faster, 0.85 slower", "×", 0.5, 2.0),
        Param("upload_path", "file", "the user's own music file", folder="uploads"),
    )

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Use the stored file, or change the mood, instrument and tempo."""
        settings = work.settings
        if params.get("upload_path"):
            settings["music"] = "upload"
            settings["music_file"] = dict(params["upload_path"])  # type: ignore[typeddict-item]
            work.detail = {"value": "upload"}
            return
        if not (params.get("mood") or params.get("instrument") or params.get("tempo")):
            raise RequestError("which_music")
        if params.get("mood"):
            settings["music"] = str(params["mood"])
        elif settings.get("music") in ("off", "upload"):
            settings["music"] = DEFAULT_MOOD
        if params.get("instrument"):
            settings["music_instrument"] = str(params["instrument"])
        if params.get("tempo"):
            old = float(settings.get("music_tempo", 1.0))
            settings["music_tempo"], work.clamped = self.level.hold(old * float(params["tempo"]), 2)
        work.detail = {
            "value": settings["music"] if params.get("mood") else None,
            "instrument": params.get("instrument"),
        }

    def direction(self, params: dict[str, Any]) -> int:
        """A faster or slower tempo."""
        return _sign(float(params.get("tempo") or 1.0) - 1)


class MusicOffOperation(Operation):
    """No music."""

    name = "music_off"
    group = "sound"

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Turn the music off."""
        work.settings["music"] = "off"
        work.detail = {}


class VolumeOperation(Operation):
    """How loud the music sits under the voice; a louder narration is a softer bed."""

    name = "volume"
    group = "sound"
    level: Level = LEVELS["music_gain_db"]
    params = (
        AMOUNT,
        Param("target", "choice", "what gets louder or softer", choices=("music", "narration")),
    )
    DB_PER_UNIT = 20.0
    """dB of music gain per unit of amount (0.25 -> 5 dB)."""

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Move the music gain by the amount, within its bounds."""
        old = float(work.settings.get("music_gain_db", self.level.neutral))
        wanted = old + self._bed(params) * self.DB_PER_UNIT * float(params.get("amount", 0.25))
        work.settings["music_gain_db"], work.clamped = self.level.hold(wanted, 1)
        work.detail = {"target": params.get("target") or "music", "clamped": work.clamped}

    @staticmethod
    def _bed(params: dict[str, Any]) -> int:
        """+1 when a louder target means a louder music bed, -1 when it means a softer one."""
        return -1 if params.get("target") == "narration" else 1

    def direction(self, params: dict[str, Any]) -> int:
        """The music gain's direction."""
        return self._bed(params) * _sign(float(params.get("amount", 0.25)))


class BeatCutOperation(Operation):
    """Cuts on the music's beat (卡点): each cut between shots moves to the nearest beat, or, as a
    music video, every shot lasts whole bars; the total length is kept. The beats come measured
    (`beat_grid`, by the editor from the music bed: the song given with the request, the song
    already set, or the composed bed); the strong beats stay in the settings for the camera
    pulses and the flashes on the cut."""

    name = "beat_cut"
    group = "sound"
    params = (
        Param(
            "mode",
            "choice",
            "'beats': each cut on the nearest beat; 'bars': a music video, every shot whole bars",
            choices=("beats", "bars"),
        ),
        Param("upload_path", "file", "the song to cut to", folder="uploads"),
        Param("beat_grid", "analysis", "the beats of the music bed, measured by the editor"),
    )

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Retime the shots onto the beats and keep the beats for the renderer."""
        from tools.beats import bar_cuts, snap_cuts

        grid = params.get("beat_grid")
        if not grid:
            raise RequestError("beat_no_music")
        mode = "bars" if params.get("mode") == "bars" else "beats"
        shots = work.script["shots"]
        before = [float(s["duration"]) for s in shots]
        if mode == "bars":
            after = bar_cuts(before, list(grid["downbeats"]), list(grid["beats"]))
        else:
            after = snap_cuts(before, list(grid["beats"]))
        for shot, seconds in zip(shots, after, strict=True):
            shot["duration"] = seconds
        if params.get("upload_path"):
            work.settings["music"] = "upload"
            work.settings["music_file"] = dict(params["upload_path"])  # type: ignore[typeddict-item]
        work.settings["beat_sync"] = {
            "mode": mode,
            "tempo": grid["tempo"],
            "downbeats": list(grid["downbeats"]),
        }
        cuts, t = [], 0.0
        for seconds in after[:-1]:
            t += seconds
            cuts.append(round(t, 3))
        work.touched = [
            i + 1 for i, (a, b) in enumerate(zip(before, after, strict=True)) if abs(a - b) > 1e-6
        ]
        work.detail = {"mode": mode, "tempo": grid["tempo"], "cuts": cuts, "retimed": len(work.touched)}


class VoiceoverOperation(Operation):
    """The user's own recording as the narration in place of the synthesised voice (it plays
    from the start; each shot speaks the part inside its time, and the subtitles follow the
    speech), or the synthesised voice again. The words the recording says, when a
    speech-to-text provider heard them (`heard`, by the editor), become the subtitles."""

    name = "voiceover"
    group = "sound"
    params = (
        Param("upload_path", "file", "the user's recording to narrate with", folder="uploads"),
        ENABLED,
        Param("heard", "analysis", "the recording's words with their times, from speech to text"),
    )

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Set the recording (with the words heard in it), or take it out."""
        if params.get("upload_path"):
            own: dict[str, Any] = dict(params["upload_path"])
            if params.get("heard"):
                own["words"] = list(params["heard"])
            work.settings["voiceover"] = own
            work.detail = {"value": "recording"}
            return
        if params.get("enabled") is False:
            work.settings.pop("voiceover", None)  # type: ignore[misc]
            work.detail = {"value": "synthesised"}
            return
        raise RequestError("which_recording")


class EffectsOperation(Operation):
    """Sound effects on or off, or named effects added to or removed from shots."""

    name = "effects"
    group = "sound"
    params = (
        SHOTS,
        Param("effects", "choices", "the named effects; none means all effects", choices=EFFECTS),
        ENABLED,
    )

    def edit(self, work: EditResult, params: dict[str, Any]) -> None:
        """Change the effects setting or the target shots' effect lists."""
        names, enabled = list(params.get("effects") or []), bool(params.get("enabled", True))
        targets = _targets(work.script, params)
        shots, settings = work.script["shots"], work.settings
        settings["effects"] = "auto" if enabled or names or params.get("shots") else "off"
        work.detail = {"targets": [i + 1 for i in targets]}
        if not names:  # every effect on (as the descriptions call for) or off
            on_off = "on" if enabled else "off"
            work.detail["value"] = on_off if params.get("shots") else settings["effects"]
            for i in targets:
                if enabled:
                    shots[i].pop("effects", None)
                elif params.get("shots"):
                    shots[i]["effects"] = []
            work.touched = [i + 1 for i in targets] if enabled or params.get("shots") else []
            return
        for i in targets:
            current = _effects_of(shots[i])
            if enabled:
                shots[i]["effects"] = current + [n for n in names if n not in current]
            else:
                shots[i]["effects"] = [n for n in current if n not in names]
        work.detail.update(value=",".join(names), added=enabled)
        work.touched = [i + 1 for i in targets]


def _effects_of(shot: Shot) -> list[str]:
    """A shot's effect list: its own, or what its description calls for."""
    own = shot.get("effects")
    return list(own) if own is not None else effects_for(shot.get("description", ""))


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        GradeOperation("brightness", "brightness", scale=False, step=0.5),
        GradeOperation("contrast", "contrast", scale=True),
        GradeOperation("saturation", "saturation", scale=True),
        GradeOperation("temperature", "temperature", scale=False, step=2.0),
        LookOperation(),
        SpeedOperation(),
        ImageOperation(),
        TextOperation("title", "title", "center", (0.0, 3.0)),
        TextOperation("overlay", "text", "top", None),
        SubtitlesOperation(),
        SubtitleSizeOperation(),
        NarrationOperation(),
        AspectOperation(),
        ResolutionOperation(),
        TransitionOperation(),
        MusicOperation(),
        MusicOffOperation(),
        VolumeOperation(),
        VoiceOperation(),
        EffectsOperation(),
        BeatCutOperation(),
        VoiceoverOperation(),
    )
}
"""Every edit operation by name."""
GROUPS = ("picture", "words", "format", "sound")
"""The help's groups of operations, in the order the help lists them."""


def operation_for(slots: dict[str, Any]) -> str:
    """The registry's name for the router's slots: the offline router names narration, subtitle
    and title changes by family, and the slots tell which operation of the family is meant."""
    op = str(slots.get("operation") or "")
    if op == "narration" and "text" not in slots:
        return "voice"
    if op == "subtitles" and "scale" in slots:
        return "subtitle_size"
    if op == "title" and slots.get("kind") == "text" and not slots.get("remove"):
        return "overlay"
    return op


def lookup(name: str) -> Operation:
    """The registered operation `name`; an unknown name is a request we do not support."""
    if name not in OPERATIONS:
        raise RequestError("not_yet", feature=name)
    return OPERATIONS[name]


def decision_params() -> dict[str, Param]:
    """Every parameter any operation takes, by name, for the LLM decision schema (files are
    attached by the user, never named by the model). A name means one thing across operations."""
    found: dict[str, Param] = {}
    for op in OPERATIONS.values():
        for param in op.params:
            if param.type in ("file", "analysis") or param.name == "shots":
                continue
            known = found.setdefault(param.name, param)
            if (known.type, known.low, known.high, known.choices) != (
                param.type,
                param.low,
                param.high,
                param.choices,
            ):
                raise ValueError(f"parameter {param.name!r} differs between operations")
    return found


def darkest_shot(exposure: list[dict[str, Any]], params: dict[str, Any]) -> int | None:
    """'Make it brighter' with no shot named: when the last review measured one shot far darker
    than the rest, that shot (1-based) is the sensible reading; else None (all shots)."""
    if params.get("shots") or float(params.get("amount") or 0) <= 0 or len(exposure) < 2:
        return None
    lumas = sorted(float(e["luma"]) for e in exposure)
    darkest = min(exposure, key=lambda e: float(e["luma"]))
    return int(darkest["shot"]) if lumas[1] - float(darkest["luma"]) >= 30 else None


def op_name(op: str, lang: str) -> str:
    """An operation's name in a language ('亮度', 'brightness'); an unknown one as given."""
    return catalog.text(lang, f"ops.{op}") if catalog.has(lang, f"ops.{op}") else op


def value_text(value: Any, lang: str) -> str:
    """A setting's value as the user reads it: '女声' for female, 'fades' for fade, a mood's
    name, each of a list of effects; numbers and free text as they are."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    if isinstance(value, str) and "," in value:
        return catalog.text(lang, "ops.list_sep").join(value_text(v, lang) for v in value.split(","))
    key = f"ops.value_{str(value).lower()}"
    if catalog.has(lang, key):
        return catalog.text(lang, key)
    if value in lexicon.load("lexicon")["moods"] or value in lexicon.load("requests")["styles"]:
        return catalog.text(lang, "ops.mood", mood=lexicon.mood_label(str(value), lang))
    return str(value)


def level_text(values: list[float], unit: str) -> str:
    """A level's value(s) with its unit: '+0.15', '×1.25', '-14.0 dB', a range when shots differ."""

    def one(v: float) -> str:
        if unit == "×":
            return f"×{v:.2f}"
        if unit == "dB":
            return f"{v:.1f} dB"
        if unit == "fps":
            return f"{v:g} fps"
        return f"{v:+.2f}"

    low, high = min(values), max(values)
    return one(low) if low == high else f"{one(low)}…{one(high)}"


def _change_text(change: dict[str, Any], name: str, where: str, asked: int, lang: str) -> str:
    """'亮度调亮：镜头2 +0.00 → +0.15' / 'music volume quieter: -12.0 dB → -17.0 dB'."""
    key = change["key"]
    if catalog.has(lang, f"ops.level_{key}"):
        name = catalog.text(lang, f"ops.level_{key}")
    before, after = change["before"], change["after"]
    moved = sum(after) - sum(before)
    unit = change.get("unit", "")
    if abs(moved) < 1e-9:
        edge = "up" if asked >= 0 else "down"  # it stayed: it is at the bound it was asked towards
        return catalog.text(
            lang,
            "ops.at_limit",
            name=name,
            edge=catalog.text(lang, f"ops.edge_{edge}"),
            after=level_text(after, unit),
        )
    way = catalog.text(lang, f"ops.way_{key}_{'up' if moved > 0 else 'down'}")
    prefix = catalog.text(lang, "ops.where_prefix", where=where) if where else ""
    return catalog.text(
        lang,
        "ops.change",
        name=name,
        way=way,
        where=prefix,
        before=level_text(before, unit),
        after=level_text(after, unit),
    )


def describe(op: str, detail: dict[str, Any], params: dict[str, Any], lang: str) -> str:
    """What an edit changed, in one line, in `lang`: the reply's and the version note's words.
    A level it moved is said with its direction and its values before and after ('亮度调亮：镜头2
    +0.00 → +0.15'); a setting with its new value in words ('旁白 → 女声'); no internal names."""
    name = op_name(op, lang)
    if op == "beat_cut":  # '卡点：120 BPM，3 个切点 2.000 s、4.012 s、6.001 s'
        cuts = catalog.text(lang, "ops.list_sep").join(f"{c:.3f} s" for c in detail.get("cuts") or [])
        key = "ops.beat_cut_bars" if detail.get("mode") == "bars" else "ops.beat_cut_beats"
        return catalog.text(
            lang,
            key,
            tempo=round(float(detail.get("tempo") or 0)),
            count=len(detail.get("cuts") or []),
            cuts=cuts,
        )
    targets = detail.get("targets")
    where = ""
    if targets and not detail.get("all"):
        where = catalog.text(lang, "ops.where_shots", shots=",".join(map(str, targets)))
    elif targets:
        where = catalog.text(lang, "ops.where_all")
    values = [detail.get("value"), detail.get("instrument")]
    if params.get("look"):
        values.append(params["look"])
    if params.get("text") is not None and op not in ("voice",):
        values.append(catalog.text(lang, "ops.quoted", text=params["text"]))
    if params.get("remove"):
        values.append(catalog.text(lang, "ops.removed"))
    said = [value_text(v, lang) for v in values if v not in (None, "")]
    parts = []
    if said or not detail.get("change"):
        head = f"{name} {where}".strip() if where else name
        parts.append(catalog.text(lang, "ops.set", name=head, value=" ".join(said)) if said else head)
    if detail.get("change"):
        asked = OPERATIONS[op].direction(params) if op in OPERATIONS else 0
        parts.append(_change_text(detail["change"], name, where, asked, lang))
    return catalog.text(lang, "ops.part_sep").join(parts)


def help_lines(lang: str) -> list[str]:
    """One line per group of operations: the group, its operations and an example of what to say."""
    sep = catalog.text(lang, "ops.list_sep")
    lines = []
    for group in GROUPS:
        names = dict.fromkeys(op_name(op.name, lang) for op in OPERATIONS.values() if op.group == group)
        lines.append(
            catalog.text(
                lang,
                "ops.help_line",
                group=catalog.text(lang, f"ops.group_{group}"),
                names=sep.join(names),
                example=catalog.text(lang, f"ops.example_{group}"),
            )
        )
    return lines
