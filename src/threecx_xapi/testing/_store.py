"""The server's state: entity sets and singletons in memory, behind one lock.

Requests are handled on uvicorn's thread while a test inspects or changes ``server.state`` from its own, so
every access goes through :attr:`State.lock` (re-entrant: a handler may call several methods in a row).
Sets and singletons are seeded lazily, on first use, from the seed alone, so a server that only ever sees
``/Users`` pays for nothing else, and :meth:`State.reset` simply forgets everything.

Records are plain JSON-shaped dicts (wire names, date-times as text), exactly what a PBX would send.

The DN-bearing sets share one numbering plan (:mod:`._numbering`): :meth:`State.next_number` is the next free
number of a set, :meth:`State.number_owner` who holds a number. A new record gets the defaults a PBX fills in
(:meth:`State.template`); integer keys count up and are never handed out twice, even after a delete.
"""

from __future__ import annotations

import bisect
import copy
import json
import threading
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from ._catalog import Catalog, EntitySetInfo
from ._defaults import EXTRAS, blank
from ._numbering import PEER_TYPES, PLAN, next_free, normal_number
from ._samples import SampleFactory, rng_for
from ._seeds import call_log_rows, key_value, seed_records
from ._urls import parse_datetime

__all__ = ["EntitySet", "State"]

# Seeds depend only on the seed and the schemas: made once per process, then copied per server. JSON text
# is the cheapest deep copy of JSON-shaped data, and tests start many servers.
_SEED_CACHE: dict[tuple[int, str], str] = {}
_SEED_CACHE_LOCK = threading.Lock()


def _seeded(factory: SampleFactory, info: EntitySetInfo) -> list[dict[str, Any]]:
    key = (factory.seed, info.name)
    with _SEED_CACHE_LOCK:
        text = _SEED_CACHE.get(key)
        if text is None:
            text = _SEED_CACHE[key] = json.dumps(seed_records(factory, info))
    records: list[dict[str, Any]] = json.loads(text)
    return records


