"""What the document says exists, in OData terms: entity sets, their keys, singletons, navigation properties.

The OpenAPI document does not say which paths are entity sets; the registry's operations do, by their shape:
``GET /Users`` answering a collection makes ``Users`` an entity set of ``User``; ``/Users({Id})`` names its key;
``/Users(Number={Number})`` an alternate key; ``POST /Users`` with an entity body creates; ``GET /MyUser``
answering one object is a singleton. Each operation gets a :class:`Role` the dispatcher acts on.

Navigation properties are not marked either. Microsoft.OpenApi.OData writes a ``<Type>CollectionResponse``
for every entity type, so a property whose target type has one is taken to be a navigation property (and is
left out of an entity unless ``$expand`` names it, as OData does); other object properties are complex and
always included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._routes import Route, TemplateSegment

__all__ = ["Catalog", "EntitySetInfo", "Navigation", "Role"]


@dataclass(frozen=True)
class EntitySetInfo:
    """An entity set: its item schema, key property (None: a keyless view such as ``CallHistoryView``)."""

    name: str
    item_schema: str
    key: str | None
    key_literal: str = "int"
    alternate_keys: tuple[str, ...] = ()
    listable: bool = True  # a GET on the collection exists; sets without one accept any key (see _store)


@dataclass(frozen=True)
class Navigation:
    """A navigation property's target schema and whether it is a collection."""

    target: str
    collection: bool


@dataclass(frozen=True)
class Role:
    """What an operation does to the server state.

    ``kind`` is one of ``list``, ``get``, ``get-alt``, ``create``, ``update``, ``delete``, ``nav`` (a navigation
    collection of an entity, ``/Users(1)/Groups``), ``singleton-get``, ``singleton-update``, ``singleton-nav``
    (``/MyUser/Groups``) or ``other`` (actions and functions: schema-derived answers).
    """

    kind: str
    entity_set: str | None = None
    singleton: str | None = None
    nav_property: str | None = None
    alternate_key: str | None = None


