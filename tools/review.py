"""Computed reviews. Every score comes from a stated rule over the script, every media problem
from ffmpeg's own analysis of the render (signalstats, blackdetect, freezedetect, ebur128,
silencedetect) or ffprobe; each carries its reason in Chinese and English, and problems with
a known fix say what the quality gate may do about them."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tools import analysis, lexicon
from tools.narration import read_srt

ZH_CHARS_PER_SEC = 4.5
EN_WORDS_PER_SEC = 2.8
WEIGHTS = {
    "duration_fit": 1.0,
    "pacing": 1.0,
    "structure": 1.0,
    "narration_fit": 1.0,
    "continuity": 1.5,
    "coverage": 1.0,
}
DARK_LUMA = 45.0  # mean luma (0-255) below which a shot reads as too dark
BRIGHT_LUMA = 230.0
TARGET_LUMA = 110.0
LOUDNESS_TARGET, LOUDNESS_TOLERANCE, TRUE_PEAK_MAX = -14.0, 1.0, -1.0
FADE_ALLOWANCE = 0.45  # black inside an intended fade is not a defect


def _clamp(x: float) -> float:
    return round(max(0.0, min(10.0, x)), 1)


def _speech_seconds(text: str, lang: str) -> float:
    if lang == "zh":
        return len(re.findall(r"[\u4e00-\u9fff]", text)) / ZH_CHARS_PER_SEC
    return len(re.findall(r"[A-Za-z']+", text)) / EN_WORDS_PER_SEC


def _list(items: list[Any], lang: str) -> str:
    if not items:
        return "无" if lang == "zh" else "none"
    return ", ".join(str(i) for i in items)


def requested_elements(request: str) -> list[tuple[str, list[str]]]:
    """What a request names that the shots should show: characters, and scene elements, times
    of day, weather and settings from the scenes lexicon, as (name as said, words that count)."""
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


def score_script(script: dict[str, Any], request: str = "") -> dict[str, Any]:
    """Sub-scores 0-10 with reasons (zh and en), an overall weighted mean, and story flow."""
    shots = script["shots"]
    lang = script.get("language", "zh")
    target = float(script.get("duration", 0)) or 1.0
    total = sum(float(s["duration"]) for s in shots)
    scores: dict[str, dict[str, Any]] = {}
    off = abs(total - target)
    scores["duration_fit"] = {
        "score": _clamp(10 - 20 * off / target),
        "reason": {
            "zh": f"镜头合计{total:.1f}秒，目标{target:.1f}秒",
            "en": f"shots sum to {total:.1f}s of {target:.1f}s",
        },
    }
    types = lexicon.shot_types()
    outside = []
    for i, s in enumerate(shots):
        low, high = types.get(s["shot_type"], {"norm": [1, 99]})["norm"]
        if not low <= float(s["duration"]) <= high:
            outside.append(f"{i + 1}({float(s['duration']):g}s, {low}-{high}s)")
    scores["pacing"] = {
        "score": _clamp(10 - 10 * len(outside) / len(shots)),
        "reason": {
            "zh": f"时长超出该景别常规范围的镜头: {_list(outside, 'zh')}",
            "en": f"shots outside their type's usual length: {_list(outside, 'en')}",
        },
    }
    opening = shots[0]["shot_type"] in ("wide", "long", "aerial", "close-up")
    closing = shots[-1]["shot_type"] in ("wide", "long", "aerial")
    middle = len(shots) >= 3
    scores["structure"] = {
        "score": _clamp(4 + 2 * opening + 2 * closing + 2 * middle),
        "reason": {
            "zh": f"开场{'交代了环境' if opening else '没有建立镜头'}，结尾{'是远/全景收束' if closing else '不是远景收束'}，共{len(shots)}个镜头",
            "en": f"opening shot {'sets the scene' if opening else 'is not establishing'}, "
            f"closing shot {'is wide' if closing else 'is not a wide close'}, {len(shots)} shots",
        },
    }
    over = [
        i + 1
        for i, s in enumerate(shots)
        if _speech_seconds(s.get("narration", ""), lang) > float(s["duration"]) - 0.3
    ]
    rate = f"{ZH_CHARS_PER_SEC:g}字/秒" if lang == "zh" else f"{EN_WORDS_PER_SEC:g} words/s"
    scores["narration_fit"] = {
        "score": _clamp(10 - 10 * len(over) / len(shots)),
        "reason": {
            "zh": f"按{rate}朗读，旁白超出镜头的: {_list(over, 'zh')}",
            "en": f"narration longer than its shot at {rate}: {_list(over, 'en')}",
        },
    }
    abrupt_zh, abrupt_en = [], []
    seen: set[str] = set()
    approach = lexicon.approach_words()
    for i, s in enumerate(shots):
        for who in lexicon.characters_in(s["description"]):
            if who in seen:
                continue
            seen.add(who)
            introduced = s["shot_type"] == "long" or any(w in s["description"].lower() for w in approach)
            if not introduced and i > 0:
                abrupt_zh.append(f"{lexicon.character_name(who, 'zh')}(镜头{i + 1})")
                abrupt_en.append(f"{lexicon.character_name(who, 'en')} (shot {i + 1})")
    scores["continuity"] = {
        "score": _clamp(10 - 1.5 * len(abrupt_zh)),
        "reason": {
            "zh": f"没有铺垫就出现的角色: {_list(abrupt_zh, 'zh')}",
            "en": f"characters appearing without an introduction: {_list(abrupt_en, 'en')}",
        },
    }
    described = " ".join(s["description"] for s in shots).lower()
    wanted = requested_elements(request)
    missing = [said for said, words in wanted if not any(w in described for w in words)]
    scores["coverage"] = {
        "score": _clamp(10 - 10 * len(missing) / max(1, len(wanted))) if wanted else 10.0,
        "reason": {
            "zh": f"要求的元素{len(wanted)}个，缺少: {_list(missing, 'zh')}",
            "en": f"{len(wanted)} requested elements, missing: {_list(missing, 'en')}",
        },
        "missing": missing,
    }
    overall = sum(scores[k]["score"] * w for k, w in WEIGHTS.items()) / sum(WEIGHTS.values())
    flow = (scores["continuity"]["score"] + scores["structure"]["score"] + scores["pacing"]["score"]) / 3
    problems = []
    if off > 0.05:
        problems.append(
            _problem(
                "script_duration",
                None,
                zh=f"剧本合计{total:.1f}秒，不是{target:.1f}秒",
                en=f"the script sums to {total:.1f}s, not {target:.1f}s",
                say_zh=f"调整时长到{target:g}秒",
                say_en=f"make it {target:g} seconds",
            )
        )
    for said in missing:
        problems.append(
            _problem(
                "missing_element",
                None,
                zh=f'剧本里没有要求的"{said}"',
                en=f'"{said}" was asked for but no shot shows it',
                say_zh=f"加一个{said}的镜头",
                say_en=f"add a shot of {said}",
            )
        )
    return {
        "overall": round(overall, 1),
        "story_flow": round(flow, 1),
        "scores": scores,
        "script_problems": problems,
    }


def _problem(
    code: str,
    shot: int | None,
    *,
    zh: str,
    en: str,
    say_zh: str = "",
    say_en: str = "",
    fix: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A problem with its reason and a suggestion the user can say, in both languages."""
    out: dict[str, Any] = {"code": code, "shot": shot, "detail": {"zh": zh, "en": en}}
    if say_zh or say_en:
        out["suggestion"] = {"zh": say_zh, "en": say_en}
    if fix:
        out["fix"] = fix
    return out