class EntitySet:
    """One entity set: records by key, in insertion order. Not locked itself; :class:`State` holds the lock."""

    def __init__(self, info: EntitySetInfo, records: list[dict[str, Any]]) -> None:
        self.info = info
        self._records: dict[object, dict[str, Any]] = {}
        self._keyless: list[dict[str, Any]] = []
        self._last_id = 0  # the highest integer key ever held: new keys count up from it, never reused
        for record in records:
            self._insert(record)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records())

    def __len__(self) -> int:
        return len(self._records) + len(self._keyless)

    def records(self) -> list[dict[str, Any]]:
        """Every record, in order (the live dicts: copy before handing them out of the lock)."""
        return list(self._records.values()) + self._keyless

    def keys(self) -> list[object]:
        return list(self._records)

    def __contains__(self, key: object) -> bool:
        return _normal(key) in self._records

    def get(self, key: object) -> dict[str, Any] | None:
        record = self._records.get(_normal(key))
        if record is None and key is not None and not self.info.listable and self.info.key is not None:
            # A set the document never lists (CrmTemplates): every key "exists", as a fresh record.
            record = {self.info.key: key}
            self._records[_normal(key)] = record
        return record

    def find(self, prop: str, value: object) -> dict[str, Any] | None:
        """The first record whose ``prop`` equals ``value`` (alternate keys such as ``Number``)."""
        for record in self.records():
            if record.get(prop) == value:
                return record
        return None

    def next_id(self) -> int:
        """The integer key the next created record gets."""
        return self._last_id + 1

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A new record from ``body``; an integer key is assigned (never one used before), other keys are taken
        from the body."""
        record = copy.deepcopy(dict(body))
        key = self.info.key
        if key is not None and self.info.key_literal == "int":
            record[key] = self.next_id()
        elif key is not None and key not in record:
            record[key] = key_value(self.info, len(self._records))
        self._insert(record)
        return record

    def update(self, key: object, changes: Mapping[str, Any]) -> dict[str, Any] | None:
        """PATCH: the given fields replace the stored ones; nested objects merge, arrays are replaced whole."""
        record = self.get(key)
        if record is None:
            return None
        for name, value in changes.items():
            if name == self.info.key:
                continue  # a key is not changed by PATCH
            record[name] = merge(record.get(name), value)
        return record

    def delete(self, key: object) -> bool:
        return self._records.pop(_normal(key), None) is not None

    def _insert(self, record: dict[str, Any]) -> None:
        key = self.info.key
        if key is None or record.get(key) is None:
            self._keyless.append(record)
        else:
            value = record[key]
            if isinstance(value, int) and not isinstance(value, bool):
                self._last_id = max(self._last_id, value)
            self._records[_normal(value)] = record


def merge(old: object, new: object) -> object:
    """OData PATCH semantics for one property: complex values merge recursively, everything else is replaced."""
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for name, value in new.items():
            merged[name] = merge(old.get(name), value)
        return merged
    return copy.deepcopy(new)


def _normal(key: object) -> object:
    """Keys compare as the PBX compares them: uuids case-insensitively."""
    return key.lower() if isinstance(key, str) and len(key) == 36 and key.count("-") == 4 else key


class State:
    """All entity sets and singletons of one server, created on first use and forgotten by :meth:`reset`."""

    def __init__(self, catalog: Catalog, factory: SampleFactory, *, call_log_rows: int = 0) -> None:
        self.catalog = catalog
        self.factory = factory
        self.call_log_rows = call_log_rows
        self.lock = threading.RLock()
        self._sets: dict[str, EntitySet] = {}
        self._singletons: dict[str, dict[str, Any]] = {}
        self._samples: dict[str, Any] = {}

    def entity_set(self, name: str) -> EntitySet:
        """The entity set ``name`` (``Users``), seeded on first use."""
        with self.lock:
            found = self._sets.get(name)
            if found is None:
                info = self.catalog.entity_sets[name]
                found = self._sets[name] = EntitySet(info, _seeded(self.factory, info))
            return found

    def singleton(self, name: str) -> dict[str, Any]:
        """The singleton ``name`` (``MyUser``, ``SystemStatus``) as a live dict, sampled on first use."""
        with self.lock:
            found = self._singletons.get(name)
            if found is None:
                schema = self.catalog.singletons[name]
                found = self._singletons[name] = self.factory.object(schema, f"singleton/{name}")
            return found

    def sample(self, context: str, make: Any) -> Any:
        """A cached schema sample (``make()`` on first use): an operation answers the same thing every time."""
        with self.lock:
            if context not in self._samples:
                self._samples[context] = make()
            return self._samples[context]

    # -- the numbering plan and new entities -------------------------------------------------------------

    def numbered_sets(self) -> list[str]:
        """The entity sets of the numbering plan this document has."""
        return [name for name in PLAN if name in self.catalog.entity_sets]

    def number_owner(self, number: object, *, exclude: Mapping[str, Any] | None = None) -> str | None:
        """The entity set whose record (other than ``exclude``) holds ``number`` in the plan, or None."""
        wanted = normal_number(number)
        if wanted is None:
            return None
        with self.lock:
            for name in self.numbered_sets():
                for record in self.entity_set(name).records():
                    if record is not exclude and normal_number(record.get("Number")) == wanted:
                        return name
        return None

    def next_number(self, set_name: str) -> str:
        """The next free number of the plan in the form of ``set_name``'s numbers."""
        with self.lock:
            used = {
                number
                for name in self.numbered_sets()
                for record in self.entity_set(name).records()
                if (number := normal_number(record.get("Number"))) is not None
            }
            return next_free(PLAN[set_name], used)

    def template(self, set_name: str) -> dict[str, Any]:
        """A new entity of ``set_name`` as a PBX proposes it: neutral values, the kind's own defaults and the next
        free number (no key: a create assigns it). What ``Init*`` answers and what a create starts from."""
        with self.lock:
            info = self.catalog.entity_sets[set_name]
            record = blank(info.item_schema, self.catalog.schemas)
            entity_set = self.entity_set(set_name)
            extras = EXTRAS.get(set_name)
            if extras is not None:
                rng = rng_for(self.factory.seed, f"new/{set_name}/{entity_set.next_id()}")
                record.update({k: v for k, v in extras(rng).items() if k in record})
            if set_name in PLAN and "Number" in record:
                record["Number"] = self.next_number(set_name)
            return record

    def follow_peer(self, set_name: str, old_number: object, record: Mapping[str, Any] | None) -> None:
        """Keep ``/Peers`` (the view of every DN) in step with a DN created, renumbered, renamed or deleted
        (``record`` None): the peer that had ``old_number`` follows ``record``."""
        kind = PEER_TYPES.get(set_name)
        if kind is None or "Peers" not in self.catalog.entity_sets:
            return
        with self.lock:
            peers = self.entity_set("Peers")
            wanted = normal_number(old_number)
            existing = next((p for p in peers.records() if normal_number(p.get("Number")) == wanted), None)
            if wanted is not None and existing is None and record is None:
                return
            if record is None:
                if existing is not None and existing.get("Id") is not None:
                    peers.delete(existing["Id"])
                return
            name = record.get("DisplayName") or record.get("Name")
            if not name and (record.get("FirstName") or record.get("LastName")):
                name = f"{record.get('FirstName') or ''} {record.get('LastName') or ''}".strip()
            fields = {"Number": record.get("Number"), "Name": name or str(record.get("Number") or "")}
            if existing is not None:
                existing.update(fields)
            else:
                peers.create({"Type": kind, "Hidden": False, "MemberOf": [], "Tags": [], **fields})

    def call_log(self) -> list[dict[str, Any]]:
        """The call log the report functions read (``call_log_rows`` rows over March 2026), made once."""
        return list(self.sample("call-log", lambda: call_log_rows(self.factory, self.call_log_rows)))

    def call_log_between(self, start: datetime | None, end: datetime | None) -> list[dict[str, Any]]:
        """The call-log rows that started within ``start``..``end`` (both inclusive, either open), in time order.

        The rows are indexed by start time once, so a report over one day of 100 000 rows costs a bisection,
        not a scan: the export benchmark times the client's paging, not this server's filtering.
        """
        rows, moments = self.sample("call-log-index", self._call_log_index)
        low = 0 if start is None else bisect.bisect_left(moments, start)
        high = len(moments) if end is None else bisect.bisect_right(moments, end)
        return list(rows[low:high])

    def _call_log_index(self) -> tuple[list[dict[str, Any]], list[datetime]]:
        timed = []
        for row in self.sample("call-log", lambda: call_log_rows(self.factory, self.call_log_rows)):
            moment = parse_datetime(str(row.get("StartTime", "")).replace(".000Z", "Z"))
            if moment is not None:
                timed.append((moment, row))
        timed.sort(key=lambda pair: pair[0])
        return [row for _, row in timed], [moment for moment, _ in timed]

    def records(self, name: str) -> list[dict[str, Any]]:
        """A deep copy of the records of entity set ``name``, for inspection in tests."""
        with self.lock:
            return copy.deepcopy(self.entity_set(name).records())

    def keys(self, name: str) -> list[object]:
        with self.lock:
            return self.entity_set(name).keys()

    def reset(self) -> None:
        """Forget every change: the next access seeds again, identically."""
        with self.lock:
            self._sets.clear()
            self._singletons.clear()
            self._samples.clear()