class Catalog:
    """Entity sets, singletons and roles, derived once from the registry's routes and the schemas."""

    def __init__(self, routes: Iterable[Route], schemas: Mapping[str, Any]) -> None:
        self.schemas = schemas
        routes = list(routes)
        self.entity_sets: dict[str, EntitySetInfo] = self._entity_sets(routes)
        self.singletons: dict[str, str] = self._singletons(routes)
        self._roles: dict[str, Role] = {route.operation_id: self._role(route) for route in routes}
        self._nav_cache: dict[str, dict[str, Navigation]] = {}

    def role(self, operation_id: str) -> Role:
        return self._roles[operation_id]

    def properties(self, schema: str | None) -> Mapping[str, Any]:
        """The properties of an object schema (empty for unknown or non-object schemas)."""
        if schema is None:
            return {}
        props: Mapping[str, Any] = (self.schemas.get(schema) or {}).get("properties") or {}
        return props

    def navigation(self, schema: str | None) -> Mapping[str, Navigation]:
        """The navigation properties of ``schema`` (see the module docstring for how they are recognised)."""
        if schema is None:
            return {}
        cached = self._nav_cache.get(schema)
        if cached is None:
            cached = {}
            for prop, descriptor in self.properties(schema).items():
                target, collection = self.descriptor_target(descriptor)
                if target is not None and f"{target}CollectionResponse" in self.schemas:
                    cached[prop] = Navigation(target, collection)
            self._nav_cache[schema] = cached
        return cached

    def descriptor_target(self, descriptor: Mapping[str, Any]) -> tuple[str | None, bool]:
        """The object schema a property points at (directly or as array items) and whether it is an array."""
        if descriptor.get("type") == "array":
            items = descriptor.get("items") or {}
            target = items.get("ref")
            return (target if target and "properties" in (self.schemas.get(target) or {}) else None), True
        target = descriptor.get("ref")
        if target and "properties" in (self.schemas.get(target) or {}):
            return target, False
        return None, False

    # -- discovery -----------------------------------------------------------------------------------------

    def _entity_sets(self, routes: list[Route]) -> dict[str, EntitySetInfo]:
        items: dict[str, str] = {}
        keys: dict[str, tuple[str, str]] = {}
        alternates: dict[str, list[str]] = {}
        for route in routes:
            segments = route.segments
            if len(segments) < 1:
                continue
            first = segments[0]
            response = route.operation["response"]
            if len(segments) == 1 and first.key is None and first.named is None and route.method == "GET":
                item = response.get("collection_item")
                if item and "properties" in (self.schemas.get(item) or {}):
                    items[first.name] = item
            if first.key is not None and first.key.kind == "key":
                keys.setdefault(first.name, (first.key.name, first.key.literal))
            if len(segments) == 1 and first.named and all(p.kind == "alternate-key" for p in first.named):
                names = alternates.setdefault(first.name, [])
                names.extend(p.name for p in first.named if p.name not in names)
        # Sets addressed by key but never listed (CrmTemplates, ...): their item schema is the GET's answer.
        for route in routes:
            first = route.segments[0]
            if (
                len(route.segments) == 1
                and first.key is not None
                and route.method == "GET"
                and first.name not in items
                and route.operation["response"].get("model") in self.schemas
            ):
                items.setdefault(first.name, route.operation["response"]["model"])
        sets: dict[str, EntitySetInfo] = {}
        for name, item in items.items():
            key, literal = keys.get(name, (None, "int"))
            if key is None and "Id" in self.properties(item):
                key, literal = "Id", _literal_of(self.properties(item)["Id"])
            sets[name] = EntitySetInfo(
                name=name,
                item_schema=item,
                key=key,
                key_literal=literal,
                alternate_keys=tuple(alternates.get(name, ())),
                listable=_lists(routes, name),
            )
        return sets

    def _singletons(self, routes: list[Route]) -> dict[str, str]:
        found: dict[str, str] = {}
        for route in routes:
            if len(route.segments) != 1 or route.method != "GET":
                continue
            first = route.segments[0]
            model = route.operation["response"].get("model")
            if (
                first.key is None
                and first.named is None
                and not route.operation["response"].get("collection_item")
                and model
                and "properties" in (self.schemas.get(model) or {})
                and first.name not in self.entity_sets
            ):
                found[first.name] = model
        return found

    def _role(self, route: Route) -> Role:
        segments = route.segments
        method = route.method
        first = segments[0]
        body_kind = (route.operation.get("body") or {}).get("kind")
        entity_set = first.name if first.name in self.entity_sets else None
        if len(segments) == 1 and entity_set is not None:
            if _plain(first):
                if method == "GET" and route.operation["response"].get("collection_item"):
                    return Role("list", entity_set)
                if method == "POST" and body_kind == "entity":
                    return Role("create", entity_set)
            if first.key is not None:
                kind = {"GET": "get", "PATCH": "update", "DELETE": "delete"}.get(method)
                if kind:
                    return Role(kind, entity_set)
            if first.named and method == "GET" and all(p.kind == "alternate-key" for p in first.named):
                return Role("get-alt", entity_set, alternate_key=first.named[0].name)
        if len(segments) == 1 and _plain(first) and first.name in self.singletons:
            if method == "GET":
                return Role("singleton-get", singleton=first.name)
            if method == "PATCH" and body_kind == "entity":
                return Role("singleton-update", singleton=first.name)
        if len(segments) == 2 and method == "GET" and _plain(segments[1]):
            prop = segments[1].name
            if (
                entity_set is not None
                and first.key is not None
                and prop in self.properties(self.entity_sets[entity_set].item_schema)
            ):
                return Role("nav", entity_set, nav_property=prop)
            if _plain(first) and first.name in self.singletons and prop in self.properties(self.singletons[first.name]):
                return Role("singleton-nav", singleton=first.name, nav_property=prop)
        if first.key is not None and entity_set is not None:
            return Role("other", entity_set)  # an action or function bound to one entity: the entity must exist
        return Role("other")


def _plain(segment: TemplateSegment) -> bool:
    return segment.key is None and segment.named is None


def _lists(routes: list[Route], name: str) -> bool:
    return any(
        r.method == "GET" and len(r.segments) == 1 and _plain(r.segments[0]) and r.segments[0].name == name
        for r in routes
    )


def _literal_of(descriptor: Mapping[str, Any]) -> str:
    if descriptor.get("type") == "integer":
        return "int"
    if descriptor.get("format") == "uuid":
        return "uuid"
    return "string"
