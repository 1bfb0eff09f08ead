"""Field-level differences between two JSON values, by path: ``Forwarding.Busy.Number``, ``Phones[Id=3].Model``.

Objects are compared key by key (a key on one side only is a field added or removed). Arrays of objects that
all carry a distinct ``Id`` on both sides are matched by it; any other array is compared as one value. Values
are equal when their JSON is: ``1`` and ``true`` differ, as they do on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._model import compact_json

__all__ = ["MISSING", "FieldChange", "field_changes"]


class _Missing:
    """A field absent on one side (not the same as null)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: ``old`` is :data:`MISSING` when it was added, ``new`` when it was removed."""

    path: str
    old: Any
    new: Any

    @property
    def kind(self) -> str:
        """``added``, ``removed`` or ``changed``."""
        if self.old is MISSING:
            return "added"
        if self.new is MISSING:
            return "removed"
        return "changed"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "path": self.path}
        if self.old is not MISSING:
            out["old"] = self.old
        if self.new is not MISSING:
            out["new"] = self.new
        return out


def _same(a: Any, b: Any) -> bool:
    return compact_json(a) == compact_json(b)


def _by_id(items: list[Any]) -> dict[str, Any] | None:
    if not items or not all(isinstance(item, dict) and item.get("Id") is not None for item in items):
        return None
    index = {compact_json(item["Id"]): item for item in items}
    return index if len(index) == len(items) else None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def field_changes(old: Any, new: Any, path: str = "") -> list[FieldChange]:
    """Every field that differs between ``old`` and ``new``, in a stable order (keys sorted)."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[FieldChange] = []
        for name in sorted(set(old) | set(new)):
            where = _join(path, name)
            if name not in old:
                changes.append(FieldChange(where, MISSING, new[name]))
            elif name not in new:
                changes.append(FieldChange(where, old[name], MISSING))
            else:
                changes.extend(field_changes(old[name], new[name], where))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        before, after = _by_id(old), _by_id(new)
        if before is not None and after is not None:
            changes = []
            for ident in sorted(set(before) | set(after)):
                where = f"{path}[Id={ident}]"
                if ident not in before:
                    changes.append(FieldChange(where, MISSING, after[ident]))
                elif ident not in after:
                    changes.append(FieldChange(where, before[ident], MISSING))
                else:
                    changes.extend(field_changes(before[ident], after[ident], where))
            return changes
    if _same(old, new):
        return []
    return [FieldChange(path, old, new)]
