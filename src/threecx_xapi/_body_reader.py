"""Reading a response body into memory within a size limit and the call's deadline.

The limit counts bytes after decompression, while reading: a small gzip body that inflates to gigabytes is
refused after ``limit`` bytes, not loaded. File answers (a 2xx whose content is not JSON, text or HTML, or
that comes as an attachment: recordings, backups, exports) are exempt from the limit. Between chunks the
deadline is checked and the next read's timeout cut to what is left, so a body that drips a byte at a time
cannot outlast the call's ``timeout``.
"""

from __future__ import annotations

from typing import Any

import httpx

from ._deadline import Deadline
from ._exceptions import ResponseTooLargeError

__all__ = ["DEFAULT_MAX_RESPONSE_SIZE", "aread_body", "is_file_answer", "read_body"]

DEFAULT_MAX_RESPONSE_SIZE = 64 * 1024 * 1024
"""64 MiB of decoded body: far beyond any XAPI page, far below what would hurt a process."""

_DOCUMENT_TYPES = ("application/json", "text/plain", "text/html", "application/xml", "text/xml")


def is_file_answer(response: httpx.Response) -> bool:
    """A successful answer carrying a file rather than a document: not bound by the size limit."""
    if not response.is_success:
        return False
    if response.headers.get("Content-Disposition", "").lower().startswith("attachment"):
        return True
    media = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    return bool(media) and not (media in _DOCUMENT_TYPES or media.endswith("+json") or media.endswith("+xml"))


class _Reader:
    """The bookkeeping shared by the sync and async readers."""

    def __init__(self, response: httpx.Response, limit: int | None, deadline: Deadline, phases: dict[str, Any]):
        self.response = response
        self.limit = None if limit is None or is_file_answer(response) else limit
        self.deadline = deadline
        self.phases = phases
        self.chunks: list[bytes] = []
        self.size = 0

    def take(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.limit is not None and self.size > self.limit:
            request = self.response.request
            raise ResponseTooLargeError(
                f"{request.method} {request.url.path}: the response body exceeds max_response_size "
                f"({self.limit} bytes, counted after decompression); reading stopped",
                limit=self.limit,
                request=request,
            )
        self.chunks.append(chunk)
        if self.deadline.expired:
            raise httpx.ReadTimeout("the call's timeout ran out while reading the response body")
        if self.deadline.at is not None and self.phases:
            self.response.request.extensions["timeout"] = self.deadline.clip(self.phases)

    def finish(self) -> None:
        # What Response.read() does; done here so that reading could be bounded. ``.content`` works after.
        self.response._content = b"".join(self.chunks)


def read_body(
    response: httpx.Response, *, limit: int | None, deadline: Deadline, phases: dict[str, Any] | None = None
) -> None:
    """Read a streamed ``response`` so that ``.content`` works, or raise and close it."""
    reader = _Reader(response, limit, deadline, phases or {})
    try:
        for chunk in response.iter_bytes():
            reader.take(chunk)
    except httpx.ReadTimeout as error:
        error.request = response.request
        raise
    finally:
        response.close()
    reader.finish()


async def aread_body(
    response: httpx.Response, *, limit: int | None, deadline: Deadline, phases: dict[str, Any] | None = None
) -> None:
    """The async twin of :func:`read_body`."""
    reader = _Reader(response, limit, deadline, phases or {})
    try:
        async for chunk in response.aiter_bytes():
            reader.take(chunk)
    except httpx.ReadTimeout as error:
        error.request = response.request
        raise
    finally:
        await response.aclose()
    reader.finish()
