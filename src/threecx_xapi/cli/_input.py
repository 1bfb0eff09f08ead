"""What the user typed, as the SDK's arguments: parameter values, and bodies checked before anything is sent.

Bodies come from ``--data`` (JSON text, ``@file.json``, or ``-`` for stdin) and ``--set Field=value``. A
``--set`` value is text for a text field and JSON for any other (``Enabled=true``, ``Id=5``,
``DnNumbers=[1,2]``, ``Field=null``); then the whole body is converted and checked by the SDK's own body
checker (:mod:`threecx_xapi._bodies`), so mistakes are refused with the SDK's messages, naming the field.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from threecx_xapi import _bodies

from ._errors import USAGE, CommandError

__all__ = ["DATETIME", "ParamType", "action_arguments", "entity_body", "literal_type", "read_data"]


if TYPE_CHECKING:
    ParamType = click.ParamType[Any]  # generic in newer click; plain at run time on every supported version
else:
    ParamType = click.ParamType


class _DateTime(ParamType):
    """ISO 8601 date-time with a time zone: ``2026-03-01T00:00:00Z`` or ``2026-03-01T08:30:00+01:00``."""

    name = "datetime"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value)
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            self.fail(f"{text!r} is not an ISO 8601 date-time (2026-03-01T00:00:00Z)", param, ctx)
        if parsed.tzinfo is None:
            self.fail(f"{text!r} has no time zone; add Z for UTC or an offset like +01:00", param, ctx)
        return parsed


DATETIME = _DateTime()

_LITERAL_TYPES: dict[str, ParamType] = {
    "int": click.INT,
    "bool": click.BOOL,
    "datetime": DATETIME,
    "uuid": click.UUID,
    "string": click.STRING,
}


def literal_type(literal: str | None) -> ParamType:
    """The click type of a key or function parameter by its registry ``literal``."""
    return _LITERAL_TYPES.get(literal or "string", click.STRING)


def read_data(text: str | None) -> Any:
    """The JSON value of ``--data``: inline text, ``@path`` for a file, ``-`` for stdin; None when not given."""
    if text is None:
        return None
    source = "--data"
    if text == "-":
        text, source = sys.stdin.read(), "--data - (stdin)"
    elif text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise CommandError(f"--data {text}: {exc.strerror or exc}", USAGE) from None
        source = f"--data @{path}"
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CommandError(f"{source} is not valid JSON: {exc}", USAGE) from None


def _set_pairs(pairs: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CommandError(f"--set {pair!r}: expected Field=value", USAGE)
        out.append((name, value))
    return out


def _is_text(descriptor: Mapping[str, Any] | None) -> bool:
    """True for a field whose value is text: a string (any format) or a string enum."""
    if descriptor is None:
        return False
    schemas = _bodies.load_schemas()
    if "ref" in descriptor:
        target = schemas.get(descriptor["ref"]) or {}
        return "enum" in target and target.get("type") in (None, "string")
    return descriptor.get("type") == "string"


def _typed(value: str, descriptor: Mapping[str, Any] | None) -> Any:
    """A ``--set`` or option value: text for a text field, JSON for any other (left as text when not JSON)."""
    if _is_text(descriptor):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # the body checker names the field and what it expected


def _object_properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    return _bodies._properties_of(schema, _bodies.load_schemas()) or {}


def entity_body(spec: Mapping[str, Any], data: Any, pairs: Sequence[str]) -> dict[str, Any] | None:
    """The checked wire body of an entity operation (``create_user``), or None when nothing was given."""
    if data is None and not pairs:
        return None
    if data is not None and not isinstance(data, dict):
        raise CommandError("--data must be a JSON object for this operation", USAGE)
    body: dict[str, Any] = dict(data or {})
    properties = _object_properties(spec.get("schema") or {})
    for name, value in _set_pairs(pairs):
        wire = _bodies._wire_name(name, properties, {}) or name
        body[name if name in body else wire] = _typed(value, properties.get(wire))
    checked = _bodies.coerce(body, spec["schema"], path=spec.get("model") or "body")
    if not isinstance(checked, dict):  # pragma: no cover - an entity schema is an object
        raise CommandError("the body must be a JSON object", USAGE)
    return checked


def action_arguments(
    spec: Mapping[str, Any], data: Any, pairs: Sequence[str], options: Mapping[str, str | None]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The keyword arguments of an action (``retreive_peers_by_numbers``) and any fields without one.

    ``options`` holds the values of the action's own options by Python name. Everything is checked by the
    SDK's ``request_body`` first; the checked values are returned by Python name, ready for the SDK method.
    """
    if data is not None and not isinstance(data, dict):
        raise CommandError("--data must be a JSON object of the action's parameters", USAGE)
    declared = {p["name"]: p for p in spec.get("properties") or ()}
    by_python = {p["python_name"]: p for p in declared.values() if p.get("python_name")}
    given: dict[str, Any] = dict(data or {})
    for name, value in _set_pairs(pairs):
        prop = declared.get(name) or by_python.get(name)
        given[name] = _typed(value, prop["schema"] if prop else None)
    for python_name, text in options.items():
        if text is not None:
            declared_prop = by_python[python_name]
            if declared_prop["name"] in given or python_name in given:
                raise CommandError(f"{declared_prop['name']} is given twice (by option and in --data/--set)", USAGE)
            given[python_name] = _typed(text, declared_prop["schema"])
    wire = _bodies.request_body(_bodies.body_spec(spec), given) or {}
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name, value in wire.items():
        prop = declared.get(name)
        if prop is not None and prop.get("python_name"):
            kwargs[prop["python_name"]] = value
        else:  # pragma: no cover - every declared parameter has a Python name today
            extra[name] = value
    return kwargs, extra
