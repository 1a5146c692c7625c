"""Guards of the intake site: failed-attempt throttling, office sessions, CSRF.

* An address that gave ``ATTEMPTS`` wrong access codes or office passwords within
  ``WINDOW`` seconds is refused (429, ``too-many-attempts``) until the oldest of
  them is a window old: guessing a 79-bit code at ten a minute is hopeless.
* The office signs in with its password and gets a session: a random token kept
  in memory (a restart signs everybody out), in a cookie that is HttpOnly and
  SameSite=Strict, never in a URL.
* Every form that changes state carries a CSRF token equal to the ``csrf``
  cookie (HttpOnly, SameSite=Strict): a page of another site can neither read
  the cookie nor send it.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["ATTEMPTS", "WINDOW", "RateLimiter", "Sessions", "tokens_match"]

ATTEMPTS = 10
WINDOW = 60.0
SESSION_SECONDS = 8 * 3600


def tokens_match(a: str | None, b: str | None) -> bool:
    """Two tokens equal (compared in constant time), neither empty."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


class RateLimiter:
    """Counts failed attempts per address within a sliding window."""

    def __init__(
        self,
        attempts: int = ATTEMPTS,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.attempts = attempts
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        horizon = self.clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures

    def wait(self, address: str) -> int:
        """Seconds ``address`` must wait before its next attempt (0: go ahead)."""
        with self._lock:
            failures = self._recent(address)
            if len(failures) < self.attempts:
                return 0
            return max(1, int(failures[0] + self.window - self.clock() + 0.999))

    def fail(self, address: str) -> None:
        """Count one failed attempt of ``address``."""
        with self._lock:
            self._recent(address).append(self.clock())


class Sessions:
    """Office sessions: random tokens with an expiry, kept in memory."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()

    def open(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = self.clock() + SESSION_SECONDS
        return token

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            now = self.clock()
            for known, expiry in list(self._tokens.items()):
                if expiry <= now:
                    del self._tokens[known]
            # A dict look-up by a 256-bit random token: its timing cannot be
            # turned into the token.
            return token in self._tokens

    def close(self, token: str | None) -> None:
        with self._lock:
            self._tokens.pop(token or "", None)
