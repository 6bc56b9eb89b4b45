"""Computed reviews. Every score comes from a stated rule over the script, every media problem
from ffmpeg's own analysis of the render (signalstats, blackdetect, freezedetect, ebur128,
silencedetect) or ffprobe. A score carries its criterion's numbers and a problem its code and
numbers; the sentences are in the 'review' catalogue (tools/data/text/<lang>/review.json), and
problems with a known fix say what the quality gate may do about them."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from typing_extensions import TypedDict

from tools import analysis, drawing, lexicon
from tools.catalog import has, text
from tools.narration import read_srt
from tools.project import (
    LOUDNESS_TOLERANCE_LU,
    TARGET_LUFS,
    TRUE_PEAK_MAX_DBTP,
    PlanItem,
    Problem,
    Render,
    Script,
    Shot,
)

ZH_CHARS_PER_SEC = 4.5
EN_WORDS_PER_SEC = 2.8
WEIGHTS = {
    "duration_fit": 1.0,
    "pacing": 1.0,
    "structure": 1.0,
    "narration_fit": 1.0,
    "continuity": 1.5,
    "coverage": 1.5,
    "specificity": 1.0,
    "variety": 1.0,
}
CAP = 6.0
"""The most a script may score that drops the asked subject, repeats a description or is filler."""
FILLER = re.compile(
    r"^(?:a |an |the )?(?:black screen|blank|empty|nothing|something|scene|shot|image|picture|video|clip|todo|tbd|"
    r"placeholder|lorem ipsum|xxx+|\.\.\.)\W*$|^[\W\d_]*$",
    re.I,
)
STOP = set("a an the of in on at to and with from by for is are this that it its as into over under".split())
DARK_LUMA = 45.0  # mean luma (0-255) below which a shot reads as too dark
BRIGHT_LUMA = 230.0
TARGET_LUMA = 110.0
FADE_ALLOWANCE = 0.45  # black inside an intended fade is not a defect
OVERFLOW_SPEEDUP = 1.6
"""The narration speed-up the gate tries for a line that overruns its shot."""


class Score(TypedDict, total=False):
    """One criterion's score 0-10 and the numbers its reason states."""

    score: float
    values: dict[str, Any]
    missing: list[str]


class ScriptScores(TypedDict):
    """The script's scores by criterion, their weighted mean, story flow and script problems."""

    overall: float
    story_flow: float
    scores: dict[str, Score]
    script_problems: list[Problem]


class MediaReview(TypedDict):
    """The problems of a render and the measurements behind them."""

    problems: list[Problem]
    measured: dict[str, Any]


# --- sentences from the catalogue ---------------------------------------------------------


def _items(lang: str, items: list[str]) -> str:
    return ", ".join(items) if items else text(lang, "review.none")


def score_reason(lang: str, criterion: str, values: dict[str, Any]) -> str:
    """The reason of one criterion's score in `lang`, from the numbers it carries."""
    params = dict(values)
    if criterion == "pacing":
        params["shots"] = _items(lang, [text(lang, "review.pacing_item", **s) for s in values["shots"]])
    elif criterion == "structure":
        params["opening"] = text(lang, f"review.structure_opening_{'yes' if values['opening'] else 'no'}")
        params["closing"] = text(lang, f"review.structure_closing_{'yes' if values['closing'] else 'no'}")
    elif criterion == "narration_fit":
        params["rate"] = text(lang, f"review.rate_{values['unit']}", rate=values["rate"])
        params["shots"] = _items(lang, [str(n) for n in values["shots"]])
        params["silent"] = _items(lang, [str(n) for n in values.get("silent", [])])
    elif criterion == "continuity":
        params["characters"] = _items(
            lang,
            [
                text(
                    lang,
                    "review.continuity_item",
                    name=lexicon.character_name(c["who"], lang),
                    shot=c["shot"],
                )
                for c in values["characters"]
            ],
        )
    elif criterion in ("specificity",):
        params["shots"] = _items(lang, [str(n) for n in values["shots"]])
    elif criterion == "variety":
        params["repeated"] = _items(lang, [str(n) for n in values["repeated"]])
    elif criterion == "coverage":
        params["missing"] = _items(lang, [str(m) for m in values["missing"]])
        params["undrawn"] = _items(lang, [str(m) for m in values.get("undrawn", [])])
    return text(lang, f"review.reason_{criterion}", **params)


