"""Pages over XAPI collections: iterate a page and get every item, page by page, as the SDKs people know.

``for user in pbx.users.list_user(top=100)`` walks every user across pages (``async for`` on ``AsyncPage``);
``page.items`` is the current page, ``page.iter_pages()`` goes page by page, and ``limit=`` on the call stops
after that many items.

3CX never sends ``@odata.nextLink``; the client pages by ``$skip``. Positions are absolute: each page
advances ``$skip`` by the items actually received. Paging ends at an empty page, at a short page when the
total is unknown, once ``@odata.count`` is reached (a short page with more counted is a silent ``$top`` cap,
and paging goes on), or at ``limit``. Some entity sets cap ``$top`` and answer a larger one with 400 ("The limit
of '100' for Top query has been exceeded"); paging then continues from the same ``$skip`` in pages of the cap.
A server that answers the same page twice (one ignoring ``$skip``) or repeats a next link raises
:class:`XAPIError` instead of looping. ``$skip`` paging cannot see items inserted or deleted between pages; a
changed ``@odata.count`` is reported with :class:`PageDriftWarning`.
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeAlias, TypeVar

import httpx

from ._exceptions import BadRequestError, XAPIError
from ._stack import user_stacklevel

__all__ = [
    "AsyncFetch",
    "AsyncPage",
    "Fetch",
    "PageData",
    "PageDriftWarning",
    "PageParams",
    "SyncPage",
    "aby_key",
    "by_key",
    "first_top",
    "top_cap_from_error",
]

logger = logging.getLogger("threecx_xapi")

T = TypeVar("T")


class PageDriftWarning(UserWarning):
    """``@odata.count`` changed between pages: items were added or removed while paging by ``$skip``, so some
    may have been skipped or seen twice."""


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


def first_top(top: int | None, limit: int | None) -> int | None:
    """The ``$top`` of the first page: the caller's, lowered to ``limit`` (and ``limit`` alone when no top)."""
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
    if limit is None:
        return top
    return limit if top is None else min(top, limit)


def _warn(message: str) -> None:
    """Warn at the first frame outside the SDK: the user's ``for`` loop, not our generator."""
    warnings.warn(PageDriftWarning(message), stacklevel=user_stacklevel())


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
        limit: int | None = None,
        window_start: int | None = None,
        seen_links: frozenset[str] = frozenset(),
    ) -> None:
        self.items = data.items if limit is None or len(data.items) <= limit else data.items[:limit]
        self.count = data.count
        self.next_link = data.next_link
        self.context = data.context
        self.http_response = data.http_response
        self.params = params
        self._received = len(data.items)
        self._limit_left = None if limit is None else limit - len(self.items)  # items still wanted after this page
        # Where the last $top/$skip request started: a server splitting that request into next-linked parts
        # has delivered it all only once the parts add up to $top.
        self._window_start = params.skip if window_start is None else window_start
        self._seen_links = seen_links  # the next links followed to reach this page

    def __repr__(self) -> str:
        p = self.params
        return f"{type(self).__name__}(items={len(self.items)}, top={p.top}, skip={p.skip}, count={self.count})"

    def has_next_page(self) -> bool:
        return self.next_page_params() is not None

    def next_page_params(self) -> PageParams | None:
        """The request for the next page, or None when this page is the last."""
        if self._limit_left is not None and self._limit_left <= 0:
            return None
        end = self.params.skip + self._received
        top = self.params.top
        if self._limit_left is not None and top is not None:
            top = min(top, self._limit_left)
        if self.next_link is not None:
            return PageParams(top, end, self.next_link)
        if top is None:  # without $top, 3CX answers with the whole set
            return None
        received = end - self._window_start
        if received == 0:
            return None
        if self.count is not None:  # a short page with more counted is a silent $top cap: go on
            return PageParams(top, end) if end < self.count else None
        if received < (self.params.top or 0):  # a short answer is the end
            return None
        return PageParams(top, end)

    def _next(self) -> tuple[PageParams, int | None, frozenset[str]]:
        """The next request, and the window start and followed links to hand to the page it fetches."""
        params = self.next_page_params()
        if params is None:
            raise XAPIError("no next page")
        link = params.next_link
        if link is None:
            return params, None, self._seen_links
        if link in self._seen_links:
            raise XAPIError(f"the server sent @odata.nextLink {link!r} again; stopping instead of looping")
        return params, self._window_start, self._seen_links | {link}

    def _check_follows(self, following: _Page[T]) -> None:
        """Refuse a repeated page (a server ignoring ``$skip``); report a changed ``@odata.count``."""
        mine, theirs = self.http_response, following.http_response
        same_body = mine is None or theirs is None or not mine.content or mine.content == theirs.content
        if following.items and following.items == self.items and same_body:
            where = "the collection"
            with contextlib.suppress(RuntimeError):  # a response built without a request has none
                where = theirs.request.url.path if theirs is not None else where
            raise XAPIError(
                f"{where}: the server answered $skip={following.params.skip} with the same page as "
                f"$skip={self.params.skip}; it seems to ignore $skip, so paging stops instead of looping"
            )
        if self.count is not None and following.count is not None and self.count != following.count:
            _warn(
                f"@odata.count changed from {self.count} to {following.count} while paging: items were added or "
                "removed, so $skip paging may have skipped or repeated some"
            )


