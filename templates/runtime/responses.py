"""Turning an ``httpx.Response`` into what a generated endpoint returns: JSON, a file, or an error."""

from __future__ import annotations

import gc
import json as _json
import re
from collections.abc import Callable
from io import BytesIO
from typing import Any, TypeVar
from urllib.parse import unquote

import httpx

from .errors import ODataError
from .types import File, Response

__all__ = ["failed", "file", "file_name", "is_json", "json", "parse", "value"]

T = TypeVar("T")

_PARAMETER = re.compile(r"""\s*;\s*([!#$%&'*+.^`|~\w-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)""")


def is_json(response: httpx.Response) -> bool:
    """Whether the body is JSON by its content type (a download answers CSV, WAV or ZIP instead)."""
    media = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json") or (not media and not response.content)


def json(response: httpx.Response) -> Any:
    """The decoded JSON body; a 2xx with a body that is not JSON is an error, not a silent ``None``."""
    try:
        return _json.loads(response.content)
    except ValueError as exc:
        raise ValueError(f"{response.status_code} response is not valid JSON: {exc}") from None


_BULK_BYTES = 256 * 1024


def parse(response: httpx.Response, build: Callable[[Any], T]) -> T:
    """Decode the JSON body and build the result, with the cyclic GC paused for large bodies.

    Parsing a big collection allocates hundreds of thousands of objects, none of them in cycles; every few
    thousand allocations CPython's cyclic collector would walk all of them again, which roughly doubles
    the time. Reference counting still frees everything as usual; the collector's state is restored after.
    """
    if len(response.content) < _BULK_BYTES or not gc.isenabled():
        return build(json(response))
    gc.disable()
    try:
        return build(json(response))
    finally:
        gc.enable()


def value(response: httpx.Response) -> Any:
    """A primitive or enum result: OData wraps it as ``{"@odata.context": ..., "value": ...}``; bare is kept."""
    data = json(response)
    if isinstance(data, dict) and "value" in data and all(k == "value" or k.startswith("@") for k in data):
        return data["value"]
    return data


def file_name(content_disposition: str) -> str | None:
    """The file name from a Content-Disposition header; ``filename*`` (RFC 5987, UTF-8) wins over ``filename``."""
    params: dict[str, str] = {}
    for match in _PARAMETER.finditer(";" + content_disposition.split(";", 1)[1] if ";" in content_disposition else ""):
        name, value = match.group(1).lower(), match.group(2).strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params.setdefault(name, value)
    extended = params.get("filename*")
    if extended and "'" in extended:
        charset, _, rest = extended.partition("'")
        _, _, encoded = rest.partition("'")
        try:
            return unquote(encoded, encoding=charset or "utf-8", errors="strict")
        except (LookupError, UnicodeDecodeError):
            pass
    return params.get("filename") or None


def file(response: httpx.Response) -> File:
    """The body as a ``File`` with the content type and the name from Content-Disposition, if any."""
    return File(
        payload=BytesIO(response.content),
        file_name=file_name(response.headers.get("content-disposition", "")),
        mime_type=response.headers.get("content-type"),
    )


def failed(response: httpx.Response) -> Response[Any]:
    """A non-2xx response: nothing parsed as a result, the OData error parsed for the caller to raise."""
    return Response(
        status_code=response.status_code,
        content=response.content,
        headers=response.headers,
        parsed=None,
        http_response=response,
        error=ODataError.from_response(response),
    )
