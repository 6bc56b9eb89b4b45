"""The web app's guards, around Chainlit's own server (the face; no graph here):

- **Origins.** Requests that change something (any method but GET/HEAD/OPTIONS) and socket.io
  connections are accepted only from the app's own origin (the Host it was reached at) or the
  configured public URLs (CINECHAT_PUBLIC_URL); CORS answers only those. Chainlit's default
  `allow_origins = ["*"]` with credentials echoed any site.
- **Headers** on every response: a Content-Security-Policy of the app's own origin (plus the
  hashes of the inline scripts Chainlit's page carries; on the chat page alone, `'unsafe-eval'`
  for Chainlit's custom elements, which it compiles in the browser), `frame-ancestors 'none'`,
  `X-Frame-Options: DENY`, `nosniff`, `Referrer-Policy: same-origin`, a Permissions-Policy,
  and HSTS when the request came over TLS.
- **Login limits** per user name and per client address: after a few failures each further try
  waits twice as long as the one before, up to a lock of 15 minutes; the answer is HTTP 429
  with Retry-After and the wait in words. The app keeps the counts in the users database, so
  all the workers of a cluster share them.
- **Logout that logs out**: tokens carry their issue time to the microsecond; a logout records
  the user's revocation time and every token issued until then is refused.
- **The client address** of the request being handled, for the audit log.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import hashlib
import json
import math
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

client_address: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_address", default=None)
"""The address of the client whose request or socket event is being handled."""

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
LOOPBACK = ("127.0.0.1", "::1")
"""Where cinechat's own balancer connects from: only its X-Forwarded-* headers are believed."""


def served_over_tls() -> bool:
    """Whether browsers reach this process over TLS: it serves TLS itself (CHAINLIT_SSL_CERT),
    or it is a worker behind the balancer that terminates it (CINECHAT_BEHIND_TLS)."""
    return bool(os.environ.get("CHAINLIT_SSL_CERT") or os.environ.get("CINECHAT_BEHIND_TLS"))


def public_origins() -> list[str]:
    """The origins besides the app's own that may call it: CINECHAT_PUBLIC_URL, comma-separated
    (`https://video.example.com`); none by default."""
    found = []
    for url in os.environ.get("CINECHAT_PUBLIC_URL", "").split(","):
        parts = urlsplit(url.strip())
        if parts.scheme and parts.netloc:
            found.append(f"{parts.scheme}://{parts.netloc}")
    return found


def same_origin(origin: str | None, host: str | None, scheme: str = "http") -> bool:
    """Whether `origin` is the origin the request was addressed to (its Host header)."""
    if not origin or not host:
        return False
    parts = urlsplit(origin)
    return parts.netloc.lower() == host.lower() and parts.scheme in ("http", "https")


def origin_allowed(origin: str | None, host: str | None) -> bool:
    """A request without Origin (not from a browser's cross-origin call), the app's own origin,
    or a configured public URL."""
    if not origin:
        return True
    return same_origin(origin, host) or origin.rstrip("/") in public_origins()


def socket_origin_check(origin: str | None, environ: dict[str, Any]) -> bool:
    """engine.io's origin check (its `cors_allowed_origins` callable)."""
    return origin_allowed(origin, environ.get("HTTP_HOST"))


class ScriptHashes:
    """The sha256 sources of the inline scripts of the page served (for the CSP)."""

    def __init__(self) -> None:
        self.hashes: set[str] = set()

    def note(self, page: str) -> str:
        """Remember the hashes of `page`'s inline scripts; returns the page unchanged."""
        for body in re.findall(r"<script>(.*?)</script>", page, flags=re.S):
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            self.hashes.add(f"'sha256-{digest}'")
        return page


SCRIPTS = ScriptHashes()


def _media_origin() -> str:
    """The object store's origin, from which the page loads presigned media ('' without one)."""
    from tools.media import backend

    remote = backend()
    return f" {remote.origin()}" if remote is not None else ""


ELEMENT_PAGES: list[Any] = []
"""The endpoints whose HTML page shows Chainlit's custom elements (public/elements/*.jsx; the
app adds Chainlit's chat page). Chainlit fetches an element's JSX, compiles it in the browser
and runs it with `new Function` (react-runner), which a CSP without 'unsafe-eval' refuses:
these pages' policy allows it, every other response's (our own pages, files, the API) does not."""


