"""Base classes of the generated resources (``pbx.users``, ``pbx.backups``, ...).

A generated resource method builds its request with its endpoint module and hands it here, with the
module's ``parse`` function; the client owns everything else (body checks, auth, retries, status errors).
The client is typed by the protocols below, so the generated code never imports the client itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeAlias, TypeVar

import httpx

from ._endpoint import EndpointRequest
from ._files import File
from ._paging import AsyncPage, PageData, SyncPage
from ._types import RequestOptions

__all__ = ["AsyncAPIResource", "AsyncRequester", "PageRequest", "SyncAPIResource", "SyncRequester"]

T = TypeVar("T")

PageRequest: TypeAlias = Callable[[int | None, int | None], EndpointRequest]
"""Builds the request for one page from ``$top`` and ``$skip``."""


class SyncRequester(Protocol):
    """What a resource needs of ``XAPI``."""

    def _request(
        self, request: EndpointRequest, parse: Callable[[httpx.Response], T], options: RequestOptions
    ) -> T: ...

    def _get_page(
        self,
        build: PageRequest,
        parse: Callable[[httpx.Response], PageData[T]],
        *,
        top: int | None,
        skip: int | None,
        limit: int | None,
        options: RequestOptions,
    ) -> SyncPage[T]: ...

    def _get_page_or_file(
        self,
        build: PageRequest,
        parse: Callable[[httpx.Response], PageData[T] | File],
        *,
        top: int | None,
        skip: int | None,
        limit: int | None,
        options: RequestOptions,
    ) -> SyncPage[T] | File: ...


class AsyncRequester(Protocol):
    """What a resource needs of ``AsyncXAPI``."""

    async def _request(
        self, request: EndpointRequest, parse: Callable[[httpx.Response], T], options: RequestOptions
    ) -> T: ...

    async def _get_page(
        self,
        build: PageRequest,
        parse: Callable[[httpx.Response], PageData[T]],
        *,
        top: int | None,
        skip: int | None,
        limit: int | None,
        options: RequestOptions,
    ) -> AsyncPage[T]: ...

    async def _get_page_or_file(
        self,
        build: PageRequest,
        parse: Callable[[httpx.Response], PageData[T] | File],
        *,
        top: int | None,
        skip: int | None,
        limit: int | None,
        options: RequestOptions,
    ) -> AsyncPage[T] | File: ...


class SyncAPIResource:
    """A group of operations (one XAPI tag) on an ``XAPI`` client."""

    def __init__(self, client: SyncRequester) -> None:
        self._client = client
        self._request = client._request
        self._get_page = client._get_page
        self._get_page_or_file = client._get_page_or_file

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


class AsyncAPIResource:
    """A group of operations (one XAPI tag) on an ``AsyncXAPI`` client."""

    def __init__(self, client: AsyncRequester) -> None:
        self._client = client
        self._request = client._request
        self._get_page = client._get_page
        self._get_page_or_file = client._get_page_or_file

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"
