"""Raw and streamed responses: ``with_raw_response`` and ``with_streaming_response`` on every resource.

One wrapper per resource (the openai-python way): its methods are the resource's own, wrapped here. The
wrapper asks the client, through a context variable, for the response the call received:

- ``pbx.users.with_raw_response.get_user(1)`` returns a :class:`RawResponse`, the value beside the response;
- ``with pbx.backups.with_streaming_response.download_backup("b.zip") as answer: answer.write_to(path)``
  leaves a file answer (a recording, a backup, an export) unread, so it streams to disk with flat memory
  instead of being loaded; JSON answers are read and parsed as usual (``answer.parse()``).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar, cast

import httpx

__all__ = [
    "AsyncStreamedResponse",
    "RawResponse",
    "StreamedResponse",
    "async_to_raw_response_wrapper",
    "async_to_streamed_response_wrapper",
    "record_response",
    "streaming",
    "to_raw_response_wrapper",
    "to_streamed_response_wrapper",
]

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
    """Where the client leaves the first response of a call made through a raw or streaming wrapper."""

    __slots__ = ("response", "stream")

    def __init__(self, *, stream: bool = False) -> None:
        self.response: httpx.Response | None = None
        self.stream = stream


_capture: contextvars.ContextVar[_Capture | None] = contextvars.ContextVar("threecx_xapi_raw", default=None)


class StreamedAnswer(Exception):
    """Raised by the client past everything else when a streaming call's file answer is left unread."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__("a streamed answer (caught by the streaming wrapper)")
        self.response = response


def streaming() -> bool:
    """Whether the current call was made through ``with_streaming_response`` (file answers stay unread)."""
    capture = _capture.get()
    return capture is not None and capture.stream


def record_response(response: httpx.Response) -> None:
    """Called by the client with each response it accepts; kept when a wrapper is listening.

    In a streaming call, an answer whose body was left unread (a file) ends the call here: the wrapper gets
    the open response instead of a parsed value.
    """
    capture = _capture.get()
    if capture is None:
        return
    if capture.response is None:
        capture.response = response
    if capture.stream and not response.is_stream_consumed:
        raise StreamedAnswer(response)


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


_CHUNK = 64 * 1024


class _StreamedBase(Generic[T]):
    def __init__(self, http_response: httpx.Response, parsed: Any, *, has_parsed: bool) -> None:
        self.http_response = http_response
        self._parsed = parsed
        self._has_parsed = has_parsed

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def file_name(self) -> str | None:
        """The name the PBX gives the file (Content-Disposition), if any."""
        from ._responses import file_name

        return file_name(self.http_response.headers.get("content-disposition", ""))


class StreamedResponse(_StreamedBase[T]):
    """What ``with_streaming_response.<operation>(...)`` yields: a file answer still on the wire.

    ``iter_bytes()`` and ``write_to(path)`` read it in chunks; ``parse()`` gives the operation's declared value
    (a JSON answer was already parsed; a file answer is read into a ``File``). Closed when the ``with`` ends.
    """

    def iter_bytes(self, chunk_size: int = _CHUNK) -> Iterator[bytes]:
        yield from self.http_response.iter_bytes(chunk_size)

    def write_to(self, path: str | os.PathLike[str]) -> int:
        """Stream the body into ``path`` (created or replaced); returns the number of bytes written."""
        written = 0
        with open(path, "wb") as file:
            for chunk in self.iter_bytes():
                file.write(chunk)
                written += len(chunk)
        return written

    def parse(self) -> T:
        if self._has_parsed:
            return cast(T, self._parsed)
        from ._responses import file

        self.http_response.read()
        return cast(T, file(self.http_response))

    def close(self) -> None:
        self.http_response.close()


class AsyncStreamedResponse(_StreamedBase[T]):
    """The async twin of :class:`StreamedResponse`."""

    async def iter_bytes(self, chunk_size: int = _CHUNK) -> AsyncIterator[bytes]:
        async for chunk in self.http_response.aiter_bytes(chunk_size):
            yield chunk

    async def write_to(self, path: str | os.PathLike[str]) -> int:
        """Stream the body into ``path`` (created or replaced); returns the number of bytes written."""
        written = 0
        with open(path, "wb") as file:
            async for chunk in self.iter_bytes():
                file.write(chunk)
                written += len(chunk)
        return written

    async def parse(self) -> T:
        if self._has_parsed:
            return cast(T, self._parsed)
        from ._responses import file

        await self.http_response.aread()
        return cast(T, file(self.http_response))

    async def close(self) -> None:
        await self.http_response.aclose()


def to_streamed_response_wrapper(
    method: Callable[P, T],
) -> Callable[P, contextlib.AbstractContextManager[StreamedResponse[T]]]:
    """``method`` as a context manager yielding a :class:`StreamedResponse`; a file answer is left unread."""

    @functools.wraps(method)
    @contextlib.contextmanager
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> Iterator[StreamedResponse[T]]:
        capture = _Capture(stream=True)
        token = _capture.set(capture)
        try:
            try:
                value = method(*args, **kwargs)
            except StreamedAnswer as answer:
                streamed: StreamedResponse[T] = StreamedResponse(answer.response, None, has_parsed=False)
            else:
                if capture.response is None:  # pragma: no cover - every call that returns has received a response
                    raise RuntimeError("the call returned without a response")
                streamed = StreamedResponse(capture.response, value, has_parsed=True)
        finally:
            _capture.reset(token)
        try:
            yield streamed
        finally:
            streamed.close()

    return wrapped


def async_to_streamed_response_wrapper(
    method: Callable[P, Awaitable[T]],
) -> Callable[P, contextlib.AbstractAsyncContextManager[AsyncStreamedResponse[T]]]:
    """The async twin of :func:`to_streamed_response_wrapper` (``async with``)."""

    @functools.wraps(method)
    @contextlib.asynccontextmanager
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> AsyncIterator[AsyncStreamedResponse[T]]:
        capture = _Capture(stream=True)
        token = _capture.set(capture)
        try:
            try:
                value = await method(*args, **kwargs)
            except StreamedAnswer as answer:
                streamed: AsyncStreamedResponse[T] = AsyncStreamedResponse(answer.response, None, has_parsed=False)
            else:
                if capture.response is None:  # pragma: no cover - every call that returns has received a response
                    raise RuntimeError("the call returned without a response")
                streamed = AsyncStreamedResponse(capture.response, value, has_parsed=True)
        finally:
            _capture.reset(token)
        try:
            yield streamed
        finally:
            await streamed.close()

    return wrapped