def problem_text(lang: str, problem: Problem) -> str:
    """What a problem is, in `lang`."""
    return text(lang, f"review.{problem['code']}", shot=problem.get("shot"), **problem.get("values", {}))


def problem_say(lang: str, problem: Problem) -> str | None:
    """What the user can say about a problem, in `lang` (None when there is no such line)."""
    key = f"review.say_{problem['code']}"
    if not has(lang, key):
        return None
    return text(lang, key, shot=problem.get("shot"), **problem.get("values", {}))


def _problem(code: str, shot: int | None, fix: dict[str, Any] | None = None, **values: Any) -> Problem:
    """A problem: its code, its shot (1-based; None for the whole video), its numbers, its fix."""
    problem: Problem = {"code": code, "shot": shot, "values": values}
    if fix:
        problem["fix"] = fix
    return problem


def _score(score: float, **values: Any) -> Score:
    """A criterion's score with the numbers behind it."""
    return {"score": score, "values": values}


# --- script scores, one function per criterion --------------------------------------------


def _clamp(x: float) -> float:
    return round(max(0.0, min(10.0, x)), 1)


def _speech_seconds(line: str, lang: str) -> float:
    if lang == "zh":
        return len(re.findall(r"[\u4e00-\u9fff]", line)) / ZH_CHARS_PER_SEC
    return len(re.findall(r"[A-Za-z']+", line)) / EN_WORDS_PER_SEC


def requested_elements(request: str) -> list[tuple[str, list[str]]]:
    """What a request names that the shots should show: characters, and scene elements, times
    of day, weather and settings from the scenes lexicon, as (name as said, words that count)."""
    # who a video is for is not what it shows ("a bedtime story for kids", "给小朋友看的")
    request = re.sub(
        r"\bfor (?:the |my |our )?(?:kids|children|toddlers|son|daughter)\b|给(?:小朋友|孩子)们?看的?",
        " ",
        request,
        flags=re.I,
    )
    low = request.lower()
    out: list[tuple[str, list[str]]] = []
    for key in lexicon.characters_in(request):
        info = lexicon.load("lexicon")["characters"][key]
        said = next((w for w in info["words"] if w.lower() in low), info["words"][0])
        out.append((said, [w.lower() for w in info["words"]]))
    scenes = lexicon.load("scenes")
    taken = {w for _, words in out for w in words}
    for table in ("elements", "time_of_day", "weather", "settings"):
        for words in scenes[table].values():
            said = next((w for w in words if w.lower() in low and len(w) > 1), None)
            if said and said.lower() not in taken:
                out.append((said, [w.lower() for w in words]))
                taken.update(w.lower() for w in words)
    return out


def _duration_fit(total: float, target: float) -> Score:
    """How close the shots' sum is to the asked length."""
    return _score(_clamp(10 - 20 * abs(total - target) / target), total=total, target=target)


def _pacing(shots: list[Shot]) -> Score:
    """How many shots last outside their shot type's usual length."""
    types = lexicon.shot_types()
    outside = []
    for i, s in enumerate(shots):
        low, high = types.get(s["shot_type"], {"norm": [1, 99]})["norm"]
        if not low <= float(s["duration"]) <= high:
            outside.append({"shot": i + 1, "duration": float(s["duration"]), "low": low, "high": high})
    return _score(_clamp(10 - 10 * len(outside) / len(shots)), shots=outside)


def _structure(shots: list[Shot]) -> Score:
    """Whether the video opens by setting the scene, closes wide and has a middle."""
    opening = shots[0]["shot_type"] in ("wide", "long", "aerial", "close-up")
    closing = shots[-1]["shot_type"] in ("wide", "long", "aerial")
    middle = len(shots) >= 3
    score = _clamp(4 + 2 * opening + 2 * closing + 2 * middle)
    return _score(score, opening=opening, closing=closing, count=len(shots))


