"""An entity set as provisioning sees it: its list, create, update and delete operations, found in the registry.

Nothing here knows users or groups. An entity set ``X`` is provisionable when the registry has ``GET /X``
answering a collection, ``POST /X``, ``PATCH /X({Key})`` and ``DELETE /X({Key})``; its fields, Python names and
secret fields come from ``schemas.json``. Calls go through the public client
(``getattr(getattr(pbx, resource), function)``), so retries, the shared token and body checks are the SDK's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from .._bodies import load_schemas
from .._exceptions import NotFoundError, PermissionDeniedError
from .._paging import by_key
from .._registry import OperationRecord, operations
from ._errors import ProvisionError

__all__ = ["EntityKind", "entity_kind", "first_available_function", "numbers_in_use", "provisionable_sets"]

_KEY_SEGMENT = re.compile(r"^/(?P<set>[A-Za-z]+)\(\{(?P<key>[A-Za-z]+)\}\)$")


@dataclass(frozen=True)
class EntityKind:
    """One provisionable entity set: ``name`` (``Users``), its item schema and its four operations."""

    name: str
    item_schema: str
    key_field: str  # the entity key on the wire (``Id``)
    key_argument: str  # the SDK's keyword for it (``id``)
    list_op: OperationRecord
    create_op: OperationRecord
    update_op: OperationRecord
    delete_op: OperationRecord | None

    @property
    def properties(self) -> Mapping[str, Any]:
        """Wire name -> schema descriptor of the item schema."""
        properties: Mapping[str, Any] = load_schemas()[self.item_schema].get("properties") or {}
        return properties

    @property
    def python_names(self) -> Mapping[str, str]:
        """Wire name -> the SDK's snake_case name."""
        names: Mapping[str, str] = load_schemas()[self.item_schema].get("python_names") or {}
        return names

    @property
    def secret_fields(self) -> frozenset[str]:
        """Wire names whose values are never shown (passwords, PINs)."""
        return frozenset(load_schemas()[self.item_schema].get("secret_fields") or ())

    @property
    def numbered(self) -> bool:
        """Whether the set's entities take a ``Number`` of the PBX's numbering plan."""
        return "Number" in self.properties

    # -- calls through the client ------------------------------------------------------------------------

    @staticmethod
    def method(pbx: Any, record: OperationRecord) -> Callable[..., Any]:
        return getattr(getattr(pbx, record["resource"]), record["function"])  # type: ignore[no-any-return]

    def walk(self, pbx: Any, *, expand: str | None = None) -> Iterator[dict[str, Any]]:
        """Every entity of the set as a wire-named dict, paged by key (consistent while others write)."""
        options = {"expand": expand} if expand else {}
        for item in by_key(self.method(pbx, self.list_op), key=self.key_field, top=100, **options):
            yield item.to_dict() if hasattr(item, "to_dict") else dict(item)

    def create(self, pbx: Any, body: Mapping[str, Any]) -> Any:
        return self.method(pbx, self.create_op)(body=dict(body))

    def update(self, pbx: Any, key: object, body: Mapping[str, Any]) -> None:
        self.method(pbx, self.update_op)(**{self.key_argument: key}, body=dict(body))

    def delete(self, pbx: Any, key: object) -> None:
        if self.delete_op is None:
            raise ProvisionError(f"{self.name} cannot be deleted through the XAPI (no DELETE /{self.name}(...))")
        self.method(pbx, self.delete_op)(**{self.key_argument: key})


def _normal_name(name: str) -> str:
    return name.replace("-", "").replace("_", "").lower()


