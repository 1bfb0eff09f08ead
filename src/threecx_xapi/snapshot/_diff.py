"""Comparing two snapshots: per resource, the entities added, removed and changed (matched by key), field by field.

Resources in one snapshot only (one taken by another SDK version) are listed as such; a resource denied,
failed or excluded on either side is noted as not compared. When one snapshot has secrets and the other has
them blanked, both are compared blanked (a password is not reported as changed from ``"***"``). Nothing is
ignored unless asked: ``ignore`` takes glob patterns matched against a resource name (``"ActiveCalls"``,
``"Report*"``) to leave a resource out, and against ``Resource.Field.Path`` (``"SystemStatus.*"``,
``"*.LastUsed"``) to leave fields out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from ._fields import FieldChange, field_changes
from ._model import ResourceData, Snapshot, entity_key
from ._secrets import blank_secrets

__all__ = ["EntityChange", "NotCompared", "ResourceDiff", "Side", "SnapshotDiff", "diff"]

LABEL_FIELDS = ("Number", "Name", "DisplayName", "FirstName", "LastName")


@dataclass(frozen=True)
class Side:
    """Where one side of a diff came from."""

    source: str
    pbx: str
    taken_at: str
    xapi_version: str | None
    secrets_included: bool

    @classmethod
    def of(cls, snapshot: Snapshot) -> Side:
        return cls(
            snapshot.source or snapshot.pbx,
            snapshot.pbx,
            snapshot.taken_at,
            snapshot.xapi_version,
            snapshot.secrets_included,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "pbx": self.pbx,
            "secrets": "included" if self.secrets_included else "blanked",
            "source": self.source,
            "taken_at": self.taken_at,
            "xapi_version": self.xapi_version,
        }


@dataclass(frozen=True)
class EntityChange:
    """An entity added, removed or changed. ``key`` is its key's value (None: a singleton, or no key)."""

    key: Any
    entity: dict[str, Any]  # as in B (added, changed) or A (removed)
    fields: tuple[FieldChange, ...] = ()

    def label(self, key_name: str | None) -> str:
        """``Id=42 (Number 105, Name Sales)``: the key and what people recognise the entity by."""
        hints = [
            f"{name} {self.entity[name]}"
            for name in LABEL_FIELDS
            if name != key_name and isinstance(self.entity.get(name), (str, int)) and self.entity.get(name) != ""
        ][:2]
        head = f"{key_name}={self.key}" if key_name is not None else ""
        if not head:
            return ", ".join(hints) if hints else entity_key(self.entity, None)[:80]
        return f"{head} ({', '.join(hints)})" if hints else head


@dataclass(frozen=True)
class ResourceDiff:
    """The differences in one resource read on both sides."""

    name: str
    collection: bool
    key: str | None  # the key entities were matched by (None: whole-object identity, or a singleton)
    added: tuple[EntityChange, ...] = ()
    removed: tuple[EntityChange, ...] = ()
    changed: tuple[EntityChange, ...] = ()

    @property
    def has_differences(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def summary(self) -> str:
        if not self.collection:
            fields = sum(len(change.fields) for change in self.changed)
            return f"{fields} field{'s' if fields != 1 else ''} changed"
        parts = [
            f"{len(items)} {word}"
            for items, word in ((self.added, "added"), (self.removed, "removed"), (self.changed, "changed"))
            if items
        ]
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "collection" if self.collection else "singleton", "name": self.name}
        if self.collection:
            out["key"] = self.key
            out["added"] = [{"key": c.key, "entity": c.entity} for c in self.added]
            out["removed"] = [{"key": c.key, "entity": c.entity} for c in self.removed]
            out["changed"] = [{"key": c.key, "fields": [f.to_dict() for f in c.fields]} for c in self.changed]
        else:
            out["fields"] = [f.to_dict() for c in self.changed for f in c.fields]
        return out


@dataclass(frozen=True)
class NotCompared:
    """A resource that could not be compared: denied, failed or excluded on at least one side."""

    name: str
    a: str  # "read", "denied (403)", "failed (500)", "excluded", "absent"
    b: str

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "name": self.name}


