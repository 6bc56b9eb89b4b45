"""One error type for requests that cannot be carried out, with a code from one registry.

Tools raise `RequestError(code, **details)`; the responder turns the code into a sentence in the
user's language from the 'errors' catalogue (tools/data/text/<lang>/errors.json). A test checks
that every registered code has a reply in both languages, so no user meets a bare code."""

from __future__ import annotations

from typing import Any

CODES: dict[str, str] = {
    # messages
    "empty": "the message has no text",
    "too_long": "the message is longer than the router reads",
    # project state
    "no_script": "an edit or render was asked for before any script exists",
    "no_render": "something that needs a rendered video was asked for before a render",
    # shots and lengths
    "bad_shot": "a shot number that the script does not have",
    "bad_duration": "a total length outside what the writer makes",
    "bad_shot_duration": "a shot length outside its bounds",
    "cannot_keep_total": "the other shots cannot give or take the time to keep the total",
    "too_many_shots": "more shots than a script may hold",
    "cannot_delete_all": "deleting every shot",
    "too_short_for_shots": "a total too short for the shots",
    "how_long": "a length change without a length",
    "what_to_add": "an insert without what to show",
    "what_to_show": "a rewrite without the new content",
    "what_to_change": "a story change that names no operation",
    "same_style": "a change of tone to the style the project already has",
    "which_shot": "a shot operation with no shot named",
    "already_there": "an element to add that the shots already show",
    "which_style": "a change of tone that names no style",
    "what_subject": "a change of subject that does not say to what",
    "not_in_shots": "a subject to replace that no shot shows",
    "which_two_shots": "a swap without two shots",
    "where_to_move": "a move that names no place for the shot",
    "which_other_shot": "'not that one' when the shot meant cannot be told",
    # versions
    "unknown_version": "a version label this project never had",
    "nothing_to_undo": "undo with nothing before",
    "nothing_to_redo": "redo with nothing undone",
    "already_current": "restore of the version already shown",
    "no_versions": "a version operation on a thread with no versions",
    "nothing_to_compare": "compare without two versions",
    # edits
    "not_yet": "an operation that is understood but not supported",
    "what_text": "a title or overlay without its text",
    "which_music": "a music change without a style",
    "which_recording": "a recorded narration asked for without a recording",
    "which_voice": "a voice change without a voice or a rate",
    "unknown_voice": "a voice that does not exist",
    "bad_volume": "a volume outside its range",
    "bad_fps": "a frame rate outside 12..60",
    "bad_format": "an aspect or resolution that is not offered",
    "no_boundary": "a transition where no boundary between shots is",
    # uploads
    "image_missing": "an image path that does not exist",
    "image_invalid": "a file that is not a readable image",
    "image_too_large": "an image with too many pixels",
    "which_shot_image": "an image with no shot named for it",
    "audio_missing": "an audio path that does not exist",
    "audio_invalid": "a file that is not playable audio",
    "audio_too_large": "an audio file over the size limit",
    "audio_too_long": "an audio file over the length limit",
    "audio_too_short": "an audio file too short to be a music bed",
    "audio_not_file": "an audio path that is a folder, a device or a pipe, not a file",
    "image_not_file": "an image path that is a folder, a device or a pipe, not a file",
    # voice messages (tools/stt.py)
    "voice_invalid": "a voice message that is not a playable audio file",
    "voice_silent": "a voice message with no sound in it",
    "voice_too_long": "a voice message over the length limit",
    "voice_unconfigured": "a voice message with no transcription endpoint configured",
    "voice_failed": "the transcription endpoint failed",
    "voice_no_words": "a voice message in which the transcription heard no words",
    # sketches (tools/sketch.py)
    "sketch_blank": "a sketch with no lines on it",
    "sketch_unreadable": "a picture sent as a sketch that is not a line drawing",
    # the beat (tools/beats.py)
    "beats_silent": "cut to the beat of a song that is silent",
    "beats_none": "cut to the beat of a song without a steady beat",
    "beat_no_music": "cut to the beat while the music is off",
    # content policy (tools/policy.py)
    "policy_minors_sexual": "sexual content involving minors",
    "policy_graphic_violence": "graphic violence or gore",
    "policy_hate": "a call for violence against a group of people",
    "policy_self_harm": "instructions for suicide or self-harm",
    "policy_illegal_goods": "buying, selling or making illegal drugs, weapons or counterfeit money",
}


class RequestError(ValueError):
    """A request that cannot be carried out as asked; `code` is registered in CODES and
    `details` fill in its reply. The project is left as it was."""

    def __init__(self, code: str, **details: Any) -> None:
        if code not in CODES:
            raise KeyError(f"unregistered error code {code!r}: add it to tools.errors.CODES")
        super().__init__(code)
        self.code = code
        self.details = details
