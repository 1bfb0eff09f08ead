"""What a snapshot is: the data of each resource read, what was denied or failed, and where it came from.

Everything is kept in a stable order so that two snapshots of the same state are the same bytes (apart from
the manifest's ``taken_at``): resources by name, entities by key (by their canonical JSON when they have
none), object keys sorted when written (:func:`canonical_json`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._resources import Resource

__all__ = [
    "FORMAT",
    "Failure",
    "ResourceData",
    "Snapshot",
    "canonical_json",
    "compact_json",
    "entity_key",
    "ordered",
    "usable_key",
]

FORMAT = "threecx-xapi-snapshot/1"

JSON = Any


def canonical_json(value: JSON) -> str:
    """The text a snapshot file holds: keys sorted, two-space indents, UTF-8 as is, a final newline."""
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def compact_json(value: JSON) -> str:
    """One line, keys sorted: the identity of a value (``1`` and ``true`` differ, as they do on the wire)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entity_key(entity: Mapping[str, Any], key: str | None) -> str:
    """How an entity is matched: its key's value as JSON, or the whole object as JSON when there is no key."""
    return compact_json(entity.get(key) if key is not None else entity)


def _sort_value(value: JSON) -> tuple[int, Any]:
    if isinstance(value, bool) or value is None:
        return (2, compact_json(value))
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, compact_json(value))


def ordered(items: list[dict[str, Any]], key: str | None) -> list[dict[str, Any]]:
    """Entities sorted by key (numbers before text), or by their canonical JSON without one."""
    if key is None:
        return sorted(items, key=compact_json)
    return sorted(items, key=lambda item: (_sort_value(item.get(key)), compact_json(item)))


def usable_key(items: list[dict[str, Any]], key: str | None) -> str | None:
    """``key`` if every entity has a value for it and no two share one; else None (whole-object identity)."""
    if key is None:
        return None
    seen: set[str] = set()
    for item in items:
        value = item.get(key)
        if value is None:
            return None
        text = compact_json(value)
        if text in seen:
            return None
        seen.add(text)
    return key


@dataclass(frozen=True)
class ResourceData:
    """One resource as read: its entities (a collection) or its object (a singleton), secrets as the snapshot says."""

    name: str
    path: str
    operation_id: str
    collection: bool
    schema: str | None
    key: str | None  # the key entities are matched by; None: whole-object identity (or a singleton)
    data: list[dict[str, Any]] | dict[str, Any] = field(repr=False)  # may hold secrets (include_secrets)

    @classmethod
    def of(cls, resource: Resource, data: list[dict[str, Any]] | dict[str, Any], key: str | None) -> ResourceData:
        return cls(resource.name, resource.path, resource.operation_id, resource.collection, resource.schema, key, data)

    @property
    def kind(self) -> str:
        return "collection" if self.collection else "singleton"

    @property
    def file_name(self) -> str:
        return self.name.replace("/", ".") + ".json"

    @property
    def entities(self) -> list[dict[str, Any]]:
        """The entities of a collection; a singleton's one object."""
        return self.data if isinstance(self.data, list) else [self.data]

    def manifest_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "file": self.file_name,
            "kind": self.kind,
            "operation": self.operation_id,
            "path": self.path,
            "schema": self.schema,
        }
        if self.collection:
            entry["count"] = len(self.entities)
            entry["key"] = self.key
        return entry


@dataclass(frozen=True)
class Failure:
    """A resource that could not be read: the HTTP status (None without one), the error's class and message."""

    name: str
    path: str
    operation_id: str
    status: int | None
    error: str
    message: str

    @property
    def denied(self) -> bool:
        return self.status == 403

    def manifest_entry(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "message": self.message,
            "operation": self.operation_id,
            "path": self.path,
            "status": self.status,
        }

    def describe(self) -> str:
        return f"denied ({self.status})" if self.denied else f"failed ({self.status or self.error})"


@dataclass(frozen=True)
class Snapshot:
    """A PBX's configuration at one moment: ``resources`` read, ``failures`` (403s and others), and the context.

    ``source`` says where it came from: the folder it was loaded from, or the PBX address it was read from.
    """

    pbx: str
    xapi_version: str | None  # as the PBX reported it (X-3CX-Version); None when it did not
    sdk_version: str
    taken_at: str  # ISO 8601, UTC
    secrets_included: bool
    resources: Mapping[str, ResourceData] = field(repr=False)
    failures: Mapping[str, Failure] = field(default_factory=dict, repr=False)
    excluded: tuple[str, ...] = ()
    source: str = ""

    @property
    def denied(self) -> dict[str, Failure]:
        """The resources the PBX refused with 403 (the API client's role does not reach them)."""
        return {name: f for name, f in self.failures.items() if f.denied}

    @property
    def failed(self) -> dict[str, Failure]:
        """The resources that failed otherwise (a server error, a timeout, an answer that did not parse)."""
        return {name: f for name, f in self.failures.items() if not f.denied}

    def write(self, directory: str | os.PathLike[str]) -> Path:
        """Write the snapshot to ``directory`` (new or empty): ``manifest.json`` and a file per resource."""
        from ._files import write

        return write(self, directory)

    def manifest(self) -> dict[str, Any]:
        """``manifest.json``: the PBX, its XAPI version, when, whether secrets are in, what was read and denied."""
        return {
            "denied": {name: f.manifest_entry() for name, f in sorted(self.denied.items())},
            "excluded": sorted(self.excluded),
            "failed": {name: f.manifest_entry() for name, f in sorted(self.failed.items())},
            "format": FORMAT,
            "pbx": self.pbx,
            "resources": {name: data.manifest_entry() for name, data in sorted(self.resources.items())},
            "sdk_version": self.sdk_version,
            "secrets": "included" if self.secrets_included else "blanked",
            "taken_at": self.taken_at,
            "xapi_version": self.xapi_version,
        }
