"""One attempt, many waiters, across threads and event loops: the bridge the token cache stands on.

A :class:`Flight` is started by the first caller that needs a token (the leader); everyone who asks while it
is in the air waits for its outcome instead of starting their own: threads on a ``threading.Event``,
coroutines on a future of their own event loop, resolved thread-safely. When the attempt fails, every waiter
fails with (a copy of) the same error, at once: nobody retries in turn behind a lock.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._deadline import Deadline
from ._exceptions import APITimeoutError

if TYPE_CHECKING:  # asyncio costs ~60 ms to import; sync-only programs never need it
    import asyncio

__all__ = ["Flight"]

T = TypeVar("T")


class Flight(Generic[T]):
    """The outcome of one attempt, for everyone who waits on it."""

    def __init__(self) -> None:
        self.leader = threading.get_ident()
        self._done = threading.Event()
        self._guard = threading.Lock()
        self._result: T | None = None
        self._error: BaseException | None = None
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def succeed(self, result: T) -> None:
        self._finish(result, None)

    def fail(self, error: BaseException) -> None:
        self._finish(None, error)

    def _finish(self, result: T | None, error: BaseException | None) -> None:
        with self._guard:
            self._result, self._error = result, error
            self._done.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits there any more
                loop.call_soon_threadsafe(_settle, future)

    def wait(self, deadline: Deadline, what: str) -> T:
        """Block this thread until the flight lands (or ``deadline`` passes); its result, or its error raised."""
        if not self._done.wait(deadline.remaining()):
            raise APITimeoutError(f"the call's timeout ran out while waiting for {what}")
        return self._outcome()

    async def wait_async(self, deadline: Deadline, what: str) -> T:
        """Wait without blocking the event loop; the same outcome as :meth:`wait`."""
        import asyncio

        loop = asyncio.get_running_loop()
        with self._guard:
            if self._done.is_set():
                return self._outcome()
            future: asyncio.Future[None] = loop.create_future()
            self._waiters.append((loop, future))
        try:
            await asyncio.wait_for(asyncio.shield(future), deadline.remaining())
        except asyncio.TimeoutError:
            raise APITimeoutError(f"the call's timeout ran out while waiting for {what}") from None
        return self._outcome()

    def _outcome(self) -> T:
        if self._error is not None:
            raise _copy(self._error)
        assert self._result is not None
        return self._result


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _copy(error: BaseException) -> BaseException:
    """A copy of the leader's error for each waiter, so concurrent raises do not share one traceback."""
    try:
        twin: Any = copy.copy(error)
    except Exception:
        return error
    return twin if type(twin) is type(error) else error
