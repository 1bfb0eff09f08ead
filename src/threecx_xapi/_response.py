"""Raw responses: ``pbx.users.with_raw_response.get_user(1)`` returns the value beside the ``httpx.Response``.

One wrapper per resource (the openai-python way): its methods are the resource's own, wrapped by
:func:`to_raw_response_wrapper`, which asks the client, through a context variable, for the response the
call received. Nothing about the call itself changes.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, ParamSpec, TypeVar

import httpx

__all__ = ["RawResponse", "async_to_raw_response_wrapper", "record_response", "to_raw_response_wrapper"]

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class RawResponse(Generic[T]):
    """What ``resource.with_raw_response.<operation>(...)`` returns."""

    parsed: T
    http_response: httpx.Response

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def xapi_version(self) -> str | None:
        """The PBX's ``X-3CX-Version`` header, when it sends one."""
        version: str | None = self.http_response.headers.get("x-3cx-version")
        return version

    def parse(self) -> T:
        return self.parsed


class _Capture:
    """Where the client leaves the first response of a call made through a raw wrapper."""

    __slots__ = ("response",)

    def __init__(self) -> None:
        self.response: httpx.Response | None = None


_capture: contextvars.ContextVar[_Capture | None] = contextvars.ContextVar("threecx_xapi_raw", default=None)


def record_response(response: httpx.Response) -> None:
    """Called by the client with each response it accepts; kept when a raw wrapper is listening."""
    capture = _capture.get()
    if capture is not None and capture.response is None:
        capture.response = response


def _raw(capture: _Capture, parsed: T) -> RawResponse[T]:
    if capture.response is None:  # pragma: no cover - every call that returns has received a response
        raise RuntimeError("the call returned without a response")
    return RawResponse(parsed, capture.response)


def to_raw_response_wrapper(method: Callable[P, T]) -> Callable[P, RawResponse[T]]:
    """``method`` returning ``RawResponse`` (the first page's response, for paged operations)."""

    @functools.wraps(method)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        capture = _Capture()
        token = _capture.set(capture)
        try:
            return _raw(capture, method(*args, **kwargs))
        finally:
            _capture.reset(token)

    return wrapped


def async_to_raw_response_wrapper(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[RawResponse[T]]]:
    """The async twin of :func:`to_raw_response_wrapper`."""

    @functools.wraps(method)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        capture = _Capture()
        token = _capture.set(capture)
        try:
            return _raw(capture, await method(*args, **kwargs))
        finally:
            _capture.reset(token)

    return wrapped
