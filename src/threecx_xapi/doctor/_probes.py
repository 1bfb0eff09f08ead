"""The capability matrix: one read-only probe per area an integration commonly needs.

Each probe names an operation of the registry by its operation id; it must be a ``GET`` (checked when the
probe is resolved, and by the tests), and collections are asked for one item (``$top=1``), so the doctor
reads as little as it can and never changes anything. A 403 is "denied", with the hint for the area: 3CX keeps
call history, recordings, the call-log report and backups for the System Owner role; a principal denied even
every other area too is more likely refused by the console's IP restrictions.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from threecx_xapi import _registry as registry

__all__ = ["AREAS", "OWNER_HINT", "PROBES", "ROLE_HINT", "Probe", "ResolvedProbe", "probes_for"]

OWNER_HINT = (
    "give the API client the System Owner role (admin console > Integrations > API > the client > Role); "
    "System Administrators get 403 here"
)
ROLE_HINT = (
    "the API client's role may not read this area: give it a role that can (System Owner reads everything), "
    "admin console > Integrations > API"
)


def _no_arguments(now: datetime.datetime) -> dict[str, Any]:
    return {}


def _last_day(now: datetime.datetime) -> dict[str, Any]:
    """The call-log report over the last 24 hours, every call, as 3CX's web client asks for it."""
    return {
        "period_from": now - datetime.timedelta(days=1),
        "period_to": now,
        "source_type": 0,
        "source_filter": "",
        "destination_type": 0,
        "destination_filter": "",
        "calls_type": 0,
        "call_time_filter_type": 0,
        "call_time_filter_from": "0:00:0",
        "call_time_filter_to": "0:00:0",
        "hide_pcalls": True,
    }


@dataclass(frozen=True)
class Probe:
    """An area, the operation that reads it, its arguments, and what to do when the PBX says 403."""

    area: str
    label: str
    operation_id: str
    owner_only: bool = False  # 3CX keeps it for the System Owner role
    arguments: Callable[[datetime.datetime], dict[str, Any]] = field(default=_no_arguments, repr=False)

    @property
    def denied_hint(self) -> str:
        return OWNER_HINT if self.owner_only else ROLE_HINT


@dataclass(frozen=True)
class ResolvedProbe:
    """A probe with its registry record: the SDK method to call and the keyword arguments to call it with."""

    probe: Probe
    resource: str
    function: str
    method: str
    path: str
    paged: bool

    def kwargs(self, now: datetime.datetime) -> dict[str, Any]:
        arguments = self.probe.arguments(now)
        if self.paged:
            arguments.update(top=1, limit=1)
        return arguments


PROBES: tuple[Probe, ...] = (
    Probe("users", "users", "ListUser"),
    Probe("groups", "groups (departments)", "ListGroup"),
    Probe("queues", "call queues", "ListQueue"),
    Probe("call_history", "call history", "ListCallHistoryView", owner_only=True),
    Probe("recordings", "recordings", "ListRecording", owner_only=True),
    Probe("call_log", "call-log report", "GetCallLogData", owner_only=True, arguments=_last_day),
    Probe("system_status", "system status", "GetSystemStatus"),
    Probe("backups", "backups", "ListBackups", owner_only=True),
    Probe("licence", "licence status", "GetLicenseStatus"),
)

AREAS: tuple[str, ...] = tuple(probe.area for probe in PROBES)


def _resolve(probe: Probe) -> ResolvedProbe:
    record = registry.operation(probe.operation_id)
    if record["method"] != "GET":  # pragma: no cover - guarded by the tests; a probe must never write
        raise RuntimeError(f"doctor probe {probe.area} names {probe.operation_id}, a {record['method']}")
    return ResolvedProbe(
        probe,
        resource=record["resource"],
        function=record["function"],
        method=record["method"],
        path=record["path"],
        paged="$top" in record["odata_options"],
    )


def probes_for(areas: Sequence[str] | None) -> list[ResolvedProbe]:
    """The probes of ``areas`` (all by default), in the table's order; unknown names raise ``ValueError``."""
    if areas is None:
        return [_resolve(probe) for probe in PROBES]
    if isinstance(areas, str):
        areas = [areas]
    by_area: Mapping[str, Probe] = {probe.area: probe for probe in PROBES}
    unknown = [area for area in areas if area not in by_area]
    if unknown:
        raise ValueError(f"unknown area {', '.join(map(repr, unknown))}: expected some of {', '.join(AREAS)}")
    wanted = set(areas)
    return [_resolve(probe) for probe in PROBES if probe.area in wanted]
