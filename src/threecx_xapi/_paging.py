"""Pages over XAPI collections: ``$top``/``$skip`` until a short page, surviving per-entity-set ``$top`` caps.

3CX never sends ``@odata.nextLink``; a client pages by ``$skip``, and a page shorter than ``$top`` is the last.
Some entity sets cap ``$top`` and answer a larger one with 400 ("The limit of '100' for Top query has been
exceeded"); the pager then continues from the same ``$skip`` with pages of that size, so asking for more than
the cap costs one request, never data. A next link, if a server sends one, is followed as is.

Positions are absolute: each page advances ``$skip`` by the number of items actually received (a server that
returns more than ``$top`` loses nothing), and paging stops at a short or empty page, or once ``@odata.count``
is reached. A server that sends full pages forever is paged until the data ends; one that repeats a next link
is stopped with :class:`RuntimeError` before a page is fetched twice.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Generic, TypeAlias, TypeVar

import httpx

from ._exceptions import BadRequestError

__all__ = [
    "AsyncFetch",
    "AsyncPage",
    "Fetch",
    "PageData",
    "PageParams",
    "SyncPage",
    "top_cap_from_error",
]

logger = logging.getLogger("threecx_xapi")

T = TypeVar("T")

# The ASP.NET OData text: "The limit of '100' for Top query has been exceeded. The value from the incoming ..."
_TOP_CAP = re.compile(r"limit of\s+'?(\d+)'?\s+for\s+top\s+query\s+has\s+been\s+exceeded", re.IGNORECASE)


@dataclass(frozen=True)
class PageParams:
    """What to ask for: ``$top`` (None: not limited by the caller), ``$skip``, or a next link to GET as is.

    With ``next_link`` set, ``top`` and ``skip`` are informational: ``skip`` is the absolute position of the
    page's first item, ``top`` the page size the caller asked for.
    """

    top: int | None
    skip: int
    next_link: str | None = None

    def __post_init__(self) -> None:
        if self.top is not None and self.top < 0:
            raise ValueError(f"top must be >= 0 or None, got {self.top}")
        if self.skip < 0:
            raise ValueError(f"skip must be >= 0, got {self.skip}")


@dataclass(frozen=True)
class PageData(Generic[T]):
    """One decoded collection response; a fetch function returns this."""

    items: list[T]
    count: int | None = None  # @odata.count, only with $count=true
    next_link: str | None = None  # @odata.nextLink, absolute
    context: str | None = None  # @odata.context
    http_response: httpx.Response | None = field(default=None, repr=False, compare=False)


Fetch: TypeAlias = Callable[[PageParams], PageData[T]]
"""Fetches one page: GET ``next_link`` when set, else the collection with ``$top``/``$skip``."""

AsyncFetch: TypeAlias = Callable[[PageParams], Awaitable[PageData[T]]]
"""Like :data:`Fetch`, awaited."""


def top_cap_from_error(error: BaseException) -> int | None:
    """The ``$top`` limit a 400 reports ("The limit of 'N' for Top query has been exceeded"), else None."""
    if not isinstance(error, BadRequestError):
        return None
    texts = [error.message, *(detail.message for detail in error.details), str(error)]
    for text in texts:
        match = _TOP_CAP.search(text) if text else None
        if match:
            cap = int(match.group(1))
            return cap if cap > 0 else None
    return None


def _capped(params: PageParams, error: BadRequestError) -> PageParams | None:
    """The params to retry with after ``error``, or None to let it propagate.

    Only a cap smaller than what was asked counts: retrying with the same or a larger top would loop.
    A next link is the server's own URL, so a cap on it is not ours to fix.
    """
    if params.next_link is not None:
        return None
    cap = top_cap_from_error(error)
    if cap is None or (params.top is not None and cap >= params.top):
        return None
    url = "the collection"
    with contextlib.suppress(RuntimeError):  # a response built without a request has none
        url = error.response.request.url.path
    logger.warning(
        "%s limits $top to %d (asked for %s); continuing with pages of %d from $skip=%d",
        url,
        cap,
        "all" if params.top is None else params.top,
        cap,
        params.skip,
    )
    return replace(params, top=cap)


def _fetch(fetch: Fetch[T], params: PageParams) -> tuple[PageData[T], PageParams]:
    while True:  # ends: each retry lowers top strictly
        try:
            return fetch(params), params
        except BadRequestError as exc:
            capped = _capped(params, exc)
            if capped is None:
                raise
        params = capped


async def _afetch(fetch: AsyncFetch[T], params: PageParams) -> tuple[PageData[T], PageParams]:
    while True:
        try:
            return await fetch(params), params
        except BadRequestError as exc:
            capped = _capped(params, exc)
            if capped is None:
                raise
        params = capped


class _Page(Generic[T]):
    """What sync and async pages share: the data, and the arithmetic of what comes next."""

    items: list[T]
    count: int | None
    next_link: str | None
    context: str | None
    http_response: httpx.Response | None
    params: PageParams

    def __init__(
        self,
        data: PageData[T],
        params: PageParams,
        *,
        window_start: int | None = None,
        seen_links: frozenset[str] = frozenset(),
    ) -> None:
        self.items = data.items
        self.count = data.count
        self.next_link = data.next_link
        self.context = data.context
        self.http_response = data.http_response
        self.params = params
        # Where the last $top/$skip request started: a server splitting that request into next-linked parts
        # has delivered it all only once the parts add up to $top.
        self._window_start = params.skip if window_start is None else window_start
        self._seen_links = seen_links  # the next links followed to reach this page

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        p = self.params
        return f"{type(self).__name__}(items={len(self.items)}, top={p.top}, skip={p.skip}, count={self.count})"

    def has_next_page(self) -> bool:
        return self.next_page_params() is not None

    def next_page_params(self) -> PageParams | None:
        """The request for the next page, or None when this page is the last."""
        end = self.params.skip + len(self.items)
        if self.next_link is not None:
            return PageParams(self.params.top, end, self.next_link)
        top = self.params.top
        if top is None:  # without $top, 3CX answers with the whole set
            return None
        received = end - self._window_start
        if received == 0 or received < top:  # an empty or short answer is the end
            return None
        if self.count is not None and end >= self.count:
            return None
        return PageParams(top, end)

    def _next(self) -> tuple[PageParams, int | None, frozenset[str]]:
        """The next request, and the window start and followed links to hand to the page it fetches."""
        params = self.next_page_params()
        if params is None:
            raise RuntimeError("no next page")
        link = params.next_link
        if link is None:
            return params, None, self._seen_links
        if link in self._seen_links:
            raise RuntimeError(f"the server sent @odata.nextLink {link!r} again; stopping instead of looping")
        return params, self._window_start, self._seen_links | {link}


class SyncPage(_Page[T]):
    """One page of a collection; :meth:`auto_paging` iterates every item across pages, fetching as it goes."""

    def __init__(
        self,
        data: PageData[T],
        params: PageParams,
        fetch: Fetch[T],
        *,
        window_start: int | None = None,
        seen_links: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(data, params, window_start=window_start, seen_links=seen_links)
        self._fetch_page = fetch

    @classmethod
    def first(cls, fetch: Fetch[T], params: PageParams) -> SyncPage[T]:
        """Fetch the first page; a ``$top`` cap lowers ``params.top`` to it instead of failing."""
        data, params = _fetch(fetch, params)
        return cls(data, params, fetch)

    def get_next_page(self) -> SyncPage[T]:
        params, window_start, seen_links = self._next()
        data, params = _fetch(self._fetch_page, params)
        return type(self)(data, params, self._fetch_page, window_start=window_start, seen_links=seen_links)

    def iter_pages(self) -> Iterator[SyncPage[T]]:
        """This page, then each next one."""
        page = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = page.get_next_page()

    def auto_paging(self) -> Iterator[T]:
        """Every item, from this page's first to the collection's last."""
        for page in self.iter_pages():
            yield from page.items


class AsyncPage(_Page[T]):
    """The async twin of :class:`SyncPage`: ``await page.get_next_page()``, ``async for item in page.auto_paging()``."""

    def __init__(
        self,
        data: PageData[T],
        params: PageParams,
        fetch: AsyncFetch[T],
        *,
        window_start: int | None = None,
        seen_links: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(data, params, window_start=window_start, seen_links=seen_links)
        self._fetch_page = fetch

    @classmethod
    async def first(cls, fetch: AsyncFetch[T], params: PageParams) -> AsyncPage[T]:
        """Fetch the first page; a ``$top`` cap lowers ``params.top`` to it instead of failing."""
        data, params = await _afetch(fetch, params)
        return cls(data, params, fetch)

    async def get_next_page(self) -> AsyncPage[T]:
        params, window_start, seen_links = self._next()
        data, params = await _afetch(self._fetch_page, params)
        return type(self)(data, params, self._fetch_page, window_start=window_start, seen_links=seen_links)

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        """This page, then each next one."""
        page = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = await page.get_next_page()

    async def auto_paging(self) -> AsyncIterator[T]:
        """Every item, from this page's first to the collection's last."""
        async for page in self.iter_pages():
            for item in page.items:
                yield item
