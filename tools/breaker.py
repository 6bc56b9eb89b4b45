"""Circuit breakers for the configured providers (the LLM, speech, diffusion): after
`THRESHOLD` failures in a row a provider is skipped for `COOLDOWN` seconds, so a dead endpoint
costs one timeout per cool-down instead of one per message or per shot; the caller's offline
fallback is used and the reply says why. After the cool-down one call is let through (half
open): a success closes the breaker, a failure opens it again. Per process, thread-safe."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def _setting(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class CircuitOpen(RuntimeError):
    """The provider failed repeatedly and is skipped until its cool-down ends."""

    def __init__(self, name: str, retry_in: float) -> None:
        super().__init__(f"{name} skipped after repeated failures; retried in {retry_in:.0f}s")
        self.name = name
        self.retry_in = retry_in


@dataclass
class Breaker:
    """One provider's breaker."""

    name: str
    threshold: int = field(default_factory=lambda: int(_setting("CINECHAT_BREAKER_FAILURES", 3)))
    cooldown: float = field(default_factory=lambda: _setting("CINECHAT_BREAKER_COOLDOWN", 60.0))
    failures: int = 0
    opened: float | None = None
    clock: Callable[[], float] = time.monotonic
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def state(self) -> str:
        """'closed', 'open' or 'half_open' (the cool-down is over: one call may try)."""
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self.opened is None:
            return "closed"
        return "half_open" if self.clock() - self.opened >= self.cooldown else "open"

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn` through the breaker: raises CircuitOpen while open, else `fn`'s result or
        its exception (which counts as a failure)."""
        with self._lock:
            if self._state() == "open":
                assert self.opened is not None
                raise CircuitOpen(self.name, self.cooldown - (self.clock() - self.opened))
        try:
            result = fn(*args, **kwargs)
        except Exception:
            with self._lock:
                self.failures += 1
                if self.failures >= self.threshold or self.opened is not None:
                    self.opened = self.clock()  # (re)opened: a half-open try failed too
            raise
        with self._lock:
            self.failures, self.opened = 0, None
        return result


_breakers: dict[str, Breaker] = {}
_registry_lock = threading.Lock()


def breaker(name: str) -> Breaker:
    """The process's breaker for a provider ('llm', 'speech', 'diffusion')."""
    with _registry_lock:
        if name not in _breakers:
            _breakers[name] = Breaker(name)
        return _breakers[name]


def reset() -> None:
    """Close every breaker (tests, or after the settings change)."""
    with _registry_lock:
        _breakers.clear()
