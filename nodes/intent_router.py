"""The intent router: pattern fast path, the LLM for what the patterns cannot place, and the
checks that turn impossible requests into a clear error before anything changes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

from langgraph.runtime import Runtime
from langgraph.types import Overwrite

import prompts
from graph.context import Context, run_context
from graph.state import IntentDecision, ProjectState, last_user_attachments, last_user_text, publish_version
from tools import llm, policy
from tools.intents import (
    CONFIDENCE_THRESHOLD,
    EXPENSIVE,
    Analysis,
    analyse,
    follow_up,
    referenced_shots,
    split_requests,
)
from tools.music import MusicError, check_upload
from tools.renderer import ImageError, load_image
from tools.replies import note
from tools.scripts import MAX_TOTAL, MIN_TOTAL
from tools.text import detect_language

NEEDS_SCRIPT = {"revise_script", "set_duration", "generate", "edit_visual", "edit_audio", "review"}
LLM_BELOW = 0.8


def project_state(state: ProjectState) -> str:
    """The project's state as the classifier knows it: empty, script or rendered."""
    if not state.get("script"):
        return "empty"
    return "rendered" if (state.get("render") or {}).get("path") else "script"


def _script(state: ProjectState) -> dict[str, Any] | None:
    """The project's script as the analyser reads it: plain data."""
    return cast(dict[str, Any] | None, state.get("script"))


SKETCH_WORDS = (
    r"(草图|手绘|手画|简笔画|线稿|涂鸦|素描稿)(?![^，,。]{0,4}(风格|效果|感|画风|质感|风))|我画的|画的这|画了?一?[张个幅]|"
    r"\b(my|this|these|the|attached|our)\s+(own\s+)?(\w+\s+)?(sketch|drawing|doodle|scribble|line ?art)(es|s)?\b"
    r"(?!\s*(look|style|effect|filter))|\bi (drew|sketched|doodled|scribbled)\b|"
    r"\bhand[- ]drawn\b(?!\s*(look|style|cartoon|effect))"
)
"""Words that call an attached picture a drawing to animate (a sketch), not a photo to show."""


NEW_VIDEO_WORDS = (
    r"全新的?(视频|短片|片子)|新的?(视频|短片|片子)|重新做一?个|另做一?个|做成(一个|一段)?(动画|视频|短片)|"
    r"\b(whole|brand|completely|totally)\s+new\s+(video|vid|clip|film|animation)\b|"
    r"\binto an? (short |new )?(video|vid|clip|animation|film|cartoon)\b|\bnew (video|vid|film)\b"
)
"""Words that make an attached picture a new video (a new project), not a shot of this one."""
NEW_SHOT_WORDS = (
    r"新(加|增|的|建)?一?个?(镜头|分镜|场景|画面)|单独一?个(新)?镜头|(加|添|增加|添加|插入)一?个(新)?(镜头|分镜|场景)|"
    r"\b(new|extra|another|additional|separate)\s+(shot|scene|clip)\b|\bas an? (new |extra )?(shot|scene)\b"
)
"""Words that make an attached picture a new shot of the project."""
INTO_WORDS = r"(加|放|画|用)(到|进|在)[^，,。]{0,12}(里|中|上)|\binto (the )?(\w+ )?(shot|scene)\b"
"""Words that put an attached picture into a shot that exists ('加到第一个分镜里'), not a new one."""


