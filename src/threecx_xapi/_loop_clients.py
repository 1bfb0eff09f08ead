"""An ``httpx.AsyncClient`` per event loop, so one ``AsyncXAPI`` serves ``asyncio.run`` after ``asyncio.run``.

Pooled connections belong to the loop that opened them; reused from another loop they fail with "Event loop
is closed". A client the SDK made is therefore kept per loop (the first loop gets the original) and closed
when its loop shuts down (``asyncio.run`` finalises async generators before closing the loop; one of ours
closes the client); a client the caller passed in is the caller's to manage and is used as is.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:  # asyncio costs ~60 ms to import; sync-only programs never need it
    import asyncio

__all__ = ["LoopClients"]


class LoopClients:
    """``get()`` returns the client for the running loop; ``make`` builds one for each further loop."""

    def __init__(self, first: httpx.AsyncClient, make: Callable[[], httpx.AsyncClient] | None) -> None:
        self.first = first
        self._make = make
        self._first_loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._others: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._closers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
        self._guard = threading.Lock()

    def get(self) -> httpx.AsyncClient:
        if self._make is None:
            return self.first
        import asyncio

        loop = asyncio.get_running_loop()
        with self._guard:
            if self._first_loop is None:
                self._first_loop = weakref.ref(loop)
                self._closers[loop] = _close_at_shutdown(self.first)
            if self._first_loop() is loop:
                return self.first
            http = self._others.get(loop)
            if http is None:
                http = self._others[loop] = self._make()
                self._closers[loop] = _close_at_shutdown(http)
            return http

    async def aclose(self) -> None:
        """Close the clients of the running loop (and the first, if never used or used by this loop)."""
        import asyncio

        loop = asyncio.get_running_loop()
        with self._guard:
            first_loop = self._first_loop() if self._first_loop is not None else None
            other = self._others.pop(loop, None)
        if other is not None:
            await other.aclose()
        if self._first_loop is None or first_loop is loop:
            await self.first.aclose()


async def _closing(http: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await http.aclose()


def _close_at_shutdown(http: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """An async generator, started here on the running loop, whose finalisation closes ``http``.

    The loop tracks started async generators and finalises them in ``shutdown_asyncgens`` (which
    ``asyncio.run`` calls), on that loop, before it closes. The caller keeps the generator alive until then.
    """
    closer = _closing(http)
    with contextlib.suppress(StopIteration):  # it ran to its first ``yield`` without awaiting: tracked now
        closer.asend(None).send(None)
    return closer