def _narration_fit(shots: list[Shot], lang: str) -> Score:
    """How many shots' narration, read at a usual rate, is longer than the shot."""
    over = [
        i + 1
        for i, s in enumerate(shots)
        if _speech_seconds(s.get("narration", ""), lang) > float(s["duration"]) - 0.3
    ]
    silent = [i + 1 for i, s in enumerate(shots) if not str(s.get("narration", "")).strip()]
    rate, unit = (ZH_CHARS_PER_SEC, "chars") if lang == "zh" else (EN_WORDS_PER_SEC, "words")
    score = _clamp(10 - 10 * (len(over) + len(silent)) / len(shots))
    return _score(score, rate=rate, unit=unit, shots=over, silent=silent)


def _continuity(shots: list[Shot]) -> Score:
    """Which characters first appear after the opening without a long shot or an approach."""
    abrupt = []
    seen: set[str] = set()
    approach = lexicon.approach_words()
    for i, s in enumerate(shots):
        for who in lexicon.characters_in(s["description"]):
            if who in seen:
                continue
            seen.add(who)
            introduced = s["shot_type"] == "long" or any(w in s["description"].lower() for w in approach)
            if not introduced and i > 0:
                abrupt.append({"who": who, "shot": i + 1})
    return _score(_clamp(10 - 1.5 * len(abrupt)), characters=abrupt)


def _coverage(shots: list[Shot], request: str, subjects: list[str]) -> Score:
    """Which of the things the request names no shot describes: its subjects (what it is
    about) and the characters and scene elements of the lexicon; a subject shown in fewer
    than a third of the shots counts half."""
    described = " ".join(s["description"] for s in shots).lower()
    wanted = requested_elements(request)
    missing = [said for said, words in wanted if not any(w in described for w in words)]
    # the things the request names that an icon draws, looked for among what the shots draw
    # (the renderer's own resolver: a giraffe asked for is shown when a shot draws a giraffe)
    drawings = [drawing.resolve(s["description"]) for s in shots]
    drawn = {t.draws for d in drawings for t in d.things}
    taken = {w for _, words in wanted for w in words}
    asked = [t for t in drawing.resolve(request).sprites if t.word.lower() not in taken] if request else []
    missing += [t.word for t in asked if t.draws not in drawn and t.word not in missing]
    gone, showing = subjects_shown(shots, subjects)
    missing = gone + [m for m in missing if m not in gone]
    count = len(wanted) + len(subjects) + len(asked)
    thin = 0.5 if subjects and not gone and len(showing) < len(shots) / 3 else 0.0
    score = _clamp(10 - 10 * (len(missing) + thin) / max(1, count)) if count else 10.0
    # what the shots name that nothing can draw: up to half the score, by its share of all
    # the visible things they name
    undrawn = [w for d in drawings for w in d.undrawn]
    named = sum(len(d.things) for d in drawings) + len(undrawn)
    if undrawn:
        score = _clamp(score - 5 * len(undrawn) / max(1, named))
    out = _score(score, count=count, missing=missing, undrawn=sorted(set(undrawn)), named=named)
    out["missing"] = missing
    return out


def _subject_words(subject: str) -> list[str]:
    """What counts as showing a subject: its content words (English) or the phrase and its
    last two characters (Chinese: 新款电动汽车 ~ 汽车)."""
    if subject.isascii():
        words = [w.rstrip("s") for w in re.findall(r"[a-z][a-z'-]+", subject.lower()) if w not in STOP]
        return words[-1:] if words else []
    return [subject, subject[-2:]] if len(subject) > 2 else [subject]


def subjects_shown(shots: list[Shot], subjects: list[str]) -> tuple[list[str], list[int]]:
    """The asked subjects no shot shows, and the shots that show the first subject."""
    missing, showing = [], []
    for n, subject in enumerate(subjects):
        words = _subject_words(subject)
        hits = [
            i + 1 for i, s in enumerate(shots) if words and any(w in s["description"].lower() for w in words)
        ]
        if words and not hits:
            missing.append(subject)
        if n == 0:
            showing = hits
    return missing, showing


def _specific(description: str) -> bool:
    """Whether a description names concrete, visible things (not filler)."""
    if FILLER.search(description.strip()):
        return False
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", description) if w.lower() not in STOP]
    return len(words) >= 2 or len(re.findall(r"[\u4e00-\u9fff]", description)) >= 4


