"""Group membership and role, as columns: ``group``, ``role`` and ``Groups``, mapped to ``User.Groups``.

In the 20.0.10 document a user's memberships are ``Groups``: a list of ``UserGroup`` objects, each naming the
group by ``GroupId`` and the user's role in it by ``Rights.RoleName`` (``users``, ``managers``, ...). A PATCH
replaces the list whole. So the columns say what the list should be:

* ``group``: one group, by name, number (``GRP0001``) or id; ``Groups``: several, ``Sales; Support:managers``
  (a role after a colon is that group's own), or a list of those or of ``UserGroup`` objects (in JSON or
  YAML, or as JSON text in a CSV cell);
* ``role``: the role in the named groups that do not name their own; alone, the new role in every group the
  entity is already in.

A group the entity is already in keeps its role unless one is given; a new membership gets ``users``. Any set
whose ``Groups`` items are ``GroupId`` + ``Rights`` gets these columns; the others do not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._bodies import load_schemas
from ._kind import EntityKind

__all__ = [
    "DEFAULT_ROLE",
    "MEMBERSHIP_COLUMNS",
    "ROLES",
    "GroupDirectory",
    "Membership",
    "MembershipRequest",
    "desired_membership",
    "has_membership",
    "membership_of",
    "membership_text",
    "membership_wire",
    "parse_membership",
]

ROLES = ("system_owners", "system_admins", "group_owners", "managers", "group_admins", "receptionists", "users")
"""The role names 3CX gives a member of a group (``Rights.RoleName``)."""
DEFAULT_ROLE = "users"
MEMBERSHIP_COLUMNS = {"group": "group", "role": "role", "groups": "groups"}
"""Column name (case-insensitive) -> what it says."""

Membership = tuple[tuple[int, str], ...]
"""(group id, role name) pairs, sorted: what compares."""


def has_membership(kind: EntityKind) -> bool:
    """Whether ``kind``'s ``Groups`` are memberships (``GroupId`` and ``Rights``)."""
    descriptor = kind.properties.get("Groups") or {}
    item = (descriptor.get("items") or {}).get("ref")
    properties = (load_schemas().get(item or "") or {}).get("properties") or {}
    return descriptor.get("type") == "array" and "GroupId" in properties and "Rights" in properties


@dataclass(frozen=True)
class MembershipRequest:
    """What a row asks: ``groups`` (reference, own role or None) when it names groups, and a ``role``."""

    groups: tuple[tuple[object, str | None], ...] | None
    role: str | None


def parse_membership(values: Mapping[str, object]) -> tuple[MembershipRequest | None, list[str]]:
    """The request of one row's membership columns (``group``, ``groups``, ``role`` as keys), and problems."""
    problems: list[str] = []
    groups: list[tuple[object, str | None]] | None = None
    for column in ("groups", "group"):
        raw = values.get(column)
        if raw is None or raw == "" or raw == []:
            continue
        if isinstance(raw, str) and raw.lstrip().startswith("["):  # a CSV cell holding the JSON list
            try:
                raw = json.loads(raw)
            except ValueError as exc:
                problems.append(f"column {column}: not a valid JSON list ({exc})")
                continue
        items: Sequence[object] = _split(raw) if isinstance(raw, str) else raw if isinstance(raw, list) else [raw]
        groups = groups or []
        for item in items:
            parsed = _reference(item)
            if isinstance(parsed, str):
                problems.append(f"column {column}: {parsed}")
            else:
                groups.append(parsed)
    role = values.get("role")
    if role is not None and not isinstance(role, str):
        problems.append(f"column role: expected a role name, got {role!r}")
        role = None
    role = (role or "").strip() or None
    for _, own in groups or []:
        problems += _role_problem(own)
    problems += _role_problem(role)
    if groups is None and role is None:
        return None, problems
    return MembershipRequest(tuple(groups) if groups is not None else None, role), problems


