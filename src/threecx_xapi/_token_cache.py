"""One bearer token per principal in the process, fetched single-flight.

3CX keeps one live token per principal: fetching a new token revokes the previous one. So every client of
the process that uses the same token URL, client id and secret (two ``XAPI`` instances, an ``XAPI`` and an
``AsyncXAPI``, ``with_options`` copies) shares one :class:`TokenCache` from :func:`shared_cache`, and a
cache refreshes through one :class:`~._single_flight.Flight` at a time, whoever asks, on whatever thread or
event loop. A 401 drops the cached token only if it is the one that failed.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ._deadline import Deadline
from ._single_flight import Flight

__all__ = ["Token", "TokenCache", "forget_all", "shared_cache"]

_WHAT = "the token request of another call"


@dataclass(frozen=True)
class Token:
    """A bearer token and when to stop using it."""

    value: str = field(repr=False)
    refresh_at: float  # on the monotonic clock; inf: until a 401
    expires_at: float | None = None  # wall clock (time.time), for a token store; None when unknown

    @classmethod
    def forever(cls, value: str) -> Token:
        return cls(value, math.inf, None)


class TokenCache:
    """A token and the refresh in progress, if any; thread- and event-loop-safe."""

    def __init__(self) -> None:
        self._token: Token | None = None
        self._flight: Flight[Token] | None = None
        self._guard = threading.Lock()

    @property
    def token(self) -> Token | None:
        return self._token

    def fresh(self, now: float) -> str | None:
        token = self._token  # one attribute read: atomic, so the fast path needs no lock
        return token.value if token is not None and now < token.refresh_at else None

    def _join(self, failed: str | None, now: float, *, sync: bool) -> tuple[str | None, Flight[Token] | None, bool]:
        """Under the guard: a fresh value, or the flight to wait on and whether we lead it."""
        with self._guard:
            if failed is not None and self._token is not None and self._token.value == failed:
                self._token = None
            value = self.fresh(now)
            if value is not None:
                return value, None, False
            flight = self._flight
            if flight is not None and not (sync and flight.leader == threading.get_ident()):
                return None, flight, False
            # No flight, or a sync call waiting for one led by a coroutine on this very thread (a sync call
            # made from inside the event loop): blocking would stop the loop that has to land it; fly our own.
            flight = Flight()
            if self._flight is None:
                self._flight = flight
            return None, flight, True

    def _land(self, flight: Flight[Token], token: Token | None, error: BaseException | None) -> None:
        with self._guard:
            if token is not None:
                self._token = token
            if self._flight is flight:
                self._flight = None
        if error is not None:
            flight.fail(error)
        else:
            assert token is not None
            flight.succeed(token)

    def get(self, fetch: Callable[[], Token], *, now: float, deadline: Deadline, failed: str | None = None) -> str:
        """A usable token value: cached, awaited from another caller's fetch, or fetched with ``fetch``."""
        if failed is None and (value := self.fresh(now)) is not None:
            return value
        value, flight, leader = self._join(failed, now, sync=True)
        if value is not None:
            return value
        assert flight is not None
        if not leader:
            return flight.wait(deadline, _WHAT).value
        try:
            token = fetch()
        except BaseException as error:
            self._land(flight, None, error)
            raise
        self._land(flight, token, None)
        return token.value

    async def aget(
        self,
        fetch: Callable[[], Awaitable[Token]],
        *,
        now: float,
        deadline: Deadline,
        failed: str | None = None,
    ) -> str:
        """The async twin of :meth:`get`; waiting never blocks the event loop."""
        if failed is None and (value := self.fresh(now)) is not None:
            return value
        value, flight, leader = self._join(failed, now, sync=False)
        if value is not None:
            return value
        assert flight is not None
        if not leader:
            return (await flight.wait_async(deadline, _WHAT)).value
        try:
            token = await fetch()
        except BaseException as error:
            self._land(flight, None, error)
            raise
        self._land(flight, token, None)
        return token.value


_shared: dict[tuple[str, str, str], TokenCache] = {}
_shared_guard = threading.Lock()


def shared_cache(token_url: str, client_id: str, fingerprint: str) -> TokenCache:
    """The process's cache for one principal: the same object for every client with these credentials.

    ``fingerprint`` (of the secret) is part of the key, so a client with a wrong or rotated secret never
    borrows the token another secret earned.
    """
    key = (token_url, client_id, fingerprint)
    with _shared_guard:
        cache = _shared.get(key)
        if cache is None:
            cache = _shared[key] = TokenCache()
        return cache


def forget_all() -> None:
    """Drop every shared cache (tests; or after a fork, to make the child fetch its own token)."""
    with _shared_guard:
        _shared.clear()