@cache
def _sets() -> dict[str, EntityKind]:
    """Entity set name -> its kind, for every set with list, create and update operations."""
    by_shape: dict[tuple[str, str], OperationRecord] = {}
    for record in operations():
        by_shape.setdefault((record["method"], record["path"]), record)
    found: dict[str, EntityKind] = {}
    for (method, path), listing in by_shape.items():
        if method != "GET" or not re.fullmatch(r"/[A-Za-z]+", path):
            continue
        item = listing["response"].get("collection_item")
        create = by_shape.get(("POST", path))
        if not item or item not in load_schemas() or create is None:
            continue
        for (other_method, other_path), update in by_shape.items():
            match = _KEY_SEGMENT.match(other_path)
            if other_method != "PATCH" or match is None or f"/{match['set']}" != path:
                continue
            key = next((p for p in update["parameters"] if p["location"] == "path"), None)
            if key is None:
                continue
            name = path[1:]
            found[name] = EntityKind(
                name=name,
                item_schema=item,
                key_field=str(key["name"]),
                key_argument=str(key["python_name"]),
                list_op=listing,
                create_op=create,
                update_op=update,
                delete_op=by_shape.get(("DELETE", other_path)),
            )
    return found


def provisionable_sets() -> list[str]:
    """The names of every entity set that can be provisioned (``Users``, ``Groups``, ``Queues``, ...)."""
    return sorted(_sets())


def entity_kind(name: str) -> EntityKind:
    """The kind of entity set ``name``: ``Users``, ``users``, ``ring-groups`` and ``ring_groups`` all work."""
    wanted = _normal_name(name)
    for set_name, kind in _sets().items():
        if _normal_name(set_name) == wanted or _normal_name(kind.list_op["resource"]) == wanted:
            return kind
    raise ProvisionError(
        f"{name!r} is not an entity set that can be provisioned; known: {', '.join(provisionable_sets())}"
    )


def first_available_function(kind: EntityKind) -> OperationRecord | None:
    """The PBX's ``GetFirstAvailable...Number()`` of the set, where it has one (the first by operation id)."""
    candidates = [
        record
        for record in operations()
        if record["method"] == "GET"
        and record["path"].startswith(f"/{kind.name}/Pbx.GetFirstAvailable")
        and not record["parameters"]
    ]
    return min(candidates, key=lambda record: record["operation_id"]) if candidates else None


def _item_properties(listing: OperationRecord) -> Mapping[str, Any]:
    """The properties of the items a collection answers (none for a primitive collection)."""
    schema = load_schemas().get(listing["response"].get("collection_item") or "") or {}
    properties: Mapping[str, Any] = schema.get("properties") or {}
    return properties


def _numbered_listings() -> list[OperationRecord]:
    """``GET /X`` collections whose items have a ``Number``: the DNs of the numbering plan (users, groups,
    queues, ring groups, IVRs, fax, parking places, trunks, ...) and ``/Peers``, the PBX's view of them all."""
    return [
        record
        for record in operations()
        if record["method"] == "GET"
        and re.fullmatch(r"/[A-Za-z]+", record["path"])
        and "Number" in _item_properties(record)
    ]


def numbers_in_use(pbx: Any, kind: EntityKind) -> list[dict[str, Any]]:
    """``Number``, ``Name`` and ``Type`` of every DN outside ``kind``'s own set: ``/Peers`` (the PBX's view,
    last, so its names win) and every other numbered collection, in case a PBX leaves a kind out of
    ``/Peers``. A collection this principal may not read (403) or the PBX does not have (404) is skipped."""
    found: list[dict[str, Any]] = []
    listings = sorted(_numbered_listings(), key=lambda record: record["path"] == "/Peers")
    for listing in listings:
        name = listing["path"][1:]
        if name == kind.name:
            continue
        method = EntityKind.method(pbx, listing)
        keyed = "Id" in _item_properties(listing)
        try:
            items = list(by_key(method, key="Id", top=100) if keyed else method(top=100))
        except (PermissionDeniedError, NotFoundError):
            continue
        for item in items:
            record = item.to_dict() if hasattr(item, "to_dict") else dict(item)
            kind_name = record.get("Type") if name == "Peers" else name
            found.append({"Number": record.get("Number"), "Name": record.get("Name"), "Type": kind_name})
    return found