def _split(text: str) -> list[object]:
    return [part.strip() for part in re.split(r"[;,]", text) if part.strip()]


def _reference(item: object) -> tuple[object, str | None] | str:
    """A group reference and its own role, or the problem with it."""
    if isinstance(item, Mapping):
        rights = item.get("Rights") if isinstance(item.get("Rights"), Mapping) else {}
        ref = item.get("GroupId", item.get("group", item.get("Name")))
        own = item.get("role") or (rights or {}).get("RoleName")
        if ref is None:
            return f"a group needs GroupId (or group), got {dict(item)!r}"
        return ref, str(own) if own else None
    if isinstance(item, bool) or not isinstance(item, (str, int)):
        return f"expected a group name, number or id, got {item!r}"
    if isinstance(item, str) and ":" in item:
        name, _, own = item.rpartition(":")
        return name.strip(), own.strip() or None
    return item, None


def _role_problem(role: str | None) -> list[str]:
    if role is None or role in ROLES:
        return []
    return [f"role {role!r} is not a 3CX role (one of {', '.join(ROLES)})"]


class GroupDirectory:
    """The PBX's groups, to find one by id, number or name (numbers and names case-insensitively)."""

    def __init__(self, groups: Sequence[Mapping[str, Any]]) -> None:
        self._by_id: dict[int, Mapping[str, Any]] = {}
        self._by_text: dict[str, int] = {}
        for group in groups:
            group_id = group.get("Id")
            if not isinstance(group_id, int):
                continue
            self._by_id[group_id] = group
            for field in ("Name", "Number"):
                if isinstance(group.get(field), str):
                    self._by_text.setdefault(str(group[field]).strip().casefold(), group_id)

    def find(self, ref: object) -> int | None:
        if isinstance(ref, int) and not isinstance(ref, bool):
            return ref if ref in self._by_id else None
        text = str(ref).strip()
        found = self._by_text.get(text.casefold())
        if found is None and text.isdigit():
            return int(text) if int(text) in self._by_id else None
        return found

    def label(self, group_id: int) -> str:
        group = self._by_id.get(group_id) or {}
        return str(group.get("Name") or group.get("Number") or group_id)


def membership_of(entity: Mapping[str, Any] | None) -> Membership:
    """What an existing entity's ``Groups`` say, as sorted (group id, role) pairs."""
    pairs = []
    for item in (entity or {}).get("Groups") or ():
        if isinstance(item, Mapping) and isinstance(item.get("GroupId"), int):
            rights = item.get("Rights") if isinstance(item.get("Rights"), Mapping) else None
            pairs.append((int(item["GroupId"]), str((rights or {}).get("RoleName") or DEFAULT_ROLE)))
    return tuple(sorted(pairs))


def desired_membership(
    request: MembershipRequest, existing: Membership, directory: GroupDirectory
) -> tuple[Membership | None, list[str]]:
    """The memberships a row asks for, given what the entity has now; or the problems."""
    current = dict(existing)
    if request.groups is None:
        if not existing:
            return None, ["column role: the entity is in no group; name one in a group column"]
        return tuple(sorted((gid, request.role or role) for gid, role in existing)), []
    wanted: dict[int, str] = {}
    problems = []
    for ref, own in request.groups:
        gid = directory.find(ref)
        if gid is None:
            problems.append(f"group {ref!r} does not exist")
            continue
        wanted[gid] = own or request.role or current.get(gid) or DEFAULT_ROLE
    if problems:
        return None, problems
    return tuple(sorted(wanted.items())), []


def membership_wire(membership: Membership) -> list[dict[str, Any]]:
    """The ``Groups`` value to send."""
    return [{"GroupId": gid, "Rights": {"RoleName": role}} for gid, role in membership]


def membership_text(membership: Membership, directory: GroupDirectory) -> str:
    """``Sales (users), Support (managers)``; ``(none)`` for no group."""
    return ", ".join(f"{directory.label(gid)} ({role})" for gid, role in membership) or "(none)"
