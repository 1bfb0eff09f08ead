"""The operation registry: every operation of this client, as data (``registry.json`` beside this module).

Each record names the operation's module and function, its HTTP method and path template, its parameters in
document order (location, OData role, literal type, nullability, Python name), the OData query options it
takes, and its body and response types. The facade, command line and test server are built on it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["document", "operation", "operations"]

_PATH = Path(__file__).with_name("registry.json")


@cache
def _load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_PATH.read_text("utf-8"))
    return data


def document() -> dict[str, Any]:
    """The document this client was generated from: ``sha256``, ``openapi``, ``xapi_version``."""
    info: dict[str, Any] = _load()["document"]
    return info


def operations() -> list[dict[str, Any]]:
    """Every operation record, sorted by tag and operation id."""
    records: list[dict[str, Any]] = _load()["operations"]
    return records


@cache
def _by_id() -> dict[str, dict[str, Any]]:
    return {record["operation_id"]: record for record in operations()}


def operation(operation_id: str) -> dict[str, Any]:
    """One operation by its ``operationId`` (as the document spells it, typos included)."""
    try:
        return _by_id()[operation_id]
    except KeyError:
        raise KeyError(f"no operation {operation_id!r} in this client") from None