def _specificity(shots: list[Shot]) -> Score:
    """Which shots' descriptions are filler rather than concrete, visible things."""
    vague = [i + 1 for i, s in enumerate(shots) if not _specific(s["description"])]
    return _score(_clamp(10 - 10 * len(vague) / len(shots)), shots=vague)


def _variety(shots: list[Shot]) -> Score:
    """Repeated descriptions and how many shot types the script uses."""
    seen: dict[str, int] = {}
    repeated = []
    for i, s in enumerate(shots):
        key = re.sub(r"\W+", " ", s["description"].lower()).strip()
        if key in seen:
            repeated.append(i + 1)
        seen.setdefault(key, i + 1)
    types = len({s["shot_type"] for s in shots})
    wanted = min(3, len(shots))
    score = _clamp(10 * (1 - len(repeated) / len(shots)) - 2 * max(0, wanted - types))
    return _score(score, repeated=repeated, types=types)


def _script_problems(total: float, target: float, missing: list[str]) -> list[Problem]:
    """A total off its target, and each requested element no shot shows."""
    problems = []
    if abs(total - target) > 0.05:
        problems.append(_problem("script_duration", None, total=total, target=target))
    problems += [_problem("missing_element", None, element=said) for said in missing]
    return problems


def score_script(script: Script, request: str = "") -> ScriptScores:
    """Sub-scores 0-10 with the numbers behind them, an overall weighted mean, and story flow."""
    shots = script["shots"]
    target = float(script.get("duration", 0)) or 1.0
    total = sum(float(s["duration"]) for s in shots)
    scores = {
        "duration_fit": _duration_fit(total, target),
        "pacing": _pacing(shots),
        "structure": _structure(shots),
        "narration_fit": _narration_fit(shots, script.get("language", "zh")),
        "continuity": _continuity(shots),
        "coverage": _coverage(shots, request, list(script.get("subjects") or [])),
        "specificity": _specificity(shots),
        "variety": _variety(shots),
    }
    overall = sum(scores[k]["score"] * w for k, w in WEIGHTS.items()) / sum(WEIGHTS.values())
    fails = [
        bool(scores["coverage"]["missing"]),
        bool(scores["variety"]["values"]["repeated"]),
        scores["specificity"]["score"] < 5,
    ]
    if any(fails):  # a script that drops the subject, repeats itself or is filler: 6 at most, less for each
        overall = min(overall, CAP - (sum(fails) - 1))
    flow = (scores["continuity"]["score"] + scores["structure"]["score"] + scores["pacing"]["score"]) / 3
    return {
        "overall": round(overall, 1),
        "story_flow": round(flow, 1),
        "scores": scores,
        "script_problems": _script_problems(total, target, scores["coverage"]["missing"]),
    }


# --- media review, one check per defect ---------------------------------------------------


def combine(plan: list[PlanItem], reports: list[analysis.VideoReport]) -> analysis.VideoReport:
    """Per-clip reports (clip time, handles included) placed on the video's timeline."""
    frames: list[tuple[float, float, float]] = []
    black: list[tuple[float, float]] = []
    frozen: list[tuple[float, float]] = []
    for item, rep in zip(plan, reports, strict=True):
        spec = item["spec"]
        head = int(spec.get("head", 0)) / int(spec["fps"])
        length = item["end"] - item["start"]
        shift = item["start"] - head
        frames += [(t + shift, y, s) for t, y, s in rep.frames if head <= t < head + length]
        for spans, out in ((rep.black, black), (rep.frozen, frozen)):
            for a, b in spans:
                a, b = max(a, head), min(b, head + length)
                if b > a:
                    out.append((round(a + shift, 3), round(b + shift, 3)))
    return analysis.VideoReport(frames, black, frozen)


def _shot_at(plan: list[PlanItem], t: float) -> int:
    """The 1-based shot playing at time t (the last one past the end)."""
    return next((i + 1 for i, p in enumerate(plan) if p["start"] <= t < p["end"]), len(plan))


def _check_length(duration: float, script: Script) -> list[Problem]:
    """The video's length against the script's."""
    target = sum(float(s["duration"]) for s in script["shots"])
    if abs(duration - target) > 0.3:
        return [_problem("duration", None, duration=duration, target=target)]
    return []


