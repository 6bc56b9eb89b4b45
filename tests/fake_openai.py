"""A small OpenAI-compatible HTTP server on 127.0.0.1 for the LLM path: it answers
/v1/chat/completions with canned structured answers, or fails on purpose."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SCRIPT = {
    "title": "LLM Spring Story",
    "synopsis": "Written by the fake model.",
    "shots": [
        {
            "shot_type": "wide",
            "description": "a park at dawn",
            "narration": "Dawn in the park.",
            "duration": 5,
        },
        {"shot_type": "close-up", "description": "a bud opening", "narration": "A bud opens.", "duration": 3},
        {"shot_type": "medium", "description": "a girl laughing", "narration": "She laughs.", "duration": 4},
        {
            "shot_type": "aerial",
            "description": "the park from above",
            "narration": "Spring is here.",
            "duration": 6,
        },
    ],
}
CRITIQUE = "The story flows from a detail to the whole park; let the last shot linger a little longer."
INTENT = {
    "intent": "edit_visual",
    "confidence": 0.9,
    "shots": [2],
    "operation": "brightness",
    "amount": 0.2,
    "duration": None,
    "versions": [],
}


def speech_wav(text: str, rate: int = 24000) -> bytes:
    """A stand-in for synthesized speech: a 300 Hz tone, 80 ms per character, as WAV bytes."""
    import io
    import math
    import struct
    import wave

    n = int(rate * max(0.3, 0.08 * len(text)))
    frames = b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * 300 * i / rate))) for i in range(n)
    )
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(rate)
        wf.writeframes(frames)
    return buf.getvalue()


MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
"""The categories of OpenAI's moderation answer."""


def _multipart(kind: str, raw: bytes) -> dict[str, bytes | str]:
    """A multipart/form-data body's fields: files as bytes, the rest as text."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + kind.encode() + b"\r\n\r\n" + raw)
    out: dict[str, bytes | str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        out[str(name)] = payload if part.get_filename() else payload.decode("utf-8", "replace")
    return out


def _heard(audio: bytes, known: dict[str, str]) -> tuple[str, float]:
    """The words a test spoke into `audio` (by its hash) when it is a WAV with sound, and its
    length in seconds."""
    import hashlib
    import io
    import wave

    try:
        with wave.open(io.BytesIO(audio), "rb") as wf:
            frames = wf.readframes(wf.getnframes())
            seconds = wf.getnframes() / float(wf.getframerate())
    except (wave.Error, EOFError):
        return "", 0.0
    loud = max(
        (abs(int.from_bytes(frames[i : i + 2], "little", signed=True)) for i in range(0, len(frames) - 1, 2)),
        default=0,
    )
    if loud < 300:
        return "", seconds
    return known.get(hashlib.sha256(audio).hexdigest(), known.get("*", "")), seconds


class FakeOpenAI:
    """Start with `with FakeOpenAI(mode) as srv:`; `srv.url` is the base URL, `srv.calls` the
    request bodies. mode: 'ok' answers, 'error' returns HTTP 500, 'garbage' returns non-JSON, 'slow' answers
    after 3 s (past a short client timeout);
    `intent` replaces the router's canned decision. Moderation requests are kept apart in
    `srv.moderations`; `srv.moderation_mode = "error"` fails them alone. Transcriptions
    (`/audio/transcriptions`, multipart) answer with `srv.transcripts[sha256 of the file]`, the
    words the test spoke into it, spread over the file's speech; a file it was not told of, or
    one that is not a WAV with sound in it, gets no words (`transcripts["*"]`: the words of any
    WAV with sound, for recordings the test cannot hash, such as a browser's microphone). They are kept in `srv.transcriptions`."""

    def __init__(self, mode: str = "ok", intent: dict[str, Any] | None = None) -> None:
        self.mode = mode
        self.intent = intent or INTENT
        self.calls: list[dict[str, Any]] = []
        self.moderations: list[dict[str, Any]] = []
        self.moderation_mode = "error" if mode == "error" else "ok"
        self.paths: list[str] = []
        self.transcripts: dict[str, str] = {}
        self.transcriptions: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path.endswith("/audio/transcriptions"):
                    self._transcribe(raw)
                    return
                body = json.loads(raw)
                if self.path.endswith("/moderations"):  # kept apart: flags categories named [[name]]
                    outer.moderations.append(body)
                    if outer.moderation_mode == "error":
                        self.send_response(500)
                        self.end_headers()
                        return
                    self._moderate(body)
                    return
                outer.calls.append(body)
                outer.paths.append(self.path)
                if outer.mode == "slow":  # answers after the client's timeout
                    time.sleep(3)
                if outer.mode == "error":
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "boom"}}')
                    return
                if self.path.endswith("/audio/speech"):
                    data = speech_wav(str(body.get("input", "")))
                    self.send_response(200)
                    self.send_header("Content-Type", "audio/wav")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                schema = json.dumps(body.get("response_format", {}))
                answer = SCRIPT if "ScriptDraft" in schema else outer.intent
                content = "not json" if outer.mode == "garbage" else json.dumps(answer)
                if "response_format" not in body and outer.mode == "ok":
                    content = CRITIQUE
                if body.get("stream"):  # server-sent events, a few characters a chunk, as real servers do
                    self._stream(body, content)
                    return
                reply = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "fake"),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": content},
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _transcribe(self, raw: bytes) -> None:
                fields = _multipart(self.headers["Content-Type"], raw)
                outer.transcriptions.append({k: v for k, v in fields.items() if k != "file"})
                outer.paths.append(self.path)
                if outer.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                audio = fields.get("file", b"")
                assert isinstance(audio, bytes)
                text, seconds = _heard(audio, outer.transcripts)
                words = text.split() or []
                step = seconds / max(1, len(words))
                reply = {
                    "text": text,
                    "language": "chinese" if any("\u4e00" <= c <= "\u9fff" for c in text) else "english",
                    "duration": seconds,
                    "words": [
                        {"word": w, "start": round(i * step, 3), "end": round((i + 1) * step, 3)}
                        for i, w in enumerate(words)
                    ],
                }
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _moderate(self, body: dict[str, Any]) -> None:
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                results = []
                for text in texts:
                    named = {n: f"[[{n}]]" in str(text) for n in MODERATION_CATEGORIES}
                    results.append(
                        {
                            "flagged": any(named.values()),
                            "categories": named,
                            "category_scores": {n: 0.99 if v else 0.001 for n, v in named.items()},
                        }
                    )
                data = json.dumps(
                    {"id": "modr-1", "model": body.get("model", "fake"), "results": results}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict[str, Any], content: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = [content[i : i + 8] for i in range(0, len(content), 8)]
                for i, piece in enumerate([*pieces, None]):
                    delta = {"role": "assistant", "content": piece} if piece is not None else {}
                    chunk = {
                        "id": "chatcmpl-1",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": body.get("model", "fake"),
                        "choices": [
                            {
                                "index": 0,
                                "delta": delta,
                                "finish_reason": None if piece is not None else "stop",
                            }
                        ],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    del i
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
