"""Realistic starting data for the entity sets tests touch most: a small office PBX.

100 users on extensions 100-199 with unique names and e-mail addresses, four groups (``DEFAULT`` holds everyone),
queues on 800-804, ring groups on 700-704, 250 contacts (more than the ``$top`` cap of 100, so paging across
the cap is exercised), a peer per extension, queue and ring group, three trunks, parking slots, active calls,
backups and a day of call history. Everything is derived from the seed; other entity sets get two
schema-derived records each (:func:`generic_records`).

Each record starts as a full schema sample (so it is valid against the document) and the fields that carry
meaning are then set; a field is only set where the schema has it, so a newer document cannot make a seed
invalid.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ._catalog import EntitySetInfo
from ._numbering import PLAN
from ._samples import COMPANIES, FIRST_NAMES, LAST_NAMES, SampleFactory, rng_for

__all__ = ["CALL_LOG_MONTH", "SEEDED_SETS", "SeedContext", "call_log_rows", "generic_records", "seed_records"]

USER_COUNT = 100
CONTACT_COUNT = 250
GROUPS = (("DEFAULT", "GRP0000"), ("Sales", "GRP0001"), ("Support", "GRP0002"), ("Finance", "GRP0003"))
QUEUES = ("Sales Queue", "Support Queue", "Billing Queue", "Reception Queue", "Overflow Queue")
RING_GROUPS = ("Front Desk", "Warehouse", "Management", "Night Line", "Helpdesk")
_NOW = datetime(2025, 3, 3, 9, 30, 0, tzinfo=timezone.utc)
CALL_LOG_MONTH = (datetime(2026, 3, 1, tzinfo=timezone.utc), datetime(2026, 4, 1, tzinfo=timezone.utc))


@dataclass
class SeedContext:
    """What a seeder needs: the factory (for full schema samples) and a generator for this set."""

    factory: SampleFactory
    info: EntitySetInfo
    rng: random.Random

    def base(self, index: int) -> dict[str, Any]:
        return self.factory.object(self.info.item_schema, f"seed/{self.info.name}/{index}")

    def put(self, record: dict[str, Any], **values: Any) -> dict[str, Any]:
        """Set ``values`` on ``record`` where the item schema has the property."""
        properties = self.factory.schemas.get(self.info.item_schema, {}).get("properties", {})
        for name, value in values.items():
            if name in properties:
                record[name] = value
        return record


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def user_name(index: int) -> tuple[str, str]:
    """Unique for the first 650 indices: 26 first names and 25 last names, stepped coprimely."""
    return FIRST_NAMES[index % len(FIRST_NAMES)], LAST_NAMES[(index * 7) % len(LAST_NAMES)]


def email_of(first: str, last: str, domain: str = "example.com") -> str:
    return f"{first}.{last}@{domain}".lower().replace("'", "")


def _group_of(index: int) -> int:
    """Group Id (2-4) of user ``index``, besides DEFAULT (1)."""
    return 2 + index % 3


def _user_group(ctx: SeedContext, group_id: int, *, member: tuple[int, str, str] | None = None) -> dict[str, Any]:
    name, number = GROUPS[group_id - 1]
    entry: dict[str, Any] = {
        "GroupId": group_id,
        "Name": name,
        "Number": number,
        "CanDelete": group_id != 1,
        "Rights": {"RoleName": "users", "AllowParking": True, "AllowToChangePresence": True},
        "Tags": [],
    }
    if member is not None:
        member_id, member_number, member_name = member
        entry.update(Id=member_id, Number=member_number, MemberName=member_name, Type="Extension")
    else:
        entry["Id"] = group_id
    schema = ctx.factory.schemas.get("UserGroup", {}).get("properties", {})
    return {k: v for k, v in entry.items() if k in schema}


def _users(ctx: SeedContext) -> list[dict[str, Any]]:
    records = []
    for index in range(USER_COUNT):
        first, last = user_name(index)
        number = str(100 + index)
        record = ctx.base(index)
        ctx.put(
            record,
            Id=index + 1,
            Number=number,
            FirstName=first,
            LastName=last,
            DisplayName=f"{first} {last}",
            EmailAddress=email_of(first, last),
            Mobile=f"+447700{900000 + index:06d}",
            OutboundCallerID=f"+4420795{index:05d}",
            AuthID=f"auth{number}",
            Enabled=index % 17 != 16,
            IsRegistered=index % 3 != 0,
            Require2FA=False,
            Language="EN",
            CurrentProfileName="Available",
            PrimaryGroupId=1,
            Internal=False,
            Groups=[_user_group(ctx, 1), _user_group(ctx, _group_of(index))],
            Tags=[],
        )
        records.append(record)
    return records


def _groups(ctx: SeedContext) -> list[dict[str, Any]]:
    records = []
    for index, (name, number) in enumerate(GROUPS):
        group_id = index + 1
        members = [
            _user_group(ctx, group_id, member=(u + 1, str(100 + u), " ".join(user_name(u))))
            for u in range(USER_COUNT)
            if group_id == 1 or _group_of(u) == group_id
        ]
        record = ctx.base(index)
        ctx.put(
            record,
            Id=group_id,
            Name=name,
            Number=number,
            IsDefault=group_id == 1,
            HasMembers=bool(members),
            Language="EN",
            Members=members,
            Groups=[],
        )
        records.append(record)
    return records


def _queues(ctx: SeedContext) -> list[dict[str, Any]]:
    records = []
    for index, name in enumerate(QUEUES):
        agents = []
        for offset in range(3):
            user = (index * 3 + offset) % USER_COUNT
            agents.append({"Id": user + 1, "Name": " ".join(user_name(user)), "Number": str(100 + user), "Tags": []})
        manager = (index * 3 + 50) % USER_COUNT
        record = ctx.base(index)
        ctx.put(
            record,
            Id=index + 1,
            Number=str(800 + index),
            Name=name,
            Agents=agents,
            Managers=[{"Id": manager + 1, "Name": " ".join(user_name(manager)), "Number": str(100 + manager)}],
            Groups=[_user_group(ctx, 1)],
        )
        records.append(record)
    return records


def _ring_groups(ctx: SeedContext) -> list[dict[str, Any]]:
    records = []
    for index, name in enumerate(RING_GROUPS):
        members = []
        for offset in range(2):
            user = (index * 2 + offset + 20) % USER_COUNT
            members.append({"Id": user + 1, "Name": " ".join(user_name(user)), "Number": str(100 + user), "Tags": []})
        record = ctx.base(index)
        ctx.put(
            record,
            Id=index + 1,
            Number=str(700 + index),
            Name=name,
            RingStrategy="RingAll",
            RingTime=20,
            Members=members,
            Groups=[_user_group(ctx, 1)],
        )
        records.append(record)
    return records


def _contacts(ctx: SeedContext) -> list[dict[str, Any]]:
    records = []
    for index in range(CONTACT_COUNT):
        first = FIRST_NAMES[(index * 5) % len(FIRST_NAMES)]
        last = LAST_NAMES[(index * 3 + index // 25) % len(LAST_NAMES)]
        company = COMPANIES[index % len(COMPANIES)]
        record = ctx.base(index)
        ctx.put(
            record,
            Id=index + 1,
            FirstName=first,
            LastName=last,
            CompanyName=company,
            Email=email_of(first, f"{last}{index + 1}", company.split()[0].lower() + ".example"),
            PhoneNumber=f"+4420{7000_0000 + index * 37:08d}",
            Mobile2=f"+447800{index:06d}",
            Business=f"+4420{3000_0000 + index:08d}",
            Department=("Sales", "Support", "Accounts", "Operations")[index % 4],
            Title=("Mr", "Ms", "Dr", "")[index % 4],
            Tag=f"batch-{index // 50}",
        )
        records.append(record)
    return records


def _peers(ctx: SeedContext) -> list[dict[str, Any]]:
    peers: list[tuple[str, str, str]] = [(str(100 + u), " ".join(user_name(u)), "Extension") for u in range(USER_COUNT)]
    peers += [(str(800 + i), name, "Queue") for i, name in enumerate(QUEUES)]
    peers += [(str(700 + i), name, "RingGroup") for i, name in enumerate(RING_GROUPS)]
    records = []
    for index, (number, name, kind) in enumerate(peers):
        record = ctx.base(index)
        member_of = [{"GroupID": 1, "IsPrimary": True, "Name": "DEFAULT", "Number": "GRP0000", "RoleName": "users"}]
        ctx.put(record, Id=index + 1, Number=number, Name=name, Type=kind, Hidden=False, MemberOf=member_of, Tags=[])
        records.append(record)
    return records


def _trunks(ctx: SeedContext) -> list[dict[str, Any]]:
    providers = ("Sipgate", "Twilio", "Telnyx")
    records = []
    for index, provider in enumerate(providers):
        record = ctx.base(index)
        gateway = dict(record.get("Gateway") or {})
        gateway.update(Name=f"{provider} trunk", Host=f"sip.{provider.lower()}.example")
        ctx.put(
            record,
            Id=index + 1,
            Number=str(10000 + index),
            ExternalNumber=f"+44203{index:07d}",
            IsOnline=index != 2,
            Direction="Both",
            SimultaneousCalls=10 * (index + 1),
            Gateway={k: v for k, v in gateway.items() if k in ctx.factory.schemas["Gateway"]["properties"]},
            DidNumbers=[f"+44203{index:07d}"],
        )
        records.append(record)
    return records


def _parkings(ctx: SeedContext) -> list[dict[str, Any]]:
    records = []
    for index in range(3):
        record = ctx.base(index)
        ctx.put(record, Id=index + 1, Number=f"SP{index}", Groups=[_user_group(ctx, 1)])
        records.append(record)
    return records


def _active_calls(ctx: SeedContext) -> list[dict[str, Any]]:
    records = []
    for index in range(4):
        started = _NOW - timedelta(minutes=3 * index + 1)
        record = ctx.base(index)
        ctx.put(
            record,
            Id=index + 1,
            Caller=f"{100 + index * 7} {' '.join(user_name(index * 7))}",
            Callee=f"+4420{7946_0000 + index:08d}",
            Status=("Talking", "Talking", "Routing", "Transferring")[index],
            EstablishedAt=_iso(started),
            LastChangeStatus=_iso(started + timedelta(seconds=5)),
            ServerNow=_iso(_NOW),
        )
        records.append(record)
    return records


def _backups(ctx: SeedContext) -> list[dict[str, Any]]:
    records = []
    for index in range(3):
        day = _NOW - timedelta(days=index)
        name = f"3CXScheduledBackup_{day:%Y-%m-%d}.zip"
        record = ctx.base(index)
        ctx.put(
            record,
            FileName=name,
            CreationTime=_iso(day.replace(hour=2, minute=0)),
            Size=150_000_000 + index * 1_234_567,
            DownloadLink=f"/xapi/v1/Backups('{name}')",
        )
        records.append(record)
    return records


def _call_history(ctx: SeedContext) -> list[dict[str, Any]]:
    records = []
    for index in range(60):
        start = _NOW - timedelta(hours=24) + timedelta(minutes=23 * index)
        seconds = ctx.rng.randint(5, 900)
        answered = index % 5 != 4
        src = index % USER_COUNT
        dst = (index * 11 + 3) % USER_COUNT
        record = ctx.base(index)
        ctx.put(
            record,
            SegmentId=1000 + index,
            SegmentStartTime=_iso(start),
            SegmentEndTime=_iso(start + timedelta(seconds=seconds if answered else 20)),
            CallTime=f"PT{seconds // 60}M{seconds % 60}S" if answered else "PT0S",
            CallAnswered=answered,
            SrcDn=str(100 + src),
            SrcDisplayName=" ".join(user_name(src)),
            SrcCallerNumber=str(100 + src),
            SrcInternal=True,
            SrcExternal=False,
            DstDn=str(100 + dst),
            DstDisplayName=" ".join(user_name(dst)),
            DstCallerNumber=str(100 + dst),
            DstInternal=True,
            DstExternal=False,
        )
        records.append(record)
    return records


SEEDED_SETS: Mapping[str, Callable[[SeedContext], list[dict[str, Any]]]] = {
    "Users": _users,
    "Groups": _groups,
    "Queues": _queues,
    "RingGroups": _ring_groups,
    "Contacts": _contacts,
    "Peers": _peers,
    "Trunks": _trunks,
    "Parkings": _parkings,
    "ActiveCalls": _active_calls,
    "Backups": _backups,
    "CallHistoryView": _call_history,
}


def seed_records(factory: SampleFactory, info: EntitySetInfo) -> list[dict[str, Any]]:
    """The starting records of entity set ``info``: realistic for :data:`SEEDED_SETS`, generic otherwise."""
    seeder = SEEDED_SETS.get(info.name)
    if seeder is None:
        return generic_records(factory, info)
    return seeder(SeedContext(factory, info, rng_for(factory.seed, f"seed/{info.name}")))


def generic_records(factory: SampleFactory, info: EntitySetInfo, count: int = 2) -> list[dict[str, Any]]:
    """``count`` schema samples with distinct keys (1, 2 ...; ``name1``, ``name2`` ...; fixed uuids).

    A set of the numbering plan gets the first numbers of its form (the plan's starts keep sets apart).
    """
    records = factory.items(info.item_schema, f"seed/{info.name}", count)
    form = PLAN.get(info.name)
    for index, record in enumerate(records):
        if info.key is not None:
            record[info.key] = key_value(info, index)
        for alternate in info.alternate_keys:
            record[alternate] = str(900 + index)
        if form is not None and "Number" in record:
            record["Number"] = form.format(form.start + index)
    return records


def call_log_rows(factory: SampleFactory, count: int) -> list[dict[str, Any]]:
    """``count`` call log rows (``CallLogData``), spread evenly over March 2026, the same for every seed run.

    Calls go between the seeded users and to and from outside numbers; one in five is not answered.
    """
    rng = rng_for(factory.seed, "call-log")
    properties = factory.schemas.get("CallLogData", {}).get("properties", {})
    start, end = CALL_LOG_MONTH
    step = (end - start) / max(count, 1)
    rows = []
    for index in range(count):
        moment = start + step * index
        answered = index % 5 != 4
        talking = rng.randint(5, 900) if answered else 0
        ringing = rng.randint(1, 30)
        src = index % USER_COUNT
        direction = ("Inbound", "Outbound", "Internal")[index % 3]
        src_dn, src_name = str(100 + src), " ".join(user_name(src))
        dst = (index * 11 + 3) % USER_COUNT
        dst_dn, dst_name = str(100 + dst), " ".join(user_name(dst))
        external = f"+4420{7946_0000 + index % 10_000:08d}"
        if direction == "Inbound":
            src_dn, src_name = external, external
        elif direction == "Outbound":
            dst_dn, dst_name = external, external
        row = {
            "CallId": 50_000 + index,
            "SegmentId": 90_000 + index,
            "CdrId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "CallHistoryId": f"{index + 1:08d}",
            "MainCallHistoryId": f"{index + 1:08d}",
            "StartTime": moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "Answered": answered,
            "Status": "Answered" if answered else "Unanswered",
            "Direction": direction,
            "CallType": direction,
            "Reason": "" if answered else "NoAnswer",
            "SourceDn": src_dn,
            "SourceCallerId": src_dn,
            "SourceDisplayName": src_name,
            "SourceType": 0,
            "DestinationDn": dst_dn,
            "DestinationCallerId": dst_dn,
            "DestinationDisplayName": dst_name,
            "DestinationType": 0,
            "RingingDuration": f"PT{ringing}S",
            "TalkingDuration": f"PT{talking // 60}M{talking % 60}S",
            "Indent": 0,
            "SubrowDescNumber": 0,
            "QualityReport": answered,
            "Recordings": [],
        }
        rows.append({k: v for k, v in row.items() if k in properties})
    return rows


def key_value(info: EntitySetInfo, index: int) -> object:
    """The ``index``-th generated key for a set: short enough for every key's maxLength in the document."""
    if info.key_literal == "int":
        return index + 1
    if info.key_literal == "uuid":
        return str(uuid.UUID(int=(index + 1) * 0x1111, version=4))
    return f"{(info.key or 'key').lower()[:8]}{index + 1}"
