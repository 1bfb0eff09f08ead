"""Turning a 2xx ``httpx.Response`` into what an operation declares: a model, a page, a value or a file.

The generated ``parse`` function of every endpoint module calls one of these. A body that is not what the
operation declares (not JSON, truncated, a list where an object belongs) raises
:class:`~threecx_xapi.APIResponseValidationError`, never a bare ``ValueError`` or a silent ``None``.
"""

from __future__ import annotations

import gc
import json as _json
import re
from collections.abc import Callable
from io import BytesIO
from typing import Any, TypeVar
from urllib.parse import unquote

import httpx

from ._exceptions import APIResponseValidationError
from ._files import File
from ._paging import PageData

__all__ = ["file", "file_name", "is_json", "json", "page", "parse", "unexpected", "value"]

T = TypeVar("T")

_PARAMETER = re.compile(r"""\s*;\s*([!#$%&'*+.^`|~\w-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)""")
_BULK_BYTES = 256 * 1024


def is_json(response: httpx.Response) -> bool:
    """Whether the body is JSON by its content type (a download answers CSV, WAV or ZIP instead)."""
    media = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json") or (not media and not response.content)


def json(response: httpx.Response) -> Any:
    """The decoded JSON body; a 2xx whose body is not JSON is an :class:`APIResponseValidationError`."""
    try:
        return _json.loads(response.content)
    except RecursionError:
        raise APIResponseValidationError(response, "is nested too deeply") from None
    except ValueError as exc:
        problem = "is empty" if not response.content.strip() else f"is not valid JSON ({exc})"
        raise APIResponseValidationError(response, problem) from None


def parse(response: httpx.Response, build: Callable[[Any], T]) -> T:
    """Decode the JSON body and build the result, with the cyclic GC paused for large bodies.

    Parsing a big collection allocates hundreds of thousands of objects, none of them in cycles; every few
    thousand allocations CPython's cyclic collector would walk all of them again, which roughly doubles
    the time. Reference counting still frees everything as usual; the collector's state is restored after.
    """
    paused = len(response.content) >= _BULK_BYTES and gc.isenabled()
    if paused:
        gc.disable()
    try:
        return build(json(response))
    except APIResponseValidationError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        raise APIResponseValidationError(response, f"does not match the declared type ({exc})") from None
    finally:
        if paused:
            gc.enable()


def page(response: httpx.Response, build_item: Callable[[Any], T] | None) -> PageData[T]:
    """One page of a collection: ``value`` built item by item, with ``@odata.count`` and ``@odata.nextLink``."""

    def build(data: Any) -> PageData[T]:
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object with 'value', got {type(data).__name__}")
        items = data.get("value")
        if not isinstance(items, list):
            raise TypeError(f"'value' must be a JSON array, got {type(items).__name__}")
        count = data.get("@odata.count")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
            raise TypeError(f"'@odata.count' must be a non-negative integer, got {count!r}")
        next_link = data.get("@odata.nextLink")
        if next_link is not None and not isinstance(next_link, str):
            raise TypeError(f"'@odata.nextLink' must be a string, got {next_link!r}")
        built = items if build_item is None else [build_item(item) for item in items]
        return PageData(
            items=built,
            count=count,
            next_link=next_link,
            context=data.get("@odata.context"),
            http_response=response,
        )

    return parse(response, build)


def unexpected(response: httpx.Response) -> APIResponseValidationError:
    """The error for a success status the operation declares no answer for (a 204 where a body was due)."""
    return APIResponseValidationError(response, "has a status the operation declares no body for")


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
        name, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params.setdefault(name, raw)
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