def policy(custom_elements: bool = False) -> str:
    """The Content-Security-Policy; `custom_elements`: of a page in ELEMENT_PAGES."""
    from tools.stt import configured

    # the microphone's recorder loads its AudioWorklet from a blob: URL the page itself made
    evaluates = ["'unsafe-eval'"] if custom_elements else []
    scripts = " ".join(["'self'", *evaluates, *sorted(SCRIPTS.hashes), *(["blob:"] if configured() else [])])
    media = _media_origin()
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",  # React and Radix set element styles inline
            f"img-src 'self' data: blob:{media}",
            f"media-src 'self' blob: data:{media}",
            "font-src 'self' data:",
            f"connect-src 'self'{media}",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(secure: bool, custom_elements: bool = False) -> list[tuple[bytes, bytes]]:
    """The headers every response gets (`custom_elements`: a page in ELEMENT_PAGES)."""
    headers = [
        (b"content-security-policy", policy(custom_elements).encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), geolocation=(), payment=(), usb=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if secure:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


ASGIApp = Callable[
    [dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]


class Guard:
    """ASGI middleware: the client address in context, the origin check for changes, the login
    limits (a locked name or address gets 429 before its password is looked at), and the
    security headers on every HTTP response."""

    def __init__(self, app: ASGIApp, limits: LoginLimiter | None = None) -> None:
        self.app = app
        self.limits = limits or LIMITS

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Guard one request or socket."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        client = scope.get("client") or ("", 0)
        forwarded = headers.get("x-forwarded-for", "")
        # behind cinechat's own balancer (loopback): the nearest proxy's entry, the last, is the browser
        address = forwarded.split(",")[-1].strip() if forwarded and client[0] in LOOPBACK else client[0]
        token = client_address.set(address or None)
        try:
            if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
                if not origin_allowed(headers.get("origin"), headers.get("host")):
                    await _refuse(send, 403, "cross-origin request refused")
                    return
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            if scope["method"] == "POST" and scope["path"].rstrip("/").endswith("/login"):
                receive = await self._limited(scope, receive, send, address)
                if receive is None:
                    return
            # HSTS over TLS: served by this process, or by cinechat's balancer (loopback) in front
            secure = scope.get("scheme") == "https" or (
                headers.get("x-forwarded-proto") == "https" and client[0] in LOOPBACK
            )

            async def with_headers(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                    # the router has put the endpoint it chose in the scope by now
                    page = any(scope.get("endpoint") is e for e in ELEMENT_PAGES)
                    message = {**message, "headers": kept + security_headers(secure, page)}
                await send(message)

            await self.app(scope, receive, with_headers)
        finally:
            client_address.reset(token)

    async def _limited(self, scope: dict[str, Any], receive: Any, send: Any, address: str | None) -> Any:
        """Read the login form; answer 429 (and return None) while its name or address must
        wait, else return a `receive` that replays the form to the app."""
        from urllib.parse import parse_qs

        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        name = (parse_qs(body.decode("utf-8", "replace")).get("username") or [""])[0]
        wait = await asyncio.to_thread(self.limits.retry_after, name, address)  # may ask the database
        if wait > 0:
            await asyncio.to_thread(self.limits.refused, name, address, wait)
            text = json.dumps({"detail": f"Too many failed logins. Try again in {wait_words(wait)}."})
            retry = str(max(1, math.ceil(wait))).encode()
            await _refuse(send, 429, text, [(b"retry-after", retry)], b"application/json")
            return None
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return dict(await receive())

        return replay


async def _refuse(
    send: Any,
    status: int,
    text: str,
    extra: list[tuple[bytes, bytes]] | None = None,
    kind: bytes = b"text/plain",
) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind + b"; charset=utf-8"),
                *(extra or []),
                *security_headers(False),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class MemoryCounts:
    """Failed-login counts in this process's memory (the default; tests, one-process servers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fails: dict[str, tuple[int, float]] = {}

    def get(self, keys: list[str]) -> dict[str, tuple[int, float]]:
        """key -> (failures, time of the last) for the keys that have any."""
        with self._lock:
            return {k: self._fails[k] for k in keys if k in self._fails}

    def add(self, keys: list[str], now: float, window: float) -> None:
        """One more failure per key; counts older than `window` start again (and are dropped)."""
        with self._lock:
            for key in keys:
                count, last = self._fails.get(key, (0, 0.0))
                self._fails[key] = (1 if now - last > window else count + 1, now)
            for key in [k for k, (_, last) in self._fails.items() if now - last > window]:
                del self._fails[key]

    def clear(self, key: str) -> None:
        """Forget a key."""
        with self._lock:
            self._fails.pop(key, None)


class LoginCounts(Protocol):
    """Where failed-login counts are kept: memory, or the users database (`graph.chat_store`),
    which every worker of a cluster shares, so a client moved to another worker or the
    balancer's round robin gains no tries."""

    def get(self, keys: list[str]) -> dict[str, tuple[int, float]]:
        """key -> (failures, time of the last) for the keys that have any."""
        ...

    def add(self, keys: list[str], now: float, window: float) -> None:
        """One more failure per key; counts older than `window` start again."""
        ...

    def clear(self, key: str) -> None:
        """Forget a key."""
        ...


class LoginLimiter:
    """Failed logins per user name and per client address. `FREE` failures cost nothing; each
    one after that doubles the wait before the next try (1 s, 2 s, 4 s, …) up to `LOCK`
    seconds; a success clears the name's count. Failures older than `WINDOW` are forgotten.
    The counts live in `counts` (blocking calls: run them off the event loop)."""

    FREE = 5
    LOCK = 900.0
    WINDOW = 3600.0
    ADDRESS_FREE = 20  # one address may try several names (a shared office), but not forever

    def __init__(self, counts: LoginCounts | None = None) -> None:
        self.counts: LoginCounts = counts or MemoryCounts()

    @staticmethod
    def _keys(name: str, address: str | None) -> list[str]:
        return [f"user:{name.lower()}", *([f"addr:{address}"] if address else [])]

    def _wait(self, found: tuple[int, float] | None, free: int, now: float) -> float:
        count, last = found or (0, 0.0)
        if now - last > self.WINDOW:
            return 0.0
        over = count - free  # `free` failures cost nothing; then 1 s, 2 s, 4 s, … up to LOCK
        if over < 0:
            return 0.0
        return max(0.0, last + min(self.LOCK, 2.0**over) - now)

    def retry_after(self, name: str, address: str | None, now: float | None = None) -> float:
        """Seconds until this name (from this address) may try again; 0 when it may now."""
        now = time.time() if now is None else now
        keys = self._keys(name, address)
        found = self.counts.get(keys)
        waits = [self._wait(found.get(keys[0]), self.FREE, now)]
        if address:
            waits.append(self._wait(found.get(keys[1]), self.ADDRESS_FREE, now))
        return max(waits)

    def failed(self, name: str, address: str | None, now: float | None = None) -> None:
        """Count a failed try."""
        self.counts.add(self._keys(name, address), time.time() if now is None else now, self.WINDOW)

    def succeeded(self, name: str) -> None:
        """A right password: the name starts over (the address keeps its count)."""
        self.counts.clear(f"user:{name.lower()}")

    def refused(self, name: str, address: str | None, wait: float) -> None:
        """A try refused for its wait: told to `on_refused` (the audit log)."""
        if self.on_refused:
            self.on_refused(name, address, wait)

    on_refused: Callable[[str, str | None, float], None] | None = None


LIMITS = LoginLimiter()
"""This process's login limits."""


def form_token(secret: str, user: str, page: str) -> str:
    """The anti-forgery token of a user's forms on one page: an HMAC of the app's secret, so
    another site cannot make one (on top of the origin check every POST gets)."""
    import hmac

    return hmac.new(secret.encode(), f"{page}:{user}".encode(), hashlib.sha256).hexdigest()[:40]


def form_token_ok(secret: str, user: str, page: str, given: object) -> bool:
    """Whether a submitted form carries the user's token for that page."""
    import hmac

    return isinstance(given, str) and hmac.compare_digest(given, form_token(secret, user, page))


def wait_words(seconds: float, lang: str = "en") -> str:
    """A wait said plainly, rounded up."""
    whole = max(1, math.ceil(seconds))
    if lang == "zh":
        return f"{whole} 秒" if whole < 60 else f"{math.ceil(whole / 60)} 分钟"
    return f"{whole} seconds" if whole < 60 else f"{math.ceil(whole / 60)} minutes"


def create_token(data: Any) -> str:
    """Chainlit's login token (same claims and lifetime), with the issue time to the
    microsecond so that a logout can void exactly the tokens issued before it."""
    import jwt as pyjwt
    from chainlit.auth.jwt import get_jwt_secret
    from chainlit.config import config

    now = time.time()
    claims = {**data.to_dict(), "iat": now, "exp": int(now + config.project.user_session_timeout)}
    secret = get_jwt_secret()
    assert secret
    return pyjwt.encode(claims, secret, algorithm="HS256")


def checked_decoder(
    original: Callable[[str], Any], revoked_before: Callable[[str], float]
) -> Callable[[str], Any]:
    """Chainlit's token decoder, refusing a token issued at or before its user's last logout."""
    import jwt as pyjwt
    from chainlit.auth.jwt import get_jwt_secret

    def decode(token: str) -> Any:
        claims = pyjwt.decode(
            token, get_jwt_secret() or "", algorithms=["HS256"], options={"verify_signature": True}
        )
        if float(claims.get("iat", 0)) <= revoked_before(str(claims.get("identifier", ""))):
            raise pyjwt.InvalidTokenError("logged out")
        return original(token)

    return decode
