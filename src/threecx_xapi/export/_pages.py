"""Pages of every window fetched with bounded concurrency, handed out in order.

A window's first page asks for ``@odata.count`` (where the operation offers ``$count``); once it is known, the
window's other pages are independent requests (``$skip`` = page size, twice it, ...) that run side by side with
other windows' pages. Without ``$count`` a window is paged one page after the other (a full page means there may
be more), while other windows still run beside it. At most ``concurrency`` requests are in flight (a thread pool
of that size drives the caller's ``XAPI``: its retries, token and connection pool, no second HTTP path).

Rows are handed out window by window and, within a window, page by page in ``$skip`` order, as soon as they are
contiguous; pages that arrive early wait in memory, and no more than ``4 * concurrency`` pages of later windows
are fetched ahead, so memory stays bounded by pages, not by the export's size. A page shorter than asked while
more rows are counted (a silent ``$top`` cap) is followed by a request for the rest of its span, so no position
is skipped; a 400 naming a ``$top`` cap lowers the page size (the SDK's pager retries it) for every later page.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from ._errors import ExportError

__all__ = ["FetchPage", "Page", "Rows", "WindowDone", "fetch_windows"]


@dataclass(frozen=True)
class Page:
    """One page a fetch returned: where it starts, the ``$top`` the server honoured, its rows and count."""

    skip: int
    top: int
    rows: list[dict[str, Any]]
    count: int | None


FetchPage = Callable[[int, int, int], Page]
"""``fetch(window, skip, top)``: one page of one window."""


@dataclass(frozen=True)
class Rows:
    """Rows of window ``window``, next in order."""

    window: int
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class WindowDone:
    """Window ``window`` is complete: ``received`` rows came, ``count`` is its ``@odata.count`` (None: not offered)."""

    window: int
    received: int
    count: int | None
    counts: tuple[int, ...]  # every @odata.count its pages reported (they differ when the data changed meanwhile)


@dataclass
class _Window:
    index: int
    started: bool = False
    first_done: bool = False
    count: int | None = None
    counts: list[int] = field(default_factory=list)
    todo: deque[tuple[int, int]] = field(default_factory=deque)  # (skip, top) still to request
    in_flight: int = 0
    arrived: dict[int, Page] = field(default_factory=dict)  # by skip, waiting for their turn
    cursor: int = 0  # the next position to hand out

    @property
    def complete(self) -> bool:
        return self.first_done and not self.todo and not self.in_flight and not self.arrived


def _plan_after(window: _Window, page: Page, asked: int, counted: bool) -> None:
    """What ``page`` tells about the rest of its window: the remaining pages, or the rest of a short page."""
    received = len(page.rows)
    if page.count is not None:
        window.counts.append(page.count)
    if not window.first_done:
        window.first_done = True
        window.count = page.count
        if counted and page.count is not None:
            start = received
            step = max(page.top, 1)
            window.todo.extend((skip, step) for skip in range(start, page.count, step))
            return
    if received == 0:
        return  # an empty page ends its span: nothing is there to ask for again
    if counted and window.count is not None:
        end = page.skip + received
        if received < asked and end < min(page.skip + asked, window.count):
            window.todo.appendleft((end, page.skip + asked - end))  # a silent cap: ask for the rest of the span
        return
    if received >= asked:  # without a count, a full page means there may be more
        window.todo.append((page.skip + received, page.top))


def fetch_windows(
    windows: int, fetch: FetchPage, *, page_size: int, concurrency: int, counted: bool
) -> Generator[Rows | WindowDone, None, None]:
    """Every window's rows (in order) and completion, fetching at most ``concurrency`` pages at a time."""
    states = [_Window(index) for index in range(windows)]
    ahead_limit = 4 * concurrency
    size = page_size
    head = 0
    opened = 0
    pending: dict[Future[Page], tuple[_Window, int]] = {}
    buffered = 0  # pages of later windows fetched (or being fetched) and not handed out yet

    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="xapi-export")

    def submit(window: _Window, skip: int, top: int) -> None:
        nonlocal buffered
        pending[pool.submit(fetch, window.index, skip, top)] = (window, top)
        window.in_flight += 1
        if window.index != head:
            buffered += 1

    def may_submit(window: _Window) -> bool:
        if window.index == head:
            return window.in_flight + len(window.arrived) < ahead_limit
        return buffered < ahead_limit

    def plan() -> None:
        nonlocal opened
        for window in states[head:opened]:
            while window.todo and may_submit(window):
                skip, top = window.todo.popleft()
                submit(window, skip, min(top, size))
        while opened < windows and (opened == head or buffered < ahead_limit):
            window = states[opened]
            window.started = True
            opened += 1
            submit(window, 0, size)

    try:
        plan()
        while head < windows:
            window = states[head]
            while window.cursor in window.arrived:  # hand out what is contiguous
                page = window.arrived.pop(window.cursor)
                window.cursor += len(page.rows)
                if page.rows:
                    yield Rows(window.index, page.rows)
            if window.complete:
                yield WindowDone(window.index, window.cursor, window.count, tuple(window.counts))
                head += 1
                if head < windows:  # the new head's pages no longer count as fetched ahead
                    buffered -= states[head].in_flight + len(states[head].arrived)
                plan()
                continue
            plan()  # pages handed out make room for the head window's next requests
            if not pending:  # nothing in flight, nothing contiguous: a page came short or empty mid-window
                if window.count is None:
                    raise ExportError(
                        f"window {window.index + 1}: pages at $skip {sorted(window.arrived)} do not follow position "
                        f"{window.cursor}; the server's paging is inconsistent"
                    )
                window.arrived.clear()  # never handed out out of order: the count check reports the shortfall
                continue
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in done:
                owner, asked = pending.pop(future)
                owner.in_flight -= 1
                page = future.result()  # a failed page ends the export (the pool is shut down below)
                size = min(size, max(page.top, 1))
                _plan_after(owner, page, asked, counted)
                owner.arrived[page.skip] = page
            plan()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
