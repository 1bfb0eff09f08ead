"""Parsing a collection of 10 000 users: ours (the generated models) against theirs (the pydantic SDK
``3cx-xapi-python-sdk``), with ``json.loads`` as the floor.

The body is built deterministically from ``generated/threecx_xapi_client/schemas.json``: every property of
``User`` is filled (booleans, numbers, strings; enums with their first value; date-times, times, durations
and uuids with fixed samples; nested objects one level deep with their primitive and enum fields; arrays
with one item), ``Id`` and ``Number`` vary by record. Every contender parses the same bytes:

- json: ``json.loads(body)``;
- ours: ``pbx.users.list_user()`` on an ``XAPI`` client whose ``httpx.MockTransport`` answers with the body:
  the public path, request building, status handling and paging included (the page's ``items`` are the
  10 000 ``User`` models);
- theirs: ``[threecx.models.User.model_validate(x) for x in json.loads(body)["value"]]``.

Both results are checked before anything is timed: 10 000 users each, and every key of the body lands in a
declared field of their models (their ``extra="allow"`` would otherwise keep an unknown key unchecked).
Our response parsing pauses the cyclic GC itself for bodies over 256 KiB; that is part of what it costs,
so the goal compares the contenders as they run. A second set of rows runs all three with ``gc.disable()``
around the measurement, to show how much of each time is the collector. Each sample collects garbage first
and frees its result after the clock stops; contenders rotate their order every round; ratios use the best
sample of each (the run least disturbed by the rest of the machine).
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .report import Goal, Row, Section
from .timing import REPO, progress

__all__ = ["SCHEMAS", "Body", "build_body", "measure_parsing"]

SCHEMAS = REPO / "generated" / "threecx_xapi_client" / "schemas.json"
MODEL = "User"
RECORDS = 10_000
GOAL_RATIO = 0.5
FORMAT_SAMPLES = {
    "date-time": "2025-03-13T23:00:00.1234567Z",
    "time": "08:30:00",
    "duration": "PT1M2S",
    "uuid": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
}

Schemas = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Body:
    """The bytes every contender parses, and what one record holds."""

    content: bytes
    records: int
    fields: int  # properties of one record
    values: int  # primitive values of one record, nested ones included

    @property
    def megabytes(self) -> float:
        return len(self.content) / 1e6


def _primitive(prop: dict[str, Any], name: str) -> object:
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "boolean":
        return True
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "string":
        return FORMAT_SAMPLES.get(fmt or "", name)
    raise ValueError(f"{name}: no sample for {prop}")


def _value(schemas: Schemas, prop: dict[str, Any], name: str, depth: int) -> object:
    """A sample for one property; None leaves it out (objects nested deeper than one level)."""
    if "one_of" in prop:
        return _value(schemas, prop["one_of"][0], name, depth)
    if "ref" in prop:
        target = schemas[prop["ref"]]
        if "enum" in target:
            return target["enum"][0]
        return _record(schemas, prop["ref"], depth + 1) if depth == 0 else None
    if prop.get("type") == "array":
        item = _value(schemas, prop["items"], name, depth)
        return None if item is None else [item]
    return _primitive(prop, name)


def _record(schemas: Schemas, model: str, depth: int) -> dict[str, object]:
    values = {name: _value(schemas, prop, name, depth) for name, prop in schemas[model]["properties"].items()}
    return {name: value for name, value in values.items() if value is not None}


def _leaves(value: object) -> int:
    if isinstance(value, dict):
        return sum(_leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(_leaves(v) for v in value)
    return 1


def build_body(schemas_file: Path = SCHEMAS, records: int = RECORDS) -> Body:
    """The ``UserCollectionResponse`` body: ``records`` users with every property of the schema filled."""
    schemas: Schemas = json.loads(schemas_file.read_text(encoding="utf-8"))
    template = _record(schemas, MODEL, 0)
    users = [{**template, "Id": i + 1, "Number": str(1000 + i)} for i in range(records)]
    envelope = {"@odata.context": "https://pbx.example.com/xapi/v1/$metadata#Users", "@odata.count": records}
    content = json.dumps({**envelope, "value": users}, separators=(",", ":")).encode()
    return Body(content, records, len(template), _leaves(template))


def _extras(model: Any, path: str = "User") -> list[str]:
    """Keys their ``extra="allow"`` models kept without a declared field (so without any validation)."""
    from pydantic import BaseModel

    found = [f"{path}.{key}" for key in model.model_extra or {}]
    for name in type(model).model_fields:
        value = getattr(model, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                found += _extras(item, f"{path}.{name}")
    return found


def _sample(parse: Callable[[], object], gc_off: bool) -> float:
    """One timed parse, from a freshly collected heap; the result is freed after the clock stops."""
    gc.collect()
    enabled = gc.isenabled()
    if gc_off:
        gc.disable()
    try:
        started = time.perf_counter()
        result = parse()
        elapsed = time.perf_counter() - started
    finally:
        if gc_off and enabled:
            gc.enable()
    del result
    return elapsed


def _not_measured(section: Section, reason: str) -> Section:
    section.notes.append(reason)
    section.goals.append(Goal("parse ours/theirs", None, f"<= {GOAL_RATIO}", None, reason=reason.split(":")[0]))
    return section


def measure_parsing(runs: int) -> Section:
    """Best of ``runs`` for each contender, GC on and GC off, interleaved; ratios of the best samples."""
    import httpx
    from threecx_xapi_client.models.user import User

    from threecx_xapi import XAPI

    section = Section(
        f"parsing {RECORDS} users (UserCollectionResponse)", f"perf_counter around the parse, best of {runs}"
    )
    try:
        from pydantic import ValidationError
        from threecx.models import User as TheirUser  # type: ignore[import-untyped]
    except ImportError as exc:
        return _not_measured(section, f"their SDK not importable: {exc}")
    progress("parse: building the body")
    body = build_body()
    headers = {"content-type": "application/json; odata.metadata=minimal"}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body.content, headers=headers))
    pbx = XAPI("https://pbx.example.com", token="bench", http_client=httpx.Client(transport=transport))
    with pbx:  # closed when done

        def floor() -> object:
            return json.loads(body.content)

        def ours() -> object:
            return pbx.users.list_user()

        def theirs() -> object:
            return [TheirUser.model_validate(x) for x in json.loads(body.content)["value"]]

        page = pbx.users.list_user()
        if len(page.items) != RECORDS or not all(type(user) is User for user in page.items):
            return _not_measured(section, f"ours: parsed {len(page.items)} users, not {RECORDS}")
        try:
            users = [TheirUser.model_validate(x) for x in json.loads(body.content)["value"]]
        except ValidationError as exc:
            return _not_measured(section, f"theirs rejects the body: {exc}")
        extras = _extras(users[0])
        if extras:
            section.notes.append(f"theirs has no field for (kept unvalidated): {', '.join(extras)}")
        del page, users
        section.notes.append(
            f"body: {body.megabytes:.1f} MB, {body.records} records of {body.fields} fields "
            f"({body.values} values with the nested ones); their models validate it as built"
        )
        contenders = [
            (label, parse, gc_off)
            for gc_off in (False, True)
            for label, parse in (("json", floor), ("ours", ours), ("theirs", theirs))
        ]
        samples: dict[tuple[str, bool], list[float]] = {(label, gc_off): [] for label, _, gc_off in contenders}
        for i in range(runs):
            progress(f"parse round {i + 1}/{runs}")
            shift = i % len(contenders)
            for label, parse, gc_off in contenders[shift:] + contenders[:shift]:
                samples[label, gc_off].append(_sample(parse, gc_off))
        best = {key: min(values) for key, values in samples.items()}
        labels = {
            "json": "json.loads(body)",
            "ours": "ours: pbx.users.list_user() over httpx.MockTransport",
            "theirs": "theirs: [User.model_validate(x) for x in value]",
        }
        for gc_off in (False, True):
            suffix = ", gc.disable()d" if gc_off else ""
            for label in ("json", "ours", "theirs"):
                ratio = best[label, gc_off] / best["theirs", gc_off]
                note = "floor" if label == "json" else f"{best[label, gc_off] / best['json', gc_off]:.1f}x json.loads"
                section.rows.append(Row(labels[label] + suffix, samples[label, gc_off], ratio, note))
        collector = {label: (best[label, False] - best[label, True]) * 1000 for label in ("json", "ours", "theirs")}
        section.notes.append(
            "ratio column: to theirs in the same GC mode, best samples. The cyclic GC's share (GC on minus off): "
            + ", ".join(f"{label} {ms:.0f} ms" for label, ms in collector.items())
            + " (ours pauses it itself for bodies over 256 KiB)"
        )
        primary = best["ours", False] / best["theirs", False]
        section.goals += [
            Goal("parse ours/theirs", primary, f"<= {GOAL_RATIO}", primary <= GOAL_RATIO),
            Goal("parse ours/json.loads", best["ours", False] / best["json", False], "", None),
            Goal("parse ours/theirs, gc.disable() around both", best["ours", True] / best["theirs", True], "", None),
        ]
        return section
