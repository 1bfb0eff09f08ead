"""Columns to fields: the PBX's names (``FirstName``) or the SDK's (``first_name``), and cells to values.

Each column is matched to a field of the set's item schema by its wire name or Python name, exactly or,
failing that, ignoring case. An unknown column is bad input (with the nearest name, if there is one), told
before anything is sent. A value is made the field's JSON type and checked by the SDK's own body checker
(:func:`threecx_xapi._bodies.coerce`), so a refused value is the checker's reason, per row and column.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .._bodies import coerce, load_schemas
from ._errors import ProvisionError
from ._kind import EntityKind
from ._membership import MEMBERSHIP_COLUMNS, has_membership

__all__ = ["NOT_GIVEN_CELL", "ColumnMap", "field_value", "resolve_field"]

NOT_GIVEN_CELL = ""
"""An empty cell leaves its field alone (to clear a field, give null in JSON or YAML)."""


@dataclass(frozen=True)
class ColumnMap:
    """Column name -> wire field (``FirstName``) or membership column (``@group``, ``@groups``, ``@role``)."""

    fields: Mapping[str, str]
    key: str  # the key field's wire name

    @classmethod
    def build(cls, kind: EntityKind, columns: Iterable[str], *, key: str) -> ColumnMap:
        """Match every column; a :class:`ProvisionError` lists the unknown ones."""
        key_field = resolve_field(kind, key)
        if key_field is None:
            raise ProvisionError(f"--key {key!r} is not a field of {kind.item_schema}{_nearest(kind, key)}")
        membership = has_membership(kind)
        fields: dict[str, str] = {}
        unknown: list[str] = []
        for column in columns:
            special = MEMBERSHIP_COLUMNS.get(column.casefold()) if membership else None
            wire = None if special else resolve_field(kind, column)
            if special:
                fields[column] = "@" + special
            elif wire is None:
                unknown.append(f"{column!r}{_nearest(kind, column)}")
            elif wire == kind.key_field and key_field != kind.key_field:
                raise ProvisionError(
                    f"column {column!r}: {wire} is the PBX's own key, assigned by it; rows are matched by "
                    f"{key_field} (or say --key {wire})"
                )
            else:
                fields[column] = wire
        if unknown:
            plural = "s" if len(unknown) > 1 else ""
            raise ProvisionError(f"unknown column{plural} for {kind.name}: {', '.join(unknown)}")
        return cls(fields, key_field)

    def check_row(self, columns: Iterable[str], where: str) -> None:
        """Refuse a row whose columns name one field twice (``FirstName`` and ``first_name``)."""
        targets = [self.fields[column] for column in columns]
        doubled = sorted({t for t in targets if targets.count(t) > 1})
        if doubled:
            named = [f"{', '.join(c for c in columns if self.fields[c] == t)}" for t in doubled]
            raise ProvisionError(f"{where}: these columns name the same field: {'; '.join(named)}")


def resolve_field(kind: EntityKind, name: str) -> str | None:
    """The wire name of field ``name`` (wire or Python name, case ignored when unambiguous), or None."""
    properties = kind.properties
    if name in properties:
        return name
    python = {p: w for w, p in kind.python_names.items()}
    if name in python:
        return python[name]
    folded = [w for w in properties if w.casefold() == name.casefold()]
    folded += [w for p, w in python.items() if p.casefold() == name.casefold() and w not in folded]
    return folded[0] if len(folded) == 1 else None


def _nearest(kind: EntityKind, name: str) -> str:
    names = list(kind.properties) + list(kind.python_names.values())
    close = difflib.get_close_matches(name, names, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _is_text(descriptor: Mapping[str, Any]) -> bool:
    if "ref" in descriptor:
        target = load_schemas().get(descriptor["ref"]) or {}
        return "enum" in target and target.get("type") in (None, "string")
    return descriptor.get("type") == "string"


def field_value(kind: EntityKind, wire: str, raw: object) -> Any:
    """``raw`` as field ``wire`` of ``kind`` takes it; :class:`BodyError` (naming the field) when refused.

    Text in a field that is not text is read as JSON first (``true``, ``5``, ``[1, 2]``; ``TRUE`` too, as
    spreadsheets write it), so a CSV cell means what it says.
    """
    descriptor = kind.properties[wire]
    value = raw
    if isinstance(raw, str) and not _is_text(descriptor):
        text = raw.strip()
        if text.lower() in ("true", "false"):
            value = text.lower() == "true"
        else:
            try:
                value = json.loads(text)
            except ValueError:
                value = text  # the checker says what was expected
    return coerce(value, descriptor, path=wire)
