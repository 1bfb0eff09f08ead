"""The plan: what each row will do to the PBX (create, update, unchanged, conflict) and what a prune deletes.

Planning reads, never writes: the entity set (paged by key), ``/Peers`` (every DN of the numbering plan) when
the set's entities have numbers, and the groups when a row names one. Then, row by row:

* **conflict** when a value is refused by the schema (the body checker's reason, naming the column), the key
  is in the file more than once, a number is held by another DN anywhere in the numbering plan, an e-mail
  address by another entity, or a group or role does not exist;
* **update** when an entity has the row's key and a field differs, listing exactly those fields, old -> new
  (secrets as ``***``); **unchanged** when none does;
* **create** otherwise; a row without a ``Number`` gets the next free one, as the PBX would give it (counting
  on from the PBX's own ``GetFirstAvailable...Number()`` where the set has one, else from its lowest number).
  Matched by ``Number``, a row without one is matched by its ``EmailAddress`` instead, where it has one, so
  applying such a file twice creates nothing twice.

Keys and numbers compare as the PBX compares them: trimmed, case-insensitively.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .._bodies import BodyError
from ._columns import NOT_GIVEN_CELL, ColumnMap, field_value
from ._errors import ProvisionError
from ._kind import EntityKind, entity_kind, first_available_function, numbers_in_use
from ._membership import (
    GroupDirectory,
    MembershipRequest,
    desired_membership,
    has_membership,
    membership_of,
    membership_text,
    membership_wire,
    parse_membership,
)
from ._rows import Row, rows_from

__all__ = ["ACTIONS", "Action", "Change", "Plan", "PlanEntry", "make_plan"]

Action = Literal["create", "update", "unchanged", "conflict", "delete"]
ACTIONS: tuple[Action, ...] = ("create", "update", "unchanged", "conflict", "delete")
UNIQUE_FIELDS = ("Number", "EmailAddress")
"""Fields the PBX lets one entity hold at a time (``Number`` across the whole numbering plan)."""
SECRET = "***"
_NUMBER_FORM = re.compile(r"(?P<prefix>.*?)(?P<digits>[0-9]+)")


def normal(value: object) -> str | None:
    """A key or number as the PBX compares it; None for none."""
    if value is None:
        return None
    text = str(value).strip().casefold()
    return text or None


def _shown(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Change:
    """One field a row sets: ``old`` -> ``new`` (``old`` None for a create); a secret's values are never shown."""

    field: str
    old: Any
    new: Any
    secret: bool = dataclasses.field(default=False, repr=False)
    text: bool = dataclasses.field(default=False, repr=False)  # old and new are already display text (memberships)

    def __post_init__(self) -> None:
        if self.secret:
            object.__setattr__(self, "old", None if self.old is None else SECRET)
            object.__setattr__(self, "new", None if self.new is None else SECRET)

    def __str__(self) -> str:
        old, new = (str(self.old), str(self.new)) if self.text else (_shown(self.old), _shown(self.new))
        return f"{self.field}: {old} -> {new}"

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class PlanEntry:
    """What one row (or, for a ``delete``, one entity the file does not name) will do.

    ``body`` is what will be sent (every field of a create, exactly the changed fields of an update); it is
    left out of reprs and printed plans, since it may hold secrets.
    """

    row: int | None
    key: str | None
    action: Action
    changes: tuple[Change, ...] = ()
    reasons: tuple[str, ...] = ()
    entity_id: object = None
    body: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @property
    def detail(self) -> str:
        """The changes (``field: old -> new``) or the conflict's reasons, one line."""
        if self.reasons:
            return "; ".join(self.reasons)
        if self.action == "delete":
            return "not named in the file"
        if self.action == "create":
            return ", ".join(f"{c.field}={_shown(c.new) if not c.text else c.new}" for c in self.changes)
        return "; ".join(str(c) for c in self.changes)

    def as_dict(self) -> dict[str, Any]:
        """The entry for printing: row, key, action, detail, and the changes or reasons as data."""
        out: dict[str, Any] = {"row": self.row, "key": self.key, "action": self.action, "detail": self.detail}
        if self.entity_id is not None:
            out["id"] = self.entity_id
        if self.changes:
            out["changes"] = [change.as_dict() for change in self.changes]
        if self.reasons:
            out["reasons"] = list(self.reasons)
        return out


