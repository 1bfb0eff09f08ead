"""Telling "this PBX does not have the operation" apart from "no such entity" in a 404.

A fleet runs one client against PBXs of different builds, and an operation this client knows can be missing
on an older PBX. The PBX then answers the request like any unknown URL: a 404 (405 when only the method is
unknown there). :func:`unsupported_operation` turns such an answer into an
:class:`~threecx_xapi.UnsupportedOperationError` naming the operation and both versions, when the answer
shows it is about the route and not about an entity:

* a 405, or a 404 whose message is ASP.NET's routing miss (``No HTTP resource was found that matches the
  request ...``), whatever the PBX's version;
* a 404 without an OData error body from a PBX whose ``X-3CX-Version`` is older than this client's XAPI, for
  a request that names no entity by key (an entity set, a singleton, a function or an action): a key's 404
  may just mean that entity does not exist, so it stays a ``NotFoundError``.

Everything else is returned as it was. The operation is named by matching the request against the path
templates of the registry (only on this error path, compiled on first use).
"""

from __future__ import annotations

import re
from functools import cache
from typing import TypeVar

from ._exceptions import APIStatusError, UnsupportedOperationError
from ._redact import shown
from ._version import VERSION_HEADER, is_older_xapi, xapi_version

__all__ = ["ROUTE_MISSING", "operation_for", "unsupported_operation"]

ROUTE_MISSING = "No HTTP resource was found that matches the request"
_API = "/xapi/v1"
E = TypeVar("E", bound=BaseException)
_ENTITY_KEY = re.compile(r"[^./()]+\(")  # a segment like Users(29) or Users(Number='100'), not Pbx.Fn(
_PARAMETER = re.compile(r"\\\{[^}]*\\\}")  # an escaped {Name} in an escaped path template


@cache
def _templates() -> list[tuple[str, re.Pattern[str], int, str]]:
    """(method, compiled path template, literal length, operation id), most literal first."""
    from . import _registry as registry

    compiled = []
    for record in registry.operations():
        path = str(record["path"])
        pattern = _PARAMETER.sub(lambda _: "[^/]*", re.escape(path))
        literal = len(re.sub(r"\{[^}]*\}", "", path))
        compiled.append((str(record["method"]), re.compile(pattern + r"\Z"), literal, str(record["operation_id"])))
    compiled.sort(key=lambda item: -item[2])
    return compiled


def operation_for(method: str, raw_path: str) -> str | None:
    """The operation id of ``method`` and a path (below ``/xapi/v1`` or with that prefix), or None."""
    path = raw_path.split("?", 1)[0]
    at = path.find(_API + "/")
    if at >= 0:
        path = path[at + len(_API) :]
    for template_method, pattern, _, operation_id in _templates():
        if template_method == method.upper() and pattern.match(path):
            return operation_id
    return None


def _names_an_entity(path: str) -> bool:
    return any(_ENTITY_KEY.match(segment) for segment in path.split("?", 1)[0].split("/"))


def _route_missing(error: APIStatusError, version: str | None) -> bool:
    if error.status_code == 405:
        return True
    if error.status_code != 404:
        return False
    if (error.message or "").startswith(ROUTE_MISSING):
        return True
    request = error.request
    bare = not error.message and not error.code
    keyed = request is None or _names_an_entity(request.url.raw_path.decode("ascii", "replace"))
    return bare and not keyed and is_older_xapi(version)


def unsupported_operation(error: E, *, operation: str | None = None) -> E | UnsupportedOperationError:
    """``error`` as an ``UnsupportedOperationError`` when it says the PBX lacks the operation, else ``error``.

    ``operation`` names it (an operation id, a command); by default it is looked up from the request.
    """
    if not isinstance(error, APIStatusError) or isinstance(error, UnsupportedOperationError):
        return error
    version = error.response.headers.get(VERSION_HEADER)
    if not _route_missing(error, version):
        return error
    request = error.request
    where = f"{request.method} {request.url.raw_path.decode('ascii', 'replace')}" if request is not None else ""
    name = operation or (operation_for(request.method, where.split(" ", 1)[1]) if request is not None else None)
    ours = xapi_version()
    pbx = f"X-3CX-Version {shown(version.strip(), limit=64)}" if version else "no X-3CX-Version"
    older = " (older)" if is_older_xapi(version) else ""
    named = f"operation {name}" + (f" ({where})" if where else "") if name else f"{where or 'the operation'}"
    answer = shown(error.message or "", limit=200)
    description = (
        f"{named} is not available on this PBX ({pbx}{older}; this client speaks XAPI {ours}): "
        f"it answered {error.status_code}{': ' + answer if answer else ''}"
    )
    unsupported = UnsupportedOperationError(
        description,
        response=error.response,
        code=error.code,
        message=error.message,
        target=error.target,
        details=error.details,
    )
    unsupported.operation = name or where
    unsupported.pbx_version = version
    unsupported.xapi_version = ours
    unsupported.__cause__ = error
    return unsupported
