"""Command lines from SDK keyword arguments: what a person would type for the contract suite's calls.

The contract suite builds valid keyword arguments for every operation (``tests.contract.arguments``); this
turns each into ``threecx-xapi <resource> <operation> --option value ...``. Bodies alternate between
``--data`` JSON and one ``--set`` per field (an action's parameters between ``--data`` and their own options),
so both ways are exercised on every kind of body.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from threecx_xapi import _bodies
from threecx_xapi.cli._catalog import kebab

__all__ = ["command_line", "option_text"]

_ODATA = ("top", "skip", "search", "filter", "count", "select", "orderby", "expand")


def option_text(value: object) -> str:
    """A parameter value as typed on the command line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)  # int, str, uuid.UUID, an F filter (its OData text)


def _field_text(value: object, descriptor: Mapping[str, Any] | None) -> str:
    """A body field for ``--set`` or an action option: text for a text field, JSON for any other."""
    text_field = descriptor is not None and (
        descriptor.get("type") == "string" or "enum" in (_bodies.load_schemas().get(descriptor.get("ref", "")) or {})
    )
    if text_field and isinstance(value, str):
        return value
    return json.dumps(value)


def command_line(record: Mapping[str, Any], kwargs: Mapping[str, object], turn: int) -> list[str]:
    """``[resource, operation, options...]`` for the SDK call ``kwargs`` of ``record``; ``turn`` picks the style."""
    resource = kebab(str(record["module"]).split(".")[2])
    argv = [resource, kebab(str(record["function"]))]
    done: set[str] = set()
    for param in record["parameters"]:
        name = str(param["python_name"])
        if param["location"] in ("path", "header") and name in kwargs:
            done.add(name)
            if kwargs[name] is not None:  # an omitted nullable parameter is sent as null
                argv += [f"--{kebab(name)}", option_text(kwargs[name])]
    for name in _ODATA:
        if name in kwargs:
            done.add(name)
            value = kwargs[name]
            if name == "count":
                argv += ["--count"] if value else []
            else:
                argv += [f"--{name}", option_text(value)]
    body = record.get("body")
    if body is not None and body["kind"] == "entity":
        done.add("body")
        fields = dict(kwargs.get("body") or {})  # type: ignore[call-overload]
        argv += _body_options(fields, body, turn)
    elif body is not None:
        given = {p["python_name"]: p for p in body["properties"] if p["python_name"] in kwargs}
        done.update(given)
        if turn % 2:
            argv += ["--data", json.dumps({p["name"]: kwargs[n] for n, p in given.items()}, default=str)]
        else:
            for name, prop in given.items():
                argv += [f"--{kebab(name)}", _field_text(kwargs[name], prop["schema"])]
    left = set(kwargs) - done
    if left:
        raise AssertionError(f"{record['operation_id']}: no command-line form for {sorted(left)}")
    return argv


def _body_options(fields: dict[str, Any], body: Mapping[str, Any], turn: int) -> list[str]:
    if turn % 2 or not fields:
        return ["--data", json.dumps(fields)]
    properties = _bodies._properties_of(body["schema"], _bodies.load_schemas()) or {}
    out: list[str] = []
    for name, value in fields.items():
        out += ["--set", f"{name}={_field_text(value, properties.get(name))}"]
    return out