def combine(plan: list[dict[str, Any]], reports: list[analysis.VideoReport]) -> analysis.VideoReport:
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


def review_media(
    render: dict[str, Any],
    plan: list[dict[str, Any]],
    script: dict[str, Any],
    size: tuple[int, int],
    video: analysis.VideoReport | None = None,
) -> dict[str, Any]:
    """Problems of a render against its script and settings, and the measurements behind them.
    `video` is the picture's report (from cached per-clip reports); without it the whole file
    is decoded once at reduced scale. The audio is measured alongside."""
    path = render["path"]
    probe = render.get("probe") or {}
    stems = Path(render.get("stems") or "")
    with ThreadPoolExecutor(3) as pool:
        video_f = pool.submit(analysis.video_report, path) if video is None else None
        loud_f = pool.submit(analysis.loudness, path)
        voice_f = (
            pool.submit(analysis.silences, stems / "voice.wav", -40.0, 0.3)
            if (stems / "voice.wav").exists()
            else None
        )
        loud = loud_f.result()
        if video_f is not None:
            video = video_f.result()
        voice_quiet = voice_f.result() if voice_f else None
    assert video is not None
    problems: list[dict[str, Any]] = []
    target = sum(float(s["duration"]) for s in script["shots"])
    duration = float(probe.get("duration", 0))
    if abs(duration - target) > 0.3:
        problems.append(
            _problem(
                "duration",
                None,
                zh=f"视频{duration:.1f}秒，剧本{target:.1f}秒",
                en=f"the video is {duration:.1f}s, the script {target:.1f}s",
            )
        )
    if (probe.get("width"), probe.get("height")) != size:
        problems.append(
            _problem(
                "size",
                None,
                zh=f"画面{probe.get('width')}x{probe.get('height')}，应为{size[0]}x{size[1]}",
                en=f"{probe.get('width')}x{probe.get('height')} instead of {size[0]}x{size[1]}",
            )
        )
    if not probe.get("has_audio"):
        problems.append(_problem("no_audio", None, zh="没有音轨", en="no audio stream"))
    elif abs(float(probe.get("audio_duration", 0)) - float(probe.get("video_duration") or duration)) > 0.1:
        problems.append(
            _problem("av_length", None, zh="音轨与画面长度不一致", en="audio and video lengths differ")
        )
    fades = [p["start"] for p in plan if p["spec"].get("fade_in")] + [
        p["end"] for p in plan if p["spec"].get("fade_out")
    ]

    def shot_of(t: float) -> int:
        return next((i + 1 for i, p in enumerate(plan) if p["start"] <= t < p["end"]), len(plan))

    for a, b in video.black:
        b = min(b, duration)
        if (
            b - a < 0.2
            or all(abs(a - f) <= FADE_ALLOWANCE or abs(b - f) <= FADE_ALLOWANCE for f in fades)
            and b - a <= 2 * FADE_ALLOWANCE
        ):
            continue
        n = shot_of((a + b) / 2)
        problems.append(
            _problem(
                "black",
                n,
                zh=f"{a:.1f}-{b:.1f}秒是黑屏（镜头{n}）",
                en=f"black picture at {a:.1f}-{b:.1f}s (shot {n})",
            )
        )
    for a, b in video.frozen:
        b = min(b, duration)
        n = shot_of((a + b) / 2)
        camera = plan[n - 1]["spec"].get("camera") if 0 < n <= len(plan) else None
        problems.append(
            _problem(
                "frozen",
                n,
                zh=f"{a:.1f}-{b:.1f}秒画面静止（镜头{n}）",
                en=f"frozen picture at {a:.1f}-{b:.1f}s (shot {n})",
                # a slow push-in changes every pixel: the known fix for a shot that stands still
                fix={"camera": "push_in"} if camera not in ("push_in", "crane_up") else None,
            )
        )
    exposure = []
    for i, p in enumerate(plan):
        luma, sat = video.span(p["start"] + 0.1, p["end"] - 0.1)
        exposure.append({"shot": i + 1, "luma": round(luma, 1), "saturation": round(sat, 1)})
        if luma < DARK_LUMA:
            delta = round(min(0.5, (TARGET_LUMA - luma) / 255), 3)
            problems.append(
                _problem(
                    "too_dark",
                    i + 1,
                    zh=f"镜头{i + 1}平均亮度{luma:.0f}/255，太暗",
                    en=f"shot {i + 1} averages {luma:.0f}/255, too dark",
                    say_zh=f"第{i + 1}个镜头调亮一点",
                    say_en=f"make shot {i + 1} brighter",
                    fix={"brightness": delta},
                )
            )
        elif luma > BRIGHT_LUMA:
            problems.append(
                _problem(
                    "too_bright",
                    i + 1,
                    zh=f"镜头{i + 1}平均亮度{luma:.0f}/255，过曝",
                    en=f"shot {i + 1} averages {luma:.0f}/255, overexposed",
                    say_zh=f"第{i + 1}个镜头调暗一点",
                    say_en=f"make shot {i + 1} darker",
                )
            )
    if probe.get("has_audio"):
        if abs(loud.integrated - LOUDNESS_TARGET) > LOUDNESS_TOLERANCE:
            problems.append(
                _problem(
                    "loudness",
                    None,
                    zh=f"响度{loud.integrated:.1f} LUFS，目标-14",
                    en=f"loudness {loud.integrated:.1f} LUFS, target -14",
                    fix={"master_offset_db": round(LOUDNESS_TARGET - loud.integrated, 1)},
                )
            )
        if loud.true_peak > TRUE_PEAK_MAX:
            problems.append(
                _problem(
                    "true_peak",
                    None,
                    zh=f"真峰值{loud.true_peak:.1f} dBTP，超过-1",
                    en=f"true peak {loud.true_peak:.1f} dBTP, above -1",
                    fix={"master_offset_db": round(TRUE_PEAK_MAX - 0.5 - loud.true_peak, 1)},
                )
            )
    shots = {s["id"]: (i + 1, s) for i, s in enumerate(script["shots"])}
    for line in render.get("narration") or []:
        n = shots.get(line["shot_id"], (0, {}))[0]
        if voice_quiet is not None:
            mid_a, mid_b = line["start"] + 0.2, line["start"] + max(0.3, line["duration"] - 0.2)
            if any(a <= mid_a and b >= mid_b for a, b in voice_quiet):
                problems.append(
                    _problem(
                        "narration_missing",
                        n,
                        zh=f"镜头{n}应有旁白，但没有声音",
                        en=f"shot {n} should be narrated but is silent",
                    )
                )
        if line.get("overflow", 0) > 0.05:
            need = round(line["spoken"] + 0.6, 1)
            problems.append(
                _problem(
                    "narration_overflow",
                    n,
                    zh=f"镜头{n}的旁白长{line['spoken']:.1f}秒，镜头只能容纳{line['room']:.1f}秒",
                    en=f"shot {n}'s narration runs {line['spoken']:.1f}s in {line['room']:.1f}s",
                    say_zh=f"把第{n}个镜头延长到{need:g}秒",
                    say_en=f"make shot {n} {need:g} seconds",
                    fix={"voice_max_speedup": 1.6},
                )
            )
    srt = Path(render.get("srt") or "")
    if srt.is_file():
        for i, (a, b, _) in enumerate(read_srt(srt), start=1):
            if a < 0 or b > duration + 0.05:
                problems.append(
                    _problem(
                        "subtitle_outside",
                        None,
                        zh=f"字幕{i}超出视频时长",
                        en=f"subtitle {i} runs outside the video",
                    )
                )
    return {
        "problems": problems,
        "measured": {
            "loudness": loud.integrated,
            "true_peak": loud.true_peak,
            "exposure": exposure,
            "black": video.black,
            "frozen": video.frozen,
        },
    }
