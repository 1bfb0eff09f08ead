"""Running one function against many PBXs at once, bounded, each failure kept as that PBX's outcome.

The one implementation behind ``Fleet.run`` (threads), ``AsyncFleet.run`` (tasks under a semaphore) and the
command line's ``--profile a,b,c`` (threads). Targets are whatever the caller connects with (an ``XAPI``, a
command line connection); ``version_of`` reads the PBX's ``X-3CX-Version`` from a target after the function
ran. An exception from the function (``Exception``, not ``KeyboardInterrupt``) becomes that PBX's error,
with a 404 or 405 that shows the PBX lacks the operation turned into ``UnsupportedOperationError``; the others
run on. Outcomes come out in name order: ``each_in_threads`` yields each as soon as it and every name before it
are done, so a caller can print while the rest still run.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar

from ._exceptions import APIStatusError
from ._fleet_result import FleetResult, PBXOutcome
from ._unsupported import unsupported_operation
from ._version import VERSION_HEADER

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = ["DEFAULT_CONCURRENCY", "check_concurrency", "each_in_threads", "run_in_tasks", "run_in_threads"]

DEFAULT_CONCURRENCY = 16

C = TypeVar("C")
T = TypeVar("T")


def check_concurrency(concurrency: int) -> int:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive int (PBXs at once), not {concurrency!r}")
    return concurrency


def _failed(name: str, error: Exception, version: str | None, started: float) -> PBXOutcome[T]:
    error = unsupported_operation(error)
    if version is None and isinstance(error, APIStatusError):  # e.g. the token request was refused
        version = error.response.headers.get(VERSION_HEADER)
    return PBXOutcome(name, None, error, version, time.perf_counter() - started)


def _one(name: str, target: C, fn: Callable[[C], T], version_of: Callable[[C], str | None]) -> PBXOutcome[T]:
    started = time.perf_counter()
    try:
        value = fn(target)
    except Exception as exc:
        return _failed(name, exc, version_of(target), started)
    return PBXOutcome(name, value, None, version_of(target), time.perf_counter() - started)


def each_in_threads(
    targets: Mapping[str, C],
    fn: Callable[[C], T],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    version_of: Callable[[C], str | None] = lambda target: None,
) -> Iterator[PBXOutcome[T]]:
    """``fn`` on every target in at most ``concurrency`` threads; outcomes in name order as they complete."""
    check_concurrency(concurrency)
    names = sorted(targets)
    if concurrency == 1 or len(names) <= 1:  # nothing to overlap: in this thread
        for name in names:
            yield _one(name, targets[name], fn, version_of)
        return
    from concurrent.futures import ThreadPoolExecutor  # imported when a fleet runs: `import threecx_xapi` stays lean

    pool = ThreadPoolExecutor(max_workers=min(concurrency, len(names)), thread_name_prefix="xapi-fleet")
    try:
        futures: list[Future[PBXOutcome[T]]] = [
            pool.submit(_one, name, targets[name], fn, version_of) for name in names
        ]
        for future in futures:
            yield future.result()
    except BaseException:  # Ctrl-C, or the caller stopped reading: nothing new starts, running calls finish
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def run_in_threads(
    targets: Mapping[str, C],
    fn: Callable[[C], T],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    version_of: Callable[[C], str | None] = lambda target: None,
) -> FleetResult[T]:
    """Every outcome of :func:`each_in_threads`, as a ``FleetResult``."""
    return FleetResult(each_in_threads(targets, fn, concurrency=concurrency, version_of=version_of))


async def run_in_tasks(
    targets: Mapping[str, C],
    fn: Callable[[C], Awaitable[T]],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    version_of: Callable[[C], str | None] = lambda target: None,
) -> FleetResult[T]:
    """``await fn(target)`` for every target, at most ``concurrency`` at once (a semaphore), in this loop."""
    import asyncio

    check_concurrency(concurrency)
    gate = asyncio.Semaphore(concurrency)

    async def one(name: str, target: C) -> PBXOutcome[T]:
        async with gate:
            started = time.perf_counter()
            try:
                value = await fn(target)
            except Exception as exc:
                return _failed(name, exc, version_of(target), started)
            return PBXOutcome(name, value, None, version_of(target), time.perf_counter() - started)

    outcomes = await asyncio.gather(*(one(name, targets[name]) for name in sorted(targets)))
    return FleetResult(outcomes)