class SyncPage(_Page[T]):
    """One page of a collection. Iterating it yields every item from here to the end, fetching as it goes."""

    def __init__(
        self,
        data: PageData[T],
        params: PageParams,
        fetch: Fetch[T],
        *,
        limit: int | None = None,
        window_start: int | None = None,
        seen_links: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(data, params, limit=limit, window_start=window_start, seen_links=seen_links)
        self._fetch_page = fetch

    @classmethod
    def first(cls, fetch: Fetch[T], params: PageParams, *, limit: int | None = None) -> SyncPage[T]:
        """Fetch the first page; a ``$top`` cap lowers ``params.top`` to it instead of failing."""
        data, params = _fetch(fetch, params)
        return cls(data, params, fetch, limit=limit)

    def get_next_page(self) -> SyncPage[T]:
        params, window_start, seen_links = self._next()
        data, params = _fetch(self._fetch_page, params)
        page = type(self)(
            data, params, self._fetch_page, limit=self._limit_left, window_start=window_start, seen_links=seen_links
        )
        self._check_follows(page)
        return page

    def iter_pages(self) -> Iterator[SyncPage[T]]:
        """This page, then each next one."""
        page = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = page.get_next_page()

    def __iter__(self) -> Iterator[T]:
        """Every item, from this page's first to the collection's last (or ``limit``)."""
        for page in self.iter_pages():
            yield from page.items

    def auto_paging(self) -> Iterator[T]:
        """The same as iterating the page: every item across pages."""
        return iter(self)


class AsyncPage(_Page[T]):
    """The async twin of :class:`SyncPage`: ``async for item in page`` walks every item across pages."""

    def __init__(
        self,
        data: PageData[T],
        params: PageParams,
        fetch: AsyncFetch[T],
        *,
        limit: int | None = None,
        window_start: int | None = None,
        seen_links: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(data, params, limit=limit, window_start=window_start, seen_links=seen_links)
        self._fetch_page = fetch

    @classmethod
    async def first(cls, fetch: AsyncFetch[T], params: PageParams, *, limit: int | None = None) -> AsyncPage[T]:
        """Fetch the first page; a ``$top`` cap lowers ``params.top`` to it instead of failing."""
        data, params = await _afetch(fetch, params)
        return cls(data, params, fetch, limit=limit)

    async def get_next_page(self) -> AsyncPage[T]:
        params, window_start, seen_links = self._next()
        data, params = await _afetch(self._fetch_page, params)
        page = type(self)(
            data, params, self._fetch_page, limit=self._limit_left, window_start=window_start, seen_links=seen_links
        )
        self._check_follows(page)
        return page

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        """This page, then each next one."""
        page = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = await page.get_next_page()

    async def __aiter__(self) -> AsyncIterator[T]:
        """Every item, from this page's first to the collection's last (or ``limit``)."""
        async for page in self.iter_pages():
            for item in page.items:
                yield item

    def auto_paging(self) -> AsyncIterator[T]:
        """The same as ``async for`` over the page: every item across pages."""
        return self.__aiter__()


def _key_filter(filter: object, key: str, last: object) -> str:
    from ._odata import literal

    condition = f"{key} gt {literal(last)}"
    return condition if filter is None else f"({filter}) and {condition}"


def _last_key(items: list[Any], key: str) -> object:
    wire = items[-1].to_dict() if hasattr(items[-1], "to_dict") else items[-1]
    if not isinstance(wire, dict) or wire.get(key) is None:
        raise XAPIError(f"paging by key: the last item has no {key!r}; pass key= the entity set's key")
    return wire[key]


def _by_key_arguments(key: str, top: int, options: dict[str, Any]) -> None:
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise ValueError(f"top must be a positive int, got {top!r}")
    clashes = sorted({"orderby", "skip", "top", "limit"} & set(options))
    if clashes:
        raise ValueError(f"paging by key sets $orderby={key} and $top itself; do not pass {', '.join(clashes)}")


def by_key(
    list_method: Callable[..., SyncPage[T]], *, key: str = "Id", top: int = 100, filter: object = None, **options: Any
) -> Iterator[T]:
    """Every item of an entity set, paged by its key instead of ``$skip``: consistent while others write.

    Each page is ``$orderby=<key>&$top=<top>`` with ``(<filter>) and <key> gt <last key seen>``, so items added or
    deleted while paging can neither shift an item out of the walk nor show one twice (``$skip`` paging can).
    ``list_method`` is a collection method (``pbx.users.list_user``); other options (``select``, ``expand``, ...)
    go to it as they are.
    """
    _by_key_arguments(key, top, options)
    last: object = None
    while True:
        condition = filter if last is None else _key_filter(filter, key, last)
        items = list_method(top=top, orderby=key, filter=condition, **options).items
        yield from items
        if len(items) < top:
            return
        last = _last_key(items, key)


async def aby_key(
    list_method: Callable[..., Awaitable[AsyncPage[T]]],
    *,
    key: str = "Id",
    top: int = 100,
    filter: object = None,
    **options: Any,
) -> AsyncIterator[T]:
    """The async twin of :func:`by_key`: ``async for user in aby_key(pbx.users.list_user): ...``."""
    _by_key_arguments(key, top, options)
    last: object = None
    while True:
        condition = filter if last is None else _key_filter(filter, key, last)
        items = (await list_method(top=top, orderby=key, filter=condition, **options)).items
        for item in items:
            yield item
        if len(items) < top:
            return
        last = _last_key(items, key)
