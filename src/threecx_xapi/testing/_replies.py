"""What a handler answers, before it becomes HTTP: status, JSON or file bytes, headers; and the error shapes.

Errors use the OData shape a PBX sends, ``{"error": {"code": "", "message": ..., "details": [...]}}``, with the
field-level form ``<Field>:\\n<WARNING CODE>`` for rejected values. ``omit_empty`` drops keys whose value is
null or zero, as a PBX's serializer does (which is why clients must treat every property as optional).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "JSON_MEDIA_TYPE",
    "Problem",
    "Reply",
    "field_error",
    "odata_error",
    "omit_empty",
    "to_json_bytes",
]

JSON_MEDIA_TYPE = (
    "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
)


@dataclass
class Reply:
    """A response to send: ``json`` (any JSON value) or ``content`` bytes of ``media_type``; neither: no body."""

    status: int
    json: Any = None
    content: bytes | None = None
    media_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    prune: bool = True  # omit_empty applies (XAPI answers; not the OAuth token endpoint's)


class Problem(Exception):
    """Raised by handlers to answer an error: ``status`` and an optional JSON ``body``."""

    def __init__(self, status: int, body: Any = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    def reply(self) -> Reply:
        return Reply(self.status, json=self.body, headers=self.headers)


def odata_error(message: str, *, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """``{"error": {"code": "", "message": message[, "details": ...]}}``."""
    error: dict[str, Any] = {"code": "", "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def field_error(target: str, code: str) -> dict[str, Any]:
    """The PBX's form for a rejected field: ``message`` is ``<target>:\\n<code>``, details name the target."""
    return odata_error(f"{target}:\n{code}", details=[{"code": "", "message": code, "target": target}])


def omit_empty(value: Any) -> Any:
    """``value`` without keys whose value is null or zero (recursively); ``@odata.*`` keys are kept.

    Only objects and arrays are walked into: a page of 1000 call-log rows is answered in a few milliseconds.
    """
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if (item is None or (item == 0 and isinstance(item, (int, float)) and not isinstance(item, bool))) and (
                not key.startswith("@odata.")
            ):
                continue
            out[key] = omit_empty(item) if isinstance(item, (dict, list)) else item
        return out
    if isinstance(value, list):
        return [omit_empty(item) if isinstance(item, (dict, list)) else item for item in value]
    return value


def to_json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON; text holding a lone surrogate (which UTF-8 cannot carry) is sent ``\\u``-escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")