def _with_image(
    analysis: Analysis, images: list[str], state: ProjectState, text: str = "", drawn: bool = False
) -> Analysis:
    """An attached image becomes a shot's picture: shot 1 of a new project, or the shot the
    message names; a bad image or an unnamed shot is an error that changes nothing. A sketch
    (sent as one, called one, or a line drawing by its look) becomes the shot's drawn element
    instead, after checking it has lines to trace."""
    from tools.sketch import SketchError, clean, looks_like_sketch

    try:
        picture = load_image(images[0])
    except ImageError as err:
        return Analysis(analysis.intent, 1.0, {"error": err.code, **err.details})
    sketch = drawn or bool(re.search(SKETCH_WORDS, text, flags=re.I)) or looks_like_sketch(picture)
    if sketch:
        try:
            clean(picture)
        except SketchError as err:
            return Analysis(analysis.intent, 1.0, {"error": err.code, **err.details})
    extra = {"sketch": True} if sketch else {}
    new_video = analysis.intent == "create" or re.search(NEW_VIDEO_WORDS, text, flags=re.I)
    if (
        not state.get("script") or new_video
    ):  # a new video from the picture (the old one stays in the history)
        slots = analysis.slots if analysis.intent == "create" else {}
        fresh = {"new_project": True} if state.get("script") else {}
        return Analysis("create", 0.9, {**slots, "image": images[0], **extra, **fresh})
    new_shot = re.search(NEW_SHOT_WORDS, text, flags=re.I)
    inserting = analysis.slots.get("operation") == "insert" and not re.search(INTO_WORDS, text, flags=re.I)
    if inserting or new_shot:  # a new shot made from it (at the end, unless the words place it)
        slots = dict(analysis.slots) if inserting else {"shots": [], "operation": "insert", "place": "end"}
        return Analysis(
            "revise_script", max(analysis.confidence, 0.9), {**slots, "image": images[0], **extra}
        )
    shots = analysis.slots.get("shots") or referenced_shots(text, _script(state))
    if not shots:
        return Analysis("edit_visual", 0.9, {"error": "which_shot_image"})
    return Analysis(
        "edit_visual", 0.9, {"shots": shots[:1], "operation": "image", "image": images[0], **extra}
    )


NARRATION_WORDS = (
    r"旁白|配了?音|解说|画外音|口播|我的声音|我自己的声音|我的录音|我录的|录了?一?段|"
    r"\bnarrat\w*|\bvoice[- ]?over\b|\bmy (own )?voice\b|\bmy (own )?recording\b|\bi recorded\b"
)
"""Words that make an attached recording the narration, not the music bed."""


DROP_RECORDING_WORDS = (
    r"(用回|换回|改回|恢复|还是用)[^，,。]{0,6}(合成|电脑|机器|AI|原来)[^，,。]{0,4}(声音|配音|旁白|语音|音)|"
    r"(去掉|删掉|删除|不要|撤掉|拿掉)[^，,。]{0,4}(我的|我自己的)?(录音|配音|人声)|"
    r"\b(back to|switch back to|go back to|use)\s+the\s+(synthesi[sz]ed|computer|robot|ai|original|default|tts)"
    r"\s+(voice|narration|narrator)\b|"
    r"\b(remove|drop|delete|lose|get rid of)\s+(my\s+)?(own\s+)?(recording|voice[- ]?over)\b"
)
"""Words that take the user's recording out of the narration (the synthesised voice again)."""


def _with_recording(analysis: Analysis, files: list[str], state: ProjectState) -> Analysis:
    """An attached recording becomes the narration in place of the synthesised voice, after
    checking it is playable, audible and at most ten minutes."""
    from tools.stt import SpeechError, check_recording

    try:
        check_recording(files[0])
    except SpeechError as err:
        return Analysis("edit_audio", 1.0, {"error": err.code, **err.details})
    if not state.get("script"):
        return Analysis(analysis.intent, 1.0, {"error": "no_script"})
    return Analysis("edit_audio", 0.95, {"shots": [], "operation": "voiceover", "upload_path": files[0]})


def _with_music(
    analysis: Analysis, files: list[str], state: ProjectState, text: str = "", spoken: bool = False
) -> Analysis:
    """An attached audio file becomes the music bed, after checking it by content; a
    recording sent as the narration (or called one) becomes the narration."""
    if spoken or (
        re.search(NARRATION_WORDS, text, flags=re.I) and analysis.slots.get("operation") != "beat_cut"
    ):
        return _with_recording(analysis, files, state)
    try:
        check_upload(files[0])
    except MusicError as err:
        return Analysis("edit_audio", 1.0, {"error": err.code, **err.details})
    if not state.get("script"):
        return Analysis(analysis.intent, 1.0, {"error": "no_script"})
    if analysis.slots.get("operation") == "beat_cut":  # 'cut to the beat of this song'
        return Analysis("edit_audio", 0.95, {**analysis.slots, "upload_path": files[0]})
    return Analysis("edit_audio", 0.95, {"shots": [], "operation": "music", "upload_path": files[0]})