@dataclass(frozen=True)
class SnapshotDiff:
    """What differs between snapshot A and snapshot B; ``to_markdown()`` for people, ``to_dict()`` for machines."""

    a: Side
    b: Side
    resources: tuple[ResourceDiff, ...]  # those with differences, by name
    only_in_a: tuple[str, ...] = ()
    only_in_b: tuple[str, ...] = ()
    not_compared: tuple[NotCompared, ...] = ()
    unchanged: tuple[str, ...] = ()
    ignored: tuple[str, ...] = field(default=())  # the patterns given

    @property
    def has_differences(self) -> bool:
        """Entities or fields differ, or a resource was read on one side only. Not-compared areas do not count."""
        return bool(self.resources or self.only_in_a or self.only_in_b)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "differences": self.has_differences,
            "ignored": list(self.ignored),
            "not_compared": [n.to_dict() for n in self.not_compared],
            "only_in_a": list(self.only_in_a),
            "only_in_b": list(self.only_in_b),
            "resources": [r.to_dict() for r in self.resources],
            "unchanged": list(self.unchanged),
        }

    def to_markdown(self) -> str:
        from ._markdown import render

        return render(self)


def _state(snapshot: Snapshot, name: str) -> str:
    if name in snapshot.resources:
        return "read"
    if name in snapshot.excluded:
        return "excluded"
    failure = snapshot.failures.get(name)
    return failure.describe() if failure is not None else "absent"


def _ignored(text: str, patterns: Sequence[str]) -> bool:
    return any(fnmatchcase(text, pattern) for pattern in patterns)


def _index(entities: list[dict[str, Any]], key: str | None) -> dict[str, dict[str, Any]]:
    """Entities by key; without one, by their JSON, a repeated identical entity counted (``#2``) not merged."""
    index: dict[str, dict[str, Any]] = {}
    for entity in entities:
        text = entity_key(entity, key)
        ident, n = text, 1
        while ident in index:
            n += 1
            ident = f"{text}#{n}"
        index[ident] = entity
    return index


def _compare(a: ResourceData, b: ResourceData, blank: bool, patterns: Sequence[str]) -> ResourceDiff:
    key = a.key if a.key == b.key else None
    old = blank_secrets(a.entities, a.schema) if blank else a.entities
    new = blank_secrets(b.entities, b.schema) if blank else b.entities

    def fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
        found = field_changes(before, after)
        return tuple(f for f in found if not _ignored(f"{a.name}.{f.path}", patterns))

    if not a.collection or not b.collection:
        settings = fields(old[0] if old else {}, new[0] if new else {})
        only = EntityChange(None, new[0] if new else {}, settings)
        return ResourceDiff(a.name, False, None, changed=(only,) if settings else ())
    before, after = _index(old, key), _index(new, key)
    value = (lambda e: e.get(key)) if key is not None else (lambda e: None)
    added = tuple(EntityChange(value(e), e) for k, e in after.items() if k not in before)
    removed = tuple(EntityChange(value(e), e) for k, e in before.items() if k not in after)
    changed: list[EntityChange] = []
    for k, entity in after.items():
        if k in before:
            changes = fields(before[k], entity)
            if changes:
                changed.append(EntityChange(value(entity), entity, changes))
    return ResourceDiff(a.name, True, key, added, removed, tuple(changed))


def diff(a: Snapshot, b: Snapshot, *, ignore: Sequence[str] = ()) -> SnapshotDiff:
    """What changed from ``a`` to ``b``. ``ignore``: glob patterns of resources or ``Resource.Field.Path``s."""
    if isinstance(ignore, str):
        ignore = (ignore,)
    blank = not (a.secrets_included and b.secrets_included)
    names = sorted(set(a.resources) | set(b.resources) | set(a.failures) | set(b.failures))
    found: list[ResourceDiff] = []
    only_a: list[str] = []
    only_b: list[str] = []
    not_compared: list[NotCompared] = []
    unchanged: list[str] = []
    for name in names:
        if _ignored(name, ignore):
            continue
        in_a, in_b = a.resources.get(name), b.resources.get(name)
        if in_a is not None and in_b is not None:
            result = _compare(in_a, in_b, blank, ignore)
            (found.append(result) if result.has_differences else unchanged.append(name))
        elif name in a.failures or name in b.failures or name in a.excluded or name in b.excluded:
            not_compared.append(NotCompared(name, _state(a, name), _state(b, name)))
        elif in_a is not None:
            only_a.append(name)
        else:
            only_b.append(name)
    return SnapshotDiff(
        Side.of(a),
        Side.of(b),
        tuple(found),
        tuple(only_a),
        tuple(only_b),
        tuple(not_compared),
        tuple(unchanged),
        tuple(ignore),
    )