@dataclass(frozen=True)
class Plan:
    """The entries of one file against one entity set, in row order (deletions last)."""

    entity_set: str
    key: str
    entries: tuple[PlanEntry, ...]
    notes: tuple[str, ...] = ()  # what the reader should know beyond the entries

    def __iter__(self) -> Iterator[PlanEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def counts(self) -> dict[str, int]:
        """How many entries of each action: ``{"create": 3, "update": 1, ...}``, every action named."""
        counts: dict[str, int] = dict.fromkeys(ACTIONS, 0)
        for entry in self.entries:
            counts[entry.action] += 1
        return counts

    def of(self, action: Action) -> list[PlanEntry]:
        """The entries of one action."""
        return [entry for entry in self.entries if entry.action == action]

    def summary(self) -> str:
        """``Users by Number: 3 create, 1 update, 496 unchanged, 0 conflict, 0 delete``."""
        counts = ", ".join(f"{n} {action}" for action, n in self.counts.items())
        return f"{self.entity_set} by {self.key}: {counts}"

    def as_dicts(self) -> list[dict[str, Any]]:
        return [entry.as_dict() for entry in self.entries]

    def __str__(self) -> str:
        lines = [self.summary(), *(f"note: {note}" for note in self.notes)]
        for entry in self.entries:
            where = f"row {entry.row}" if entry.row is not None else "not in file"
            lines.append(f"  {where} [{entry.key}]: {entry.action} {entry.detail}".rstrip())
        return "\n".join(lines)


# -- planning ------------------------------------------------------------------------------------------------


@dataclass
class _Prepared:
    row: Row
    fields: dict[str, Any]
    columns: dict[str, str]  # wire -> the column it came from
    membership: MembershipRequest | None
    problems: list[str]
    key: str | None = None
    key_text: str | None = None


def _prepare(kind: EntityKind, columns: ColumnMap, row: Row) -> _Prepared:
    """One row's fields checked against the schema (no network): values, membership, problems."""
    fields: dict[str, Any] = {}
    names: dict[str, str] = {}
    special: dict[str, object] = {}
    problems: list[str] = []
    for column, raw in row.values.items():
        target = columns.fields[column]
        if raw == NOT_GIVEN_CELL:
            continue
        if target.startswith("@"):
            special[target[1:]] = raw
            continue
        try:
            fields[target] = field_value(kind, target, raw)
        except BodyError as exc:
            if target in kind.secret_fields:  # the checker quotes the value: never a secret's
                problems.append(f"column {column}: the value is refused (a secret: not shown)")
            else:
                problems.append(f"column {column}: {exc.problem}" + (f" ({exc.path})" if exc.path != target else ""))
        names[target] = column
    membership, more = parse_membership(special)
    prepared = _Prepared(row, fields, names, membership, problems + more)
    key_value = fields.get(columns.key)
    prepared.key = normal(key_value)
    prepared.key_text = None if key_value is None else str(key_value)
    return prepared


def make_plan(
    pbx: Any, kind: EntityKind, rows: Iterable[Mapping[str, object] | Row], *, key: str = "Number", prune: bool = False
) -> Plan:
    """The plan of ``rows`` against the live PBX (see the module docstring). Bad input raises before any request."""
    rows = rows_from(rows)
    if not rows:
        raise ProvisionError("no rows to provision")
    if prune and kind.delete_op is None:
        raise ProvisionError(f"{kind.name} cannot be pruned: the XAPI has no DELETE /{kind.name}(...)")
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row.values))
    columns = ColumnMap.build(kind, names, key=key)
    for row in rows:
        columns.check_row(list(row.values), f"row {row.number}")
    prepared = [_prepare(kind, columns, row) for row in rows]
    return _Planner(pbx, kind, columns, prepared).plan(prune=prune)