def _ask_llm(text: str, state: ProjectState, model: str, offline: Analysis | None = None) -> Analysis:
    """The configured LLM's reading of the message; raises when the provider fails or its answer
    does not fit the decision schema."""
    script = state.get("script") or {}
    shots = "\n".join(
        f"{i + 1}. {s['shot_type']}: {s['description']}" for i, s in enumerate(script.get("shots", []))
    )
    hint = (
        f"<offline_reading>{offline.intent} ({offline.confidence:.2f})</offline_reading>\n" if offline else ""
    )
    user = f"<project>\n{shots or 'no script yet'}\n</project>\n{hint}<message>\n{text}\n</message>"
    decision = llm.structured(IntentDecision, model, prompts.load("intent_router"), user)
    # The schema (made from the edit registry) has checked names and bounds; the answer becomes
    # the slots the offline analyser gives, so the same editor code applies it.
    slots = decision.model_dump(exclude={"intent", "confidence", "revision"})
    if decision.revision:
        slots["operation"] = decision.revision
    count = len(script.get("shots", []))
    if decision.anchor and decision.place in ("before", "after") and decision.anchor > count:
        raise ValueError(f"the decision's anchor shot {decision.anchor} is not in a {count}-shot script")
    return Analysis(
        decision.intent, decision.confidence, {k: v for k, v in slots.items() if v not in (None, [])}
    )


def _check(analysis: Analysis, state: ProjectState) -> str | None:
    """An error code when the request cannot apply to this project, else None."""
    script = state.get("script")
    slots = analysis.slots
    if analysis.intent in NEEDS_SCRIPT and not script:
        return "no_script"
    if analysis.intent == "export" and not state.get("render"):
        return "no_render"
    count = len(script["shots"]) if script else 0
    bad = [n for n in slots.get("shots", []) if not 1 <= int(n) <= count]
    if bad and analysis.intent in NEEDS_SCRIPT:
        slots["bad_shots"] = bad
        slots["count"] = count
        return "bad_shot"
    seconds = slots.get("duration")
    if (
        seconds is not None
        and analysis.intent in ("create", "set_duration")
        and not slots.get("shots")
        and not MIN_TOTAL <= float(seconds) <= MAX_TOTAL
    ):
        slots.update(low=MIN_TOTAL, high=MAX_TOTAL)
        return "bad_duration"
    return None


WRITES_CONTENT = {"create", "revise_script", "edit_visual", "edit_audio", "unclear"}
"""The intents whose words may reach the screen or the narration."""


