"""Arguments for every operation, built from the registry, the schemas and the test server's seeded state.

Every value is chosen deterministically, so a failure reproduces exactly and the sync and async passes (which
start from the same seeded state) send byte-identical requests. The values are meant to be *valid* and to
exercise the encoding the SDK is responsible for:

* keys and alternate keys of seeded entity sets name records that exist (read from ``server.state``), so a
  404 is a real failure and not a bad guess; destructive operations get keys of their own, taken from the end
  of the set, and run after everything else in a pass;
* OData function parameters cycle through literals that need care on the wire: a quote to double
  (``'O''Brien'``), a space, the empty string ``''``, ``null`` for nullable strings, date-times in UTC and
  with an offset, negative and positive integers, both booleans;
* entity bodies carry a few scalar fields of the entity type (never its key, alternate keys or the unique
  e-mail address or the Number, which a PBX refuses twice), action bodies every declared parameter;
* OData options are passed wherever the operation takes them: ``$top``, ``$skip``, ``$count``, and
  ``$select``/``$orderby``/``$filter``/``$expand`` with property names of the item type, and ``$search`` on
  some (not on all: a search usually empties the page, and an empty page proves nothing about item parsing).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from threecx_xapi import F, Filter
from threecx_xapi import _registry as registry
from threecx_xapi.testing import State

__all__ = ["Call", "build_calls", "operations", "resource_method", "schemas"]

Record = Mapping[str, Any]

# Literal values cycled through, so that across the 601 operations each kind of value is sent many times.
_STRINGS = ("100", "O'Brien", "front desk", "")
_INTS = (1, 0, -1, 25)
_UTC = dt.timezone.utc
_PLUS_ONE = dt.timezone(dt.timedelta(hours=1))
_EARLY = (dt.datetime(2026, 3, 1, tzinfo=_UTC), dt.datetime(2026, 3, 1, 8, 30, tzinfo=_PLUS_ONE))
_LATE = (
    dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=_UTC),
    dt.datetime(2026, 3, 31, 18, 0, 0, 250000, tzinfo=_PLUS_ONE),
)
_UUID = uuid.UUID("00000000-0000-4000-8000-00000000c0de")
# OData query option name -> keyword of the generated method ("$filter" is ``filter``, not ``filter_``).
_ODATA_KEYWORDS = {
    f"${name}": name for name in ("top", "skip", "search", "filter", "count", "select", "orderby", "expand")
}
# Operations that remove records: they get keys nobody else uses and run last in a pass.
_DESTRUCTIVE = re.compile(r"Delete|Drop|Purge")
# Fields a PBX keeps unique (a Number is unique across every DN-bearing set); never sent in entity bodies.
_UNIQUE_FIELDS = frozenset({"EmailAddress", "Number"})
_SEARCH_EVERY = 3  # $search on every third operation with text items: a search usually empties the page


@dataclass(frozen=True)
class Call:
    """One operation and the keyword arguments of its generated method, the same for ``XAPI`` and ``AsyncXAPI``."""

    operation: Record
    resource: str  # attribute of the client: ``users``
    method: str  # attribute of the resource: ``get_user_by_number``
    kwargs: Mapping[str, object]
    destructive: bool
    count_requested: bool

    @property
    def operation_id(self) -> str:
        return str(self.operation["operation_id"])


def operations() -> list[Record]:
    """Every operation of the generated registry (601 for XAPI 20.0.10)."""
    return list(registry.operations())


@cache
def schemas() -> Mapping[str, Any]:
    """The component schemas the generator ships beside the registry (``schemas.json``)."""
    text = resources.files("threecx_xapi_client").joinpath("schemas.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def resource_attribute(operation: Record) -> str:
    """The client attribute of the operation's tag: the package of its generated module (``users``)."""
    return str(operation["module"]).split(".")[2]


def resource_method(client: Any, operation: Record) -> Callable[..., Any]:
    """``client.<tag>.<function>``, the method a user calls; ``client`` is an ``XAPI`` or ``AsyncXAPI``."""
    method: Callable[..., Any] = getattr(getattr(client, resource_attribute(operation)), operation["function"])
    return method


def build_calls(state: State) -> list[Call]:
    """The call of every operation of the registry, in registry order, with arguments valid against ``state``."""
    builder = _Builder(state)
    return [builder.call(operation) for operation in operations()]


# -- the builder ---------------------------------------------------------------------------------------------