class _Planner:
    def __init__(self, pbx: Any, kind: EntityKind, columns: ColumnMap, rows: Sequence[_Prepared]) -> None:
        self.pbx = pbx
        self.kind = kind
        self.columns = columns
        self.rows = rows
        self.key = columns.key
        memberships = any(row.membership is not None for row in rows)
        expand = "Groups($expand=Rights)" if memberships and has_membership(kind) else None
        self.existing = list(kind.walk(pbx, expand=expand))
        self.by_key: dict[str, dict[str, Any]] = {}
        for entity in self.existing:
            found = normal(entity.get(self.key))
            if found is not None:
                self.by_key.setdefault(found, entity)
        self.peers = numbers_in_use(pbx, kind) if kind.numbered else []
        self.directory = GroupDirectory(list(entity_kind("Groups").walk(pbx)) if memberships else [])

    # -- who holds what ---------------------------------------------------------------------------------

    def _holders(self, wire: str) -> dict[str, tuple[object, str]]:
        """Normalised value -> (entity key or None, who holds it) for a unique field."""
        holders: dict[str, tuple[object, str]] = {}
        if wire == "Number":
            for peer in self.peers:
                number = normal(peer.get("Number"))
                if number is not None:
                    holders[number] = (None, f"{peer['Type']} {peer.get('Name') or peer.get('Number')!r}")
        for entity in self.existing:
            value = normal(entity.get(wire))
            if value is not None:
                holders[value] = (entity.get(self.kind.key_field), f"{self.kind.name} {self._label(entity)}")
        return holders

    def _label(self, entity: Mapping[str, Any]) -> str:
        return f"{entity.get(self.key)!s} (Id {entity.get(self.kind.key_field)})"

    # -- the plan -------------------------------------------------------------------------------------

    def plan(self, *, prune: bool) -> Plan:
        unique = [w for w in UNIQUE_FIELDS if w in self.kind.properties]
        holders = {wire: self._holders(wire) for wire in unique}
        key_rows: dict[str, list[int]] = {}
        for row in self.rows:
            if row.key is not None:
                key_rows.setdefault(row.key, []).append(row.row.number)
        claimed: dict[str, dict[str, int]] = {wire: {} for wire in unique}
        entries = [self._entry(row, key_rows, holders, claimed) for row in self.rows]
        entries = self._number_new(entries)
        if prune:
            named = set(key_rows)
            found = {e.entity_id for e in entries if e.entity_id is not None}  # rows matched by e-mail, too
            for entity in self.existing:
                value = normal(entity.get(self.key))
                if value is not None and value not in named and entity.get(self.kind.key_field) not in found:
                    entity_id = entity.get(self.kind.key_field)
                    entries.append(PlanEntry(None, str(entity.get(self.key)), "delete", entity_id=entity_id))
        return Plan(self.kind.name, self.key, tuple(entries), self._notes(entries))

    def _notes(self, entries: Sequence[PlanEntry]) -> tuple[str, ...]:
        """A create that a second run cannot find again (no key, no e-mail address) would be made twice."""
        unfindable = {row.row.number for row in self.rows if row.key is None and not row.fields.get("EmailAddress")}
        rows = [str(e.row) for e in entries if e.action == "create" and e.row in unfindable]
        if not rows:
            return ()
        listed = ", ".join(rows[:10]) + (", ..." if len(rows) > 10 else "")
        return (
            f"rows without {self.key} or EmailAddress ({listed}) cannot be found by a second apply, which would "
            "create them again: put the numbers they get into the file",
        )

    def _entry(
        self,
        row: _Prepared,
        key_rows: Mapping[str, list[int]],
        holders: Mapping[str, Mapping[str, tuple[object, str]]],
        claimed: dict[str, dict[str, int]],
    ) -> PlanEntry:
        """The entry of one row (a create without a number is numbered afterwards)."""
        number = row.row.number
        reasons = list(row.problems)
        if row.key is None and not (self.key == "Number" and self.kind.numbered):
            reasons.append(f"no {self.key} (the key rows are matched by)")
        elif row.key is not None and len(key_rows[row.key]) > 1:
            others = [str(n) for n in key_rows[row.key] if n != number]
            rows = f"row{'s' if len(others) > 1 else ''} {', '.join(others)}"
            reasons.append(f"duplicate key: {self.key} {row.key_text} is also in {rows}")
        match = self.by_key.get(row.key) if row.key is not None else self._match_unkeyed(row)
        match_id = match.get(self.kind.key_field) if match is not None else None
        key_text = row.key_text if match is None or row.key is not None else str(match.get(self.key))
        for wire, held in holders.items():
            value = normal(row.fields.get(wire))
            if value is None or (match is not None and normal(match.get(wire)) == value):
                continue
            holder = held.get(value)
            if holder is not None and (match is None or holder[0] != match_id):
                what = "number" if wire == "Number" else wire
                reasons.append(f"{what} {row.fields[wire]} is already in use by {holder[1]}")
            if wire != self.key:  # a repeated key is told once, above
                first = claimed[wire].setdefault(value, number)
                if first != number:
                    reasons.append(f"{wire} {row.fields[wire]} is also in row {first}")
        changes: list[Change] = []
        body: dict[str, Any] = {}
        secret = self.kind.secret_fields
        for wire, new in row.fields.items():
            if match is not None and (wire == self.key or _same(match.get(wire), new)):
                continue
            changes.append(Change(wire, match.get(wire) if match is not None else None, new, wire in secret))
            body[wire] = new
        if row.membership is not None:
            current = membership_of(match)
            wanted, problems = desired_membership(row.membership, current, self.directory)
            reasons += problems
            if wanted is not None and (match is None or wanted != current):
                old = membership_text(current, self.directory) if match is not None else None
                changes.append(Change("Groups", old, membership_text(wanted, self.directory), text=True))
                body["Groups"] = membership_wire(wanted)
        if reasons:
            return PlanEntry(number, key_text, "conflict", reasons=tuple(reasons), entity_id=match_id)
        if match is not None:
            action: Action = "update" if changes else "unchanged"
            return PlanEntry(number, key_text, action, tuple(changes), entity_id=match_id, body=body)
        return PlanEntry(number, key_text, "create", tuple(changes), body=body)

    def _match_unkeyed(self, row: _Prepared) -> dict[str, Any] | None:
        """A row without a number is matched by its e-mail address (so running it again changes nothing)."""
        if self.key != "Number" or not self.kind.numbered:
            return None
        for wire in UNIQUE_FIELDS:
            value = normal(row.fields.get(wire)) if wire != self.key else None
            if value is not None:
                found = next((e for e in self.existing if normal(e.get(wire)) == value), None)
                if found is not None:
                    return found
        return None

    def _number_new(self, entries: list[PlanEntry]) -> list[PlanEntry]:
        """Creates without a number get the next free ones, in row order, as the PBX would give them."""
        waiting = [
            e for e in entries if e.action == "create" and self.kind.numbered and normal(e.body.get("Number")) is None
        ]
        if not waiting:
            return entries
        used = {normal(p.get("Number")) for p in self.peers} | {normal(e.get("Number")) for e in self.existing}
        used |= {normal(row.fields.get("Number")) for row in self.rows}
        start = self._first_number()
        numbers = _free_numbers(start, used) if start is not None else None
        final: list[PlanEntry] = []
        for entry in entries:
            if not any(entry is w for w in waiting):
                final.append(entry)
            elif numbers is None:
                reason = f"no Number given, and {self.kind.name} has no number to count on from: give one"
                final.append(PlanEntry(entry.row, entry.key, "conflict", reasons=(reason,)))
            else:
                assigned = next(numbers)
                key = assigned if self.key == "Number" else entry.key
                changes = (Change("Number", None, assigned), *entry.changes)
                body = {"Number": assigned, **entry.body}
                final.append(PlanEntry(entry.row, key, "create", changes, body=body))
        return final

    def _first_number(self) -> str | None:
        """Where the PBX starts looking for a free number of this set."""
        function = first_available_function(self.kind)
        if function is not None:
            answer = EntityKind.method(self.pbx, function)()
            proposed = answer.to_dict().get("Number") if hasattr(answer, "to_dict") else None
            if isinstance(proposed, str) and _NUMBER_FORM.fullmatch(proposed):
                return proposed
        numbers = [str(e.get("Number")) for e in self.existing if _NUMBER_FORM.fullmatch(str(e.get("Number") or ""))]
        if not numbers:
            return None
        return min(numbers, key=lambda n: (len(n), n))


def _free_numbers(start: str, used: set[str | None]) -> Iterator[str]:
    """Numbers of ``start``'s form (prefix, zero-padded digits) from it upward that nobody holds."""
    match = _NUMBER_FORM.fullmatch(start)
    assert match is not None
    prefix, digits = match["prefix"], match["digits"]
    n = int(digits)
    while True:
        candidate = f"{prefix}{n:0{len(digits)}d}"
        if normal(candidate) not in used:
            used.add(normal(candidate))
            yield candidate
        n += 1


def _same(old: object, new: object) -> bool:
    """Whether sending ``new`` would leave ``old`` as it is (PATCH merges objects and replaces arrays)."""
    if isinstance(new, dict):
        return isinstance(old, dict) and all(_same(old.get(k), v) for k, v in new.items())
    if isinstance(new, list):
        if not isinstance(old, list) or len(old) != len(new):
            return False
        return all(_same(o, n) for o, n in zip(old, new, strict=True))
    if old is None:  # the PBX leaves null and zero values out of its answers
        return new is None or (isinstance(new, (int, float)) and not isinstance(new, bool) and new == 0)
    if isinstance(old, bool) != isinstance(new, bool):
        return False
    return old == new
