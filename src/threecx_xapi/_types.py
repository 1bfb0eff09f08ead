"""Small shared types: the ``NOT_GIVEN`` sentinel and per-request options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Union

import httpx

__all__ = ["NOT_GIVEN", "Body", "Headers", "NotGiven", "Query", "RequestOptions", "TimeoutTypes"]


class NotGiven:
    """An argument that was not passed at all, where ``None`` would mean "send null" or "no timeout"."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()

Headers = Mapping[str, str]
Query = Mapping[str, object]
Body = Mapping[str, object]
TimeoutTypes = Union[float, httpx.Timeout, None]  # noqa: UP007 - a runtime alias, kept 3.10-friendly


@dataclass(frozen=True)
class RequestOptions:
    """What a single call may add or override: headers, query options, body fields and the timeout."""

    extra_headers: Headers | None = None
    extra_query: Query | None = None
    extra_body: Body | None = None
    timeout: TimeoutTypes | NotGiven = NOT_GIVEN