def _check_size(probe: dict[str, Any], size: tuple[int, int]) -> list[Problem]:
    """The picture's size against the settings'."""
    if (probe.get("width"), probe.get("height")) != size:
        found = {"width": probe.get("width"), "height": probe.get("height")}
        return [_problem("size", None, **found, want_width=size[0], want_height=size[1])]
    return []


def _check_audio_stream(probe: dict[str, Any], duration: float) -> list[Problem]:
    """An audio stream that is missing or not as long as the picture."""
    if not probe.get("has_audio"):
        return [_problem("no_audio", None)]
    if abs(float(probe.get("audio_duration", 0)) - float(probe.get("video_duration") or duration)) > 0.1:
        return [_problem("av_length", None)]
    return []


def _check_black(spans: list[tuple[float, float]], plan: list[PlanItem], duration: float) -> list[Problem]:
    """Black picture, except short spans and the black of an intended fade."""
    fades = [p["start"] for p in plan if p["spec"].get("fade_in")] + [
        p["end"] for p in plan if p["spec"].get("fade_out")
    ]
    problems = []
    for a, b in spans:
        b = min(b, duration)
        if (
            b - a < 0.2
            or all(abs(a - f) <= FADE_ALLOWANCE or abs(b - f) <= FADE_ALLOWANCE for f in fades)
            and b - a <= 2 * FADE_ALLOWANCE
        ):
            continue
        problems.append(_problem("black", _shot_at(plan, (a + b) / 2), start=a, end=b))
    return problems


def _check_frozen(spans: list[tuple[float, float]], plan: list[PlanItem], duration: float) -> list[Problem]:
    """A picture that stands still, with a push-in as its fix unless the shot already zooms."""
    problems = []
    for a, b in spans:
        b = min(b, duration)
        n = _shot_at(plan, (a + b) / 2)
        camera = plan[n - 1]["spec"].get("camera") if 0 < n <= len(plan) else None
        # a slow push-in changes every pixel: the known fix for a shot that stands still; a
        # shot that still stands still (an almost empty frame) gets motes drifting through it
        # (both at once: the gate has two rounds, and an almost empty frame needs the motes)
        fix: dict[str, Any] = (
            {"camera": "push_in", "motes": True} if camera not in ("push_in", "crane_up") else {"motes": True}
        )
        problems.append(_problem("frozen", n, fix, start=a, end=b))
    return problems


def _check_exposure(shot: int, luma: float) -> list[Problem]:
    """A shot too dark to read (fixed by brightening it) or overexposed."""
    if luma < DARK_LUMA:
        fix = {"brightness": round(min(0.5, (TARGET_LUMA - luma) / 255), 3)}
        return [_problem("too_dark", shot, fix, luma=luma)]
    if luma > BRIGHT_LUMA:
        return [_problem("too_bright", shot, luma=luma)]
    return []


SILENT_LUFS = -60.0
"""A master at or under this integrated loudness is silence, not a mix that is too quiet."""


def _check_loudness(loud: analysis.Loudness) -> list[Problem]:
    """The master's loudness off its target, fixed by offsetting the master. A silent master
    (no music, narration or effects: under -60 LUFS) has nothing to normalise."""
    if loud.integrated <= SILENT_LUFS:
        return []
    if abs(loud.integrated - TARGET_LUFS) > LOUDNESS_TOLERANCE_LU:
        raise_by = round(TARGET_LUFS - loud.integrated, 1)
        if raise_by > 0 and loud.true_peak >= TRUE_PEAK_MAX_DBTP - 1.0:
            # too quiet with its peaks already at the limit (sparse clicks, a lone drum): the
            # master's limiter could not get there, louder would clip; it is said, not fixed
            return [_problem("loudness_peaky", None, None, lufs=loud.integrated, target=TARGET_LUFS)]
        fix = {"master_offset_db": raise_by}
        return [_problem("loudness", None, fix, lufs=loud.integrated, target=TARGET_LUFS)]
    return []


def _check_true_peak(loud: analysis.Loudness) -> list[Problem]:
    """A true peak over the limit, fixed by lowering the master to half a dB under it."""
    if loud.true_peak > TRUE_PEAK_MAX_DBTP:
        fix = {"master_offset_db": round(TRUE_PEAK_MAX_DBTP - 0.5 - loud.true_peak, 1)}
        return [_problem("true_peak", None, fix, peak=loud.true_peak, limit=TRUE_PEAK_MAX_DBTP)]
    return []