class _Builder:
    """Chooses values; keeps the cycles and the pools of expendable keys across operations."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.entity_sets = state.catalog.entity_sets
        self._strings: Iterator[str] = itertools.cycle(_STRINGS)
        self._ints: Iterator[int] = itertools.cycle(_INTS)
        self._bools: Iterator[bool] = itertools.cycle((True, False))
        self._zones: Iterator[int] = itertools.cycle((0, 1))
        self._nullable_turn = itertools.count()
        self._search_turn = itertools.count()
        self._expendable: dict[str, list[object]] = {}

    # -- one operation ---------------------------------------------------------------------------------

    def call(self, operation: Record) -> Call:
        operation_id = str(operation["operation_id"])
        destructive = operation["method"] == "DELETE" or bool(_DESTRUCTIVE.search(operation_id))
        kwargs: dict[str, object] = {}
        for param in operation["parameters"]:
            location = param["location"]
            if location == "path":
                kwargs[param["python_name"]] = self._path_value(operation, param, destructive)
            elif location == "header":
                kwargs[param["python_name"]] = "*"  # If-Match: any version of the entity
        count_requested = self._odata_options(operation, kwargs)
        body = operation.get("body")
        if body is not None:
            if body["kind"] == "entity":
                kwargs["body"] = self._entity_body(operation, body)
            else:
                for prop in body["properties"]:
                    kwargs[prop["python_name"]] = self._parameter_value(operation, prop, destructive)
        return Call(
            operation=operation,
            resource=resource_attribute(operation),
            method=str(operation["function"]),
            kwargs=kwargs,
            destructive=destructive,
            count_requested=count_requested,
        )

    # -- path parameters ------------------------------------------------------------------------------

    def _path_value(self, operation: Record, param: Record, destructive: bool) -> object:
        kind = param["kind"]
        if kind in ("key", "alternate-key"):
            set_name = _segment_of(str(operation["path"]), str(param["name"]))
            if set_name in self.entity_sets:
                value = self._existing_key(set_name, str(param["name"]), kind, destructive)
                return uuid.UUID(str(value)) if param.get("literal") == "uuid" else value
        return self._literal(param)

    def _existing_key(self, set_name: str, name: str, kind: str, destructive: bool) -> object:
        """A key (or alternate key) of a record that exists; destructive calls get one nobody else uses."""
        keys = self.state.keys(set_name)
        if not keys:
            raise LookupError(f"entity set {set_name} has no keyed records to address")
        key = self._take_expendable(set_name) if destructive else keys[0]
        if kind == "key":
            return key
        info = self.entity_sets[set_name]
        record = next(r for r in self.state.records(set_name) if r.get(info.key or "") == key)
        return record[name]

    def _take_expendable(self, set_name: str) -> object:
        """Keys from the end of the set, one per destructive call (they run after everything else, so the first
        key, which every other call uses, is handed out last)."""
        pool = self._expendable.get(set_name)
        if pool is None:
            pool = self._expendable[set_name] = list(self.state.keys(set_name))
        if not pool:
            raise LookupError(f"entity set {set_name} has no record left for another destructive call")
        return pool.pop()

    def _literal(self, param: Record) -> object:
        """A function parameter (or a key of something that is not an entity set) of the declared literal type."""
        literal = param.get("literal")
        if literal == "string":
            if param.get("nullable") and next(self._nullable_turn) % 4 == 3:
                return None
            return next(self._strings)
        if literal == "int":
            return next(self._ints)
        if literal == "bool":
            return next(self._bools)
        if literal == "datetime":
            late = "to" in str(param["name"]).lower().replace("today", "")
            return (_LATE if late else _EARLY)[next(self._zones)]
        if literal == "uuid":
            return _UUID
        raise ValueError(f"no value for a {literal!r} literal ({param['name']})")

    # -- OData options --------------------------------------------------------------------------------

    def _odata_options(self, operation: Record, kwargs: dict[str, object]) -> bool:
        """Options the operation takes, with names of its item (or entity) type; True when ``$count`` is asked."""
        options = set(operation.get("odata_options") or ())
        if not options:
            return False
        response = operation["response"]
        schema_name = response.get("collection_item") or response.get("model")
        props = _properties(schema_name)
        scalars = [name for name, d in props.items() if _scalar_kind(d) is not None]
        navigation = [name for name, d in props.items() if _navigation_target(d) is not None]
        chosen: dict[str, object] = {}
        if "$top" in options:
            chosen["$top"] = 5
        if "$skip" in options:
            chosen["$skip"] = 0
        if "$count" in options:
            chosen["$count"] = True
        if "$select" in options and scalars:
            chosen["$select"] = scalars[:2]
        if "$orderby" in options and scalars:
            chosen["$orderby"] = f"{scalars[0]} desc"
        if "$filter" in options:
            condition = _filter_for(props)
            if condition is not None:
                chosen["$filter"] = condition
        if "$expand" in options and navigation:
            chosen["$expand"] = navigation[:1]
        if "$search" in options and _has_text(props) and next(self._search_turn) % _SEARCH_EVERY == 0:
            chosen["$search"] = "front desk"
        for name, value in chosen.items():
            kwargs[_ODATA_KEYWORDS[name]] = value
        return "$count" in chosen

    # -- bodies -------------------------------------------------------------------------------------

    def _entity_body(self, operation: Record, body: Record) -> dict[str, object]:
        """A few scalar fields of the entity: enough to be a real create or update, never a key or unique field."""
        model = str(body.get("model") or "")
        set_name = str(operation["path"]).split("/")[1].split("(")[0]
        info = self.entity_sets.get(set_name)
        excluded = set(_UNIQUE_FIELDS)
        if info is not None:
            excluded.update(info.alternate_keys)
            if info.key is not None:
                excluded.add(info.key)
        out: dict[str, object] = {}
        for name, descriptor in _properties(model).items():
            if name in excluded or _scalar_kind(descriptor) is None:
                continue
            out[name] = self._value(descriptor, name, depth=1)
            if len(out) == 3:
                break
        return out

    def _parameter_value(self, operation: Record, prop: Record, destructive: bool) -> object:
        """An action parameter from its descriptor; id arrays of an entity set name records that exist."""
        descriptor: Mapping[str, Any] = prop["schema"]
        set_name = str(operation["path"]).split("/")[1].split("(")[0]
        items = descriptor.get("items") or {}
        if (
            descriptor.get("type") == "array"
            and items.get("type") == "integer"
            and str(prop["name"]).lower().endswith("ids")
            and set_name in self.entity_sets
            and self.entity_sets[set_name].key_literal == "int"
        ):
            keys = self.state.keys(set_name)
            return [self._take_expendable(set_name) if destructive else keys[0]]
        return self._value(descriptor, str(prop["name"]), depth=0)

    def _value(self, descriptor: Mapping[str, Any], name: str, depth: int) -> object:
        """A valid JSON value for a schema descriptor of ``schemas.json``."""
        if "one_of" in descriptor:
            return self._value(descriptor["one_of"][0], name, depth)
        ref = descriptor.get("ref")
        if ref is not None:
            target = schemas().get(ref) or {}
            if "enum" in target:
                return target["enum"][0]
            return self._object(ref, depth)
        kind = descriptor.get("type")
        fmt = descriptor.get("format")
        if kind == "array":
            return [self._value(descriptor.get("items") or {}, name, depth + 1)]
        if kind == "boolean":
            return next(self._bools)
        if kind == "integer":
            return 1
        if kind == "number":
            return 1.5
        if kind == "string":
            return _formatted_string(fmt, name)
        return {}  # untyped: any JSON, an empty object is the least surprising

    def _object(self, schema_name: str, depth: int) -> dict[str, object]:
        """Up to three simple fields (scalars, arrays of scalars) and, near the top, one nested object."""
        out: dict[str, object] = {}
        for name, descriptor in _properties(schema_name).items():
            items = descriptor.get("items") or {}
            simple = _scalar_kind(descriptor) is not None or (
                descriptor.get("type") == "array" and _scalar_kind(items) is not None
            )
            nested = depth < 2 and not out and descriptor.get("ref") and _navigation_target(descriptor) is None
            if simple or nested:
                out[name] = self._value(descriptor, name, depth + 1)
            if len(out) == 3:
                break
        return out


# -- schema helpers --------------------------------------------------------------------------------------


def _segment_of(path: str, param: str) -> str:
    """The entity set addressed by a key parameter: the name before ``(`` in the segment holding ``{param}``."""
    for segment in path.split("/"):
        if "{" + param + "}" in segment:
            return segment.split("(")[0]
    return ""


def _properties(schema_name: object) -> Mapping[str, Any]:
    if not isinstance(schema_name, str):
        return {}
    props: Mapping[str, Any] = (schemas().get(schema_name) or {}).get("properties") or {}
    return props


def _scalar_kind(descriptor: Mapping[str, Any]) -> str | None:
    """``string``/``integer``/``boolean``/``enum`` for a single-valued property (formats included), else None."""
    ref = descriptor.get("ref")
    if ref is not None:
        return "enum" if "enum" in (schemas().get(ref) or {}) else None
    kind = descriptor.get("type")
    return str(kind) if kind in ("string", "integer", "boolean", "number") else None


def _navigation_target(descriptor: Mapping[str, Any]) -> str | None:
    """An entity type a property points at: OData tooling writes ``<Type>CollectionResponse`` for every one."""
    target = descriptor.get("ref") or (descriptor.get("items") or {}).get("ref")
    if target and f"{target}CollectionResponse" in schemas():
        return str(target)
    return None


def _filter_for(props: Mapping[str, Any]) -> Filter | None:
    """A condition every record passes (``ne`` a value no sample holds), so the page still has items to parse."""
    for name, descriptor in props.items():
        if descriptor.get("type") == "string" and not descriptor.get("format"):
            return F(name) != "O'Brien"  # the quote must arrive doubled
    for name, descriptor in props.items():
        if descriptor.get("type") == "integer":
            return F(name) != -1
    return None


def _has_text(props: Mapping[str, Any]) -> bool:
    """Items with text to search in; a search of anything else only empties the page the check looks into."""
    return any(d.get("type") == "string" and not d.get("format") for d in props.values())


def _formatted_string(fmt: object, name: str) -> str:
    if fmt == "date-time":
        return "2026-03-04T08:30:00Z"
    if fmt == "date":
        return "2026-03-04"
    if fmt == "time":
        return "08:30:00"
    if fmt == "duration":
        return "PT1M30S"
    if fmt == "uuid":
        return str(_UUID)
    if "number" in name.lower():  # DnNumbers, Number, dnNumber: a PBX number is digits, even typed as a string
        return "100"
    return "Contract test"