def decide(
    text: str,
    state: ProjectState,
    context: Context,
    images: list[str] | None = None,
    music: list[str] | None = None,
    sketches: list[str] | None = None,
    narration: list[str] | None = None,
) -> tuple[Analysis, list[str]]:
    """The router's decision for `text` (with any attached images, audio, sketches or a
    recorded narration) in `state`, and notes."""
    previous, script, where = state.get("intent") or {}, _script(state), project_state(state)
    analysis = analyse(text, script, where, previous.get("intent"))
    if narration and not text.strip():  # a recording sent as the narration needs no words
        analysis = Analysis("edit_audio", 0.95, {"shots": [], "operation": "voiceover"})
    # the content policy, before any work: the words, and the names of attached files (the
    # moderation endpoint, when configured, for messages that may put words on screen)
    files = [Path(p).name for p in [*(images or []), *(music or []), *(sketches or []), *(narration or [])]]
    refused, notes = policy.review([text, *files], bool(files) or analysis.intent in WRITES_CONTENT)
    if refused:
        return Analysis(analysis.intent, 1.0, {"error": f"policy_{refused.category}"}), [
            f"policy:{refused.category}"
        ]
    split = split_requests(text) if analysis.intent != "create" and "error" not in analysis.slots else None
    if split:  # two requests: the first is done, the second said, not dropped
        first = analyse(split[0], script, where, previous.get("intent"))
        later = analyse(split[1], script, where)
        if first.intent not in ("unclear", "create") and first.confidence >= 0.6:
            analysis = first
        if later.intent not in ("unclear", analysis.intent) and later.confidence >= 0.6:
            notes.append(note("second_request", rest=split[1]))
    analysis = follow_up(text, analysis, previous, script)
    if (sketches or images) and "error" not in analysis.slots:
        analysis = _with_image(analysis, sketches or images or [], state, text, bool(sketches))
    if (
        not (narration or music)
        and (state.get("settings") or {}).get("voiceover")
        and re.search(DROP_RECORDING_WORDS, text, flags=re.I)
    ):  # the recording out: the synthesised voice narrates again
        analysis = Analysis("edit_audio", 0.95, {"shots": [], "operation": "voiceover", "enabled": False})
    if narration or music:  # the file decides, whatever the words alone would have asked
        analysis = _with_music(analysis, narration or music or [], state, text, bool(narration))
    consult = context.llm_router == "always" and not analysis.slots.get("command")
    if (
        "error" not in analysis.slots
        and (consult or analysis.confidence < LLM_BELOW)
        and context.use_llm
        and llm.configured()
    ):
        try:
            analysis = _ask_llm(text, state, context.model, analysis)
            notes.append("llm_router")
        except Exception as exc:  # any provider failure falls back to the offline analyser
            notes.append(f"llm_fallback:{type(exc).__name__}")
    if "error" not in analysis.slots:
        if analysis.intent != "unclear" and analysis.confidence < needed_confidence(analysis, state):
            return _question(analysis), notes
        error = _check(analysis, state)
        if error:
            analysis.slots["error"] = error
        elif (
            analysis.intent == "create"
            and state.get("script")
            and not analysis.slots.get("new_project")
            and not analysis.slots.get("command")
        ):  # another topic while a project exists: a new project, or this one changed? asked
            analysis.slots["alternative"] = "revise_script"
            return _question(analysis), notes
    return analysis, notes


def needed_confidence(analysis: Analysis, state: ProjectState) -> float:
    """How sure the router must be to act: more for what costs a render or replaces the
    project (rendering, a new project over this one, restoring), less for what is undone
    in one word."""
    if analysis.intent == "create" and not state.get("script"):
        return CONFIDENCE_THRESHOLD
    return EXPENSIVE.get(analysis.intent, CONFIDENCE_THRESHOLD)


def _question(analysis: Analysis) -> Analysis:
    """Asking instead of acting: the two best readings, for the reply's buttons."""
    readings = [analysis.intent, analysis.slots.get("alternative")]
    readings = [r for r in dict.fromkeys(readings) if r and r != "unclear"]
    slots = {"clarify": True, "reading": analysis.intent, "readings": readings}
    return Analysis("unclear", analysis.confidence, slots)


def intent_router(state: ProjectState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Classify the newest message; reset this turn's outcome and notes."""
    text, context = last_user_text(state), run_context(runtime.context)
    language = detect_language(text, default=state.get("language") or context.language)
    # attachments are paths on this machine: only an in-process face (its own Context) may name
    # them; a served graph's client cannot make the server read a file of its choosing
    trusted = isinstance(runtime.context, Context)
    images = last_user_attachments(state, "image") if trusted else []
    music = last_user_attachments(state, "audio") if trusted else []
    sketches = last_user_attachments(state, "sketch") if trusted else []
    spoken = last_user_attachments(state, "narration") if trusted else []
    analysis, notes = decide(text, state, context, images, music, sketches, spoken)
    reset = {"outcome": {}, "gate": {}, "run": "", "notes": Overwrite(notes)}  # per-turn fields
    return {"language": language, "intent": analysis.as_dict(), **reset, **publish_version(state)}
