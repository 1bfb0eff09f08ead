"""What an operation's result must be, from the generated method's declared return type and the actual response.

The generated resource methods declare what a caller gets (``SyncPage[User]``, ``Weblink``, ``None``,
``IActionResult | File``, ``None | QualityReport``); the SDK parses every response into that (a parse error
raises, which fails the call). Here the parsed value is held against the declaration *and* against the response
that produced it, so that a value of the right type that lost the data does not pass:

* a declared page must be a ``SyncPage``/``AsyncPage`` whose items are of the item type, with ``count`` set
  when ``$count=true`` was asked;
* a declared model must be an instance of that model, and ``None`` only when the body was JSON ``null``;
* a response that is not JSON (a CSV, WAV or ZIP download) must come back as a ``File`` holding exactly the
  bytes received; a declaration without ``File`` cannot hold it, which is a failure of the SDK;
* an operation the document answers with 204 must return ``None``.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from threecx_xapi_client import models

from threecx_xapi import AsyncPage, File, SyncPage

__all__ = ["Declared", "declared", "problem"]


@dataclass(frozen=True)
class Declared:
    """A return annotation taken apart: page item type, model types, whether ``None``/``File`` are allowed."""

    text: str
    page_item: type | None
    models: tuple[type, ...]
    allows_none: bool
    allows_file: bool


def declared(method: Any) -> Declared:
    """The declared return type of a generated resource method (annotations are strings: PEP 563)."""
    text = str(inspect.signature(method).return_annotation)
    page_item: type | None = None
    found: list[type] = []
    allows_none = allows_file = False
    for part in (p.strip() for p in text.split("|")):
        if part == "None":
            allows_none = True
        elif part == "File":
            allows_file = True
        elif part.startswith(("SyncPage[", "AsyncPage[")):
            page_item = _type_named(part[part.index("[") + 1 : -1])
        else:
            found.append(_type_named(part))
    return Declared(text, page_item, tuple(found), allows_none, allows_file)


def problem(
    result: object, declaration: Declared, response: httpx.Response, *, statuses: list[int], count_requested: bool
) -> str | None:
    """Why ``result`` is not what the operation must return for ``response``, or None when it is."""
    if response.status_code not in statuses:
        return f"status {response.status_code}, the document answers {statuses}"
    if response.status_code == 204:
        return None if result is None else f"204 No Content returned {_kind(result)}, not None"
    content_type = response.headers.get("content-type", "")
    if not _is_json(content_type):
        return _file_problem(result, declaration, response, content_type)
    body: object = json.loads(response.content) if response.content else None
    if declaration.page_item is not None:
        return _page_problem(result, declaration.page_item, body, count_requested)
    if result is None:
        if body is None and declaration.allows_none:
            return None
        return f"returned None for a JSON {type(body).__name__} (declared {declaration.text})"
    if declaration.models and isinstance(result, declaration.models):
        return None
    return f"returned {_kind(result)}, declared {declaration.text}"


def _page_problem(result: object, item_type: type, body: object, count_requested: bool) -> str | None:
    if not isinstance(result, (SyncPage, AsyncPage)):
        return f"returned {_kind(result)}, not a page of {item_type.__name__}"
    wrong = [item for item in result.items if not isinstance(item, item_type)]
    if wrong:
        return f"page item {_kind(wrong[0])} is not a {item_type.__name__}"
    received = body.get("value") if isinstance(body, Mapping) else None
    if isinstance(received, list) and len(received) != len(result.items):
        return f"the response had {len(received)} items, the page {len(result.items)}"
    if count_requested and not isinstance(result.count, int):
        return f"$count=true was sent but the page's count is {result.count!r}"
    return None


def _file_problem(result: object, declaration: Declared, response: httpx.Response, content_type: str) -> str | None:
    received = f"{content_type or 'no content type'} ({len(response.content)} bytes)"
    if isinstance(result, File):
        payload = result.payload.read()
        if payload != response.content:
            return f"the File holds {len(payload)} bytes, the response {received}"
        return None
    if not declaration.allows_file:
        return f"the server answered {received}; {declaration.text} cannot hold a file, got {_kind(result)}"
    return f"the server answered {received}, the SDK returned {_kind(result)} instead of a File"


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _type_named(name: str) -> type:
    if name == "str":
        return str
    found: type = getattr(models, name)
    return found


def _kind(value: object) -> str:
    if isinstance(value, (SyncPage, AsyncPage)):
        return f"{type(value).__name__}(items={len(value.items)})"
    return type(value).__name__
