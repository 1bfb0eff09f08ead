"""The raw HTTP response next to the parsed value, for callers who need status and headers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

__all__ = ["RawResponse"]

T = TypeVar("T")


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