def _check_narration_missing(
    line: dict[str, Any], shot: int, voice_quiet: list[tuple[float, float]] | None
) -> list[Problem]:
    """A narration line whose middle is silent in the voice stem."""
    if voice_quiet is None:
        return []
    mid_a, mid_b = line["start"] + 0.2, line["start"] + max(0.3, line["duration"] - 0.2)
    if any(a <= mid_a and b >= mid_b for a, b in voice_quiet):
        return [_problem("narration_missing", shot)]
    return []


def _check_narration_overflow(line: dict[str, Any], shot: int) -> list[Problem]:
    """A narration line longer than its shot can hold, fixed by speaking it faster."""
    if line.get("overflow", 0) > 0.05:
        fix = {"voice_max_speedup": OVERFLOW_SPEEDUP}
        need = round(line["spoken"] + 0.6, 1)
        return [
            _problem("narration_overflow", shot, fix, spoken=line["spoken"], room=line["room"], need=need)
        ]
    return []


def _check_narration(
    render: Render, script: Script, voice_quiet: list[tuple[float, float]] | None
) -> list[Problem]:
    """Each narration line: missing from the voice stem, or overrunning its shot."""
    number = {s["id"]: i + 1 for i, s in enumerate(script["shots"])}
    problems = []
    for line in render.get("narration") or []:
        n = number.get(line["shot_id"], 0)
        problems += _check_narration_missing(line, n, voice_quiet)
        problems += _check_narration_overflow(line, n)
    return problems


def _check_subtitles(srt: Path, duration: float) -> list[Problem]:
    """Subtitles that start before the video or end after it."""
    if not srt.is_file():
        return []
    return [
        _problem("subtitle_outside", None, index=i)
        for i, (a, b, _) in enumerate(read_srt(srt), start=1)
        if a < 0 or b > duration + 0.05
    ]


def _measure(
    render: Render, video: analysis.VideoReport | None
) -> tuple[analysis.VideoReport, analysis.Loudness, list[tuple[float, float]] | None]:
    """The picture's report (decoded here when not given), the loudness and the voice's silences,
    measured side by side."""
    path = render["path"]
    voice = Path(render.get("stems") or "") / "voice.wav"
    with ThreadPoolExecutor(3) as pool:
        video_f = pool.submit(analysis.video_report, path) if video is None else None
        loud_f = pool.submit(analysis.loudness, path)
        voice_f = pool.submit(analysis.silences, voice, -40.0, 0.3) if voice.exists() else None
        loud = loud_f.result()
        if video_f is not None:
            video = video_f.result()
        voice_quiet = voice_f.result() if voice_f else None
    assert video is not None
    return video, loud, voice_quiet


def review_media(
    render: Render,
    plan: list[PlanItem],
    script: Script,
    size: tuple[int, int],
    video: analysis.VideoReport | None = None,
) -> MediaReview:
    """Problems of a render against its script and settings, and the measurements behind them.
    `video` is the picture's report (from cached per-clip reports); without it the whole file
    is decoded once at reduced scale. The audio is measured alongside."""
    video, loud, voice_quiet = _measure(render, video)
    probe = render.get("probe") or {}
    duration = float(probe.get("duration", 0))
    problems = _check_length(duration, script) + _check_size(probe, size)
    problems += _check_audio_stream(probe, duration)
    problems += _check_black(video.black, plan, duration) + _check_frozen(video.frozen, plan, duration)
    exposure = []
    for i, p in enumerate(plan):
        luma, sat = video.span(p["start"] + 0.1, p["end"] - 0.1)
        exposure.append({"shot": i + 1, "luma": round(luma, 1), "saturation": round(sat, 1)})
        problems += _check_exposure(i + 1, luma)
    if probe.get("has_audio"):
        problems += _check_loudness(loud) + _check_true_peak(loud)
    problems += _check_narration(render, script, voice_quiet)
    problems += _check_subtitles(Path(render.get("srt") or ""), duration)
    measured = {"loudness": loud.integrated, "true_peak": loud.true_peak, "exposure": exposure}
    return {"problems": problems, "measured": {**measured, "black": video.black, "frozen": video.frozen}}
