"""What each operation does once routed: CRUD on the entity sets, singletons, and schema-derived answers.

The :class:`Dispatcher` acts on the operation's :class:`~._catalog.Role`. Entity sets and singletons read and
change :class:`~._store.State`; every other operation (actions and functions) answers a deterministic sample of
its response schema, a file for downloads, or 204 where the document says no content. A few actions change
state where that is what a test would look for (``Users/Pbx.BatchDelete``, ``Contacts/Pbx.DeleteContactsById``,
``ActiveCalls({Id})/Pbx.DropCall``).

Collections share one pipeline (:func:`~._query.apply_collection`), whether the records are stored or sampled,
so ``$filter``, ``$top`` caps and the rest behave the same on ``/Users`` and on a report function.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ._catalog import Catalog, Role
from ._faults import Faults
from ._files import content_for
from ._filter import regex_budget
from ._numbering import PLAN, normal_number
from ._query import Query, QueryError, apply_collection, apply_single, parse_query, shape_entity, top_cap_message
from ._replies import Problem, Reply, field_error, odata_error
from ._routes import RouteMatch
from ._samples import SampleFactory, response_descriptor
from ._store import EntitySet, State, merge
from ._validate import INVALID_VALUE, BodyInvalid, validate

__all__ = ["ALREADY_IN_USE", "Dispatcher"]

ALREADY_IN_USE = "WARNINGS.XAPI.ALREADY_IN_USE"
MAX_BODY_DEPTH = 64  # System.Text.Json's default MaxDepth
_TOO_DEEP = object()
_UNIQUE_FIELDS = ("Number", "EmailAddress")


class Dispatcher:
    """Answers routed requests from the state; one per server."""

    def __init__(self, catalog: Catalog, state: State, faults: Faults, factory: SampleFactory) -> None:
        self.catalog = catalog
        self.state = state
        self.faults = faults
        self.factory = factory

    def handle(self, match: RouteMatch, options: Mapping[str, str], body: bytes, base: str) -> Reply:
        """The reply to one routed request. ``base`` is ``http://host/xapi/v1/`` (for ``@odata.context``)."""
        operation = match.route.operation
        role = self.catalog.role(match.route.operation_id)
        try:
            query = parse_query(options)
        except QueryError as exc:
            raise Problem(400, odata_error(str(exc))) from None
        payload = self._body(operation, body)
        try:
            with regex_budget():
                if role.kind == "list" and role.entity_set is not None and _uses_regex(options):
                    return self._list_unlocked(role.entity_set, query, base)
                with self.state.lock:
                    return self._dispatch(role, match, query, payload, base)
        except QueryError as exc:
            raise Problem(400, odata_error(str(exc))) from None

    def _list_unlocked(self, name: str, query: Query, base: str) -> Reply:
        """A list whose ``$filter`` runs regular expressions: filtered on a copy, outside the state lock, so its
        time budget is its own and never the other clients' wait."""
        with self.state.lock:
            entity_set = self.state.entity_set(name)
            records: list[dict[str, Any]] = json.loads(json.dumps(entity_set.records()))
        return self._collection(records, entity_set.info.item_schema, query, name, f"{base}$metadata#{name}")

    # -- request body --------------------------------------------------------------------------------------

    def _body(self, operation: Mapping[str, Any], raw: bytes) -> Any:
        spec = operation.get("body")
        if spec is None:
            return None
        if not raw.strip():
            if spec.get("required"):
                raise Problem(400, odata_error("The request body is missing."))
            return None
        try:
            payload = json.loads(raw, parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError):
            raise Problem(400, odata_error("The request body is not valid JSON.")) from None
        except RecursionError:  # nested far deeper than the limit below
            payload = _TOO_DEEP
        if payload is _TOO_DEEP or _depth_exceeds(payload, MAX_BODY_DEPTH):
            raise Problem(400, odata_error(f"The request body is nested deeper than the limit of {MAX_BODY_DEPTH}."))
        try:
            validate(payload, spec.get("schema") or {}, self.catalog.schemas)
        except BodyInvalid as exc:
            raise Problem(400, field_error(exc.target, exc.code)) from None
        return without_annotations(payload)

    # -- dispatch ------------------------------------------------------------------------------------------

    def _dispatch(self, role: Role, match: RouteMatch, query: Query, payload: Any, base: str) -> Reply:
        kind = role.kind
        if role.entity_set is not None and kind != "other":
            entity_set = self.state.entity_set(role.entity_set)
            if kind == "list":
                return self._collection(entity_set.records(), entity_set.info.item_schema, query, role.entity_set,
                                        f"{base}$metadata#{role.entity_set}")  # fmt: skip
            if kind == "create":
                return self._create(entity_set, payload, query, base)
            if kind == "get-alt":
                record = entity_set.find(str(role.alternate_key), match.args.get(str(role.alternate_key)))
                return self._entity(record, entity_set, query, base)
            key = self._key(match, entity_set)
            if kind == "get":
                return self._entity(entity_set.get(key), entity_set, query, base)
            if kind == "update":
                return self._update(entity_set, key, payload)
            if kind == "delete":
                record = self._existing(entity_set, key)
                entity_set.delete(key)
                self.state.follow_peer(entity_set.info.name, record.get("Number"), None)
                return Reply(204)
            if kind == "nav":
                record = self._existing(entity_set, key)
                context = f"{base}$metadata#{role.entity_set}({_key_text(key)})/{role.nav_property}"
                return self._navigation(record, entity_set.info.item_schema, str(role.nav_property), query, context)
        if role.singleton is not None:
            record = self.state.singleton(role.singleton)
            schema = self.catalog.singletons[role.singleton]
            if kind == "singleton-get":
                entity = apply_single(record, schema, query, self.catalog)
                return Reply(200, json={"@odata.context": f"{base}$metadata#{role.singleton}", **entity})
            if kind == "singleton-update":
                for name, value in (payload or {}).items():
                    record[name] = merge(record.get(name), value)
                return Reply(204)
            if kind == "singleton-nav":
                context = f"{base}$metadata#{role.singleton}/{role.nav_property}"
                return self._navigation(record, schema, str(role.nav_property), query, context)
        return self._other(role, match, query, payload, base)

    def _key(self, match: RouteMatch, entity_set: EntitySet) -> object:
        first = match.route.segments[0]
        name = first.key.name if first.key is not None else entity_set.info.key
        value = match.args.get(str(name))
        return str(value) if entity_set.info.key_literal == "uuid" and value is not None else value

    @staticmethod
    def _existing(entity_set: EntitySet, key: object) -> dict[str, Any]:
        record = entity_set.get(key)
        if record is None:
            raise Problem(404)
        return record

    # -- collections and entities --------------------------------------------------------------------------

    def _collection(
        self,
        records: list[dict[str, Any]],
        schema: str | None,
        query: Query,
        cap_name: str,
        context: str,
        *,
        shared: bool = True,
    ) -> Reply:
        """A collection answer; ``shared=False`` for rows nothing ever changes (the seeded call log), which need
        no copy to be safe from the state while the answer is encoded."""
        cap = self.faults.top_cap(cap_name)
        if cap is not None and query.top is not None and query.top > cap:
            raise Problem(400, odata_error(top_cap_message(cap, query.top)))
        if schema is not None and schema not in self.catalog.schemas:  # Collection(Edm.String) and the like
            items, count = _page_primitives(records, query)
        else:
            items, count = apply_collection(records, schema, query, self.catalog)
        out: dict[str, Any] = {"@odata.context": context}
        if count is not None:
            out["@odata.count"] = count
        out["value"] = copy.deepcopy(items) if shared else items
        return Reply(200, json=out)

    def _entity(self, record: dict[str, Any] | None, entity_set: EntitySet, query: Query, base: str) -> Reply:
        if record is None:
            raise Problem(404)
        entity = apply_single(record, entity_set.info.item_schema, query, self.catalog)
        context = f"{base}$metadata#{entity_set.info.name}/$entity"
        return Reply(200, json={"@odata.context": context, **copy.deepcopy(entity)})

    def _navigation(self, record: dict[str, Any], schema: str, prop: str, query: Query, context: str) -> Reply:
        descriptor = self.catalog.properties(schema).get(prop, {})
        target, collection = self.catalog.descriptor_target(descriptor)
        value = record.get(prop)
        if collection or isinstance(value, list):
            return self._collection(list(value or []), target, query, prop, context)
        if value is None:
            raise Problem(404)
        entity = apply_single(value, target, query, self.catalog) if isinstance(value, dict) else value
        return Reply(200, json={"@odata.context": context, **copy.deepcopy(entity)})

    def _create(self, entity_set: EntitySet, payload: Any, query: Query, base: str) -> Reply:
        """POST: the body over the defaults a PBX fills in; a number of the plan unless the body brings a free one."""
        info = entity_set.info
        body = {k: v for k, v in dict(payload or {}).items() if not (info.key_literal == "int" and k == info.key)}
        numbered = info.name in PLAN
        if numbered and normal_number(body.get("Number")) is None:
            body.pop("Number", None)  # no number (or an empty one): the PBX takes the next free one
        self._check_unique(entity_set, body, exclude=None)
        self._memberships(entity_set, body)
        if info.key is not None and info.key_literal != "int" and body.get(info.key) in entity_set:
            raise Problem(400, field_error(info.key, ALREADY_IN_USE))  # string keys come from the body
        record = entity_set.create({**self.state.template(info.name), **body}) if numbered else entity_set.create(body)
        self.state.follow_peer(info.name, None, record)
        entity = shape_entity(record, info.item_schema, query, self.catalog)
        headers = {}
        if info.key is not None:
            headers["Location"] = f"{base}{info.name}({_key_text(record[info.key])})"
        context = f"{base}$metadata#{info.name}/$entity"
        return Reply(201, json={"@odata.context": context, **copy.deepcopy(entity)}, headers=headers)

    def _update(self, entity_set: EntitySet, key: object, payload: Any) -> Reply:
        existing = self._existing(entity_set, key)
        changes = dict(payload or {})
        self._check_unique(entity_set, changes, exclude=existing)
        self._memberships(entity_set, changes)
        number = existing.get("Number")
        entity_set.update(key, changes)
        self.state.follow_peer(entity_set.info.name, number, existing)
        return Reply(204)

    def _check_unique(self, entity_set: EntitySet, body: Mapping[str, Any], exclude: dict[str, Any] | None) -> None:
        """A PBX refuses a number another entity of the plan holds, and a second user with the same e-mail."""
        name = entity_set.info.name
        if name in PLAN and "Number" in body:
            if normal_number(body["Number"]) is None:
                raise Problem(400, field_error("Number", INVALID_VALUE))
            if self.state.number_owner(body["Number"], exclude=exclude) is not None:
                raise Problem(400, field_error("Number", ALREADY_IN_USE))
        properties = set(entity_set.info.alternate_keys) | {"EmailAddress"}
        for field in _UNIQUE_FIELDS:
            value = body.get(field)
            if field not in properties or value in (None, "") or (field == "Number" and name in PLAN):
                continue
            for record in entity_set.records():
                if record is not exclude and _same_value(field, record.get(field), value):
                    raise Problem(400, field_error(field, ALREADY_IN_USE))

    def _memberships(self, entity_set: EntitySet, body: dict[str, Any]) -> None:
        """Group memberships (``Groups`` entries naming a ``GroupId``, as on users): a group that does not exist is
        refused with 400, and each stored entry carries its group's ``Name`` and ``Number``, as a PBX answers."""
        entries = body.get("Groups")
        catalog_groups = "Groups" in self.catalog.entity_sets
        if not isinstance(entries, list) or entity_set.info.name == "Groups" or not catalog_groups:
            return
        groups = self.state.entity_set("Groups")
        filled: list[Any] = []
        for index, entry in enumerate(entries):
            if isinstance(entry, dict) and entry.get("GroupId") is not None:
                group = groups.get(entry["GroupId"])
                if group is None:
                    raise Problem(400, field_error(f"Groups[{index}].GroupId", INVALID_VALUE))
                entry = {**entry, "Name": group.get("Name"), "Number": group.get("Number")}
            filled.append(entry)
        body["Groups"] = filled

    # -- everything else: actions and functions ------------------------------------------------------------

    def _other(self, role: Role, match: RouteMatch, query: Query, payload: Any, base: str) -> Reply:
        operation = match.route.operation
        operation_id = match.route.operation_id
        response = operation["response"]
        if role.entity_set is not None:
            entity_set = self.state.entity_set(role.entity_set)
            self._existing(entity_set, self._key(match, entity_set))
        effect = _EFFECTS.get(operation_id)
        if effect is not None:
            effect(self, match, payload)
        item = response.get("collection_item")
        if response.get("file"):
            reader = _READERS.get(operation_id)
            if reader is not None:
                rows = reader(self, match, payload)
            else:
                rows = self._rows(match.route.segments[0].name, operation_id, item) if item else []
            if rows and item in self.catalog.schemas:  # an export honours $filter, $orderby, $top, $select...
                rows, _ = apply_collection(rows, item, query, self.catalog)
            download = content_for(operation_id, match.args, rows)
            return Reply(
                200,
                content=download.content,
                media_type=download.media_type,
                headers={"Content-Disposition": download.disposition},
            )
        status = int((response.get("status") or [200])[0])
        if status == 204:
            return Reply(204)
        cap_name = match.route.segments[0].name
        if item:
            context = f"{base}$metadata#Collection(Pbx.{item})"
            reader = _READERS.get(operation_id)
            if reader is not None and operation_id in _IMMUTABLE_READERS:
                if query.orderby in _CALL_LOG_ORDER:  # the rows are kept in that order already: no sort needed
                    query = dataclasses.replace(query, orderby=[])
                return self._collection(reader(self, match, payload), item, query, cap_name, context, shared=False)
            records = reader(self, match, payload) if reader else self._sample_items(operation_id, item)
            return self._collection(records, item, query, cap_name, context)
        model = response.get("model")
        proposal = self._plan_answer(match, operation_id, model)
        if proposal is not None:
            entity = apply_single(proposal, model, query, self.catalog)
            return Reply(status, json={"@odata.context": f"{base}$metadata#Pbx.{model}", **entity})
        if model and "properties" in (self.catalog.schemas.get(model) or {}):
            sample = self.state.sample(operation_id, lambda: self.factory.object(model, operation_id))
            entity = apply_single(sample, model, query, self.catalog)
            return Reply(status, json={"@odata.context": f"{base}$metadata#Pbx.{model}", **copy.deepcopy(entity)})
        descriptor = response_descriptor(operation)
        if descriptor is not None and model != "IActionResult":
            sample = self.state.sample(operation_id, lambda: self.factory.value(descriptor, "value", operation_id))
            return Reply(status, json=copy.deepcopy(sample))
        return Reply(status, json={})

    def _plan_answer(self, match: RouteMatch, operation_id: str, model: object) -> dict[str, Any] | None:
        """What the numbering plan answers: ``Init*`` a new entity to start from (with the next free number),
        ``GetFirstAvailable*Number`` the next free number. None for every other operation."""
        first = match.route.segments[0]
        if len(match.route.segments) != 2 or first.name not in PLAN or first.name not in self.catalog.entity_sets:
            return None
        if operation_id.startswith("Init") and model == self.catalog.entity_sets[first.name].item_schema:
            return self.state.template(first.name)
        if operation_id.startswith("GetFirstAvailable") and "Number" in self.catalog.properties(str(model)):
            return {"Number": self.state.next_number(first.name)}
        return None

    def _rows(self, set_name: str, operation_id: str, item: str) -> list[dict[str, Any]]:
        """What an export holds: the entity set's records when it exports its own set, else samples."""
        info = self.catalog.entity_sets.get(set_name)
        if info is not None and info.item_schema == item:
            return self.state.entity_set(set_name).records()
        return self._sample_items(operation_id, item)

    def _sample_items(self, operation_id: str, item: str) -> list[Any]:
        if item not in self.catalog.schemas:  # a primitive item type from the registry, e.g. "string"
            kind, _, fmt = item.partition(":")
            descriptor = {"type": kind, **({"format": fmt} if fmt else {})}
            primitives: list[Any] = self.state.sample(
                f"{operation_id}[]",
                lambda: [self.factory.value(descriptor, f"{operation_id}{i}", operation_id) for i in range(2)],
            )
            return primitives
        items: list[Any] = self.state.sample(f"{operation_id}[]", lambda: self.factory.items(item, operation_id, 2))
        return items


def _same_value(field: str, stored: object, given: object) -> bool:
    """E-mail addresses compare case-insensitively (``Ada@x`` is ``ada@x``); everything else exactly."""
    if field == "EmailAddress" and isinstance(stored, str) and isinstance(given, str):
        return stored.casefold() == given.casefold()
    return stored == given


def _uses_regex(options: Mapping[str, str]) -> bool:
    return any("matchespattern" in value.lower() for value in options.values())


def _no_constant(name: str) -> Any:
    """``NaN`` and ``Infinity`` are not JSON (Python's decoder takes them unless told otherwise)."""
    raise ValueError(f"{name} is not JSON")


def without_annotations(value: Any) -> Any:
    """``value`` without OData control information (``@odata.type``, ``Name@odata.type`` ...) at any depth: a
    PBX reads annotations and never stores them as properties."""
    if isinstance(value, dict):
        return {k: without_annotations(v) for k, v in value.items() if "@" not in k}
    if isinstance(value, list):
        return [without_annotations(item) for item in value]
    return value


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether decoded JSON nests objects and arrays deeper than ``limit`` (measured without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _page_primitives(values: list[Any], query: Query) -> tuple[list[Any], int | None]:
    """``$skip``/``$top``/``$count`` over a collection of primitives (there are no properties to filter on)."""
    count = len(values) if query.count else None
    start = query.skip or 0
    end = None if query.top is None else start + query.top
    return values[start:end], count


# -- actions that change state ---------------------------------------------------------------------------------


def _batch_delete_users(dispatcher: Dispatcher, match: RouteMatch, payload: Any) -> None:
    users = dispatcher.state.entity_set("Users")
    for user_id in (payload or {}).get("Ids") or (payload or {}).get("ids") or []:
        record = users.get(user_id)
        if record is not None and users.delete(user_id):
            dispatcher.state.follow_peer("Users", record.get("Number"), None)


def _delete_contacts(dispatcher: Dispatcher, match: RouteMatch, payload: Any) -> None:
    contacts = dispatcher.state.entity_set("Contacts")
    for contact_id in (payload or {}).get("ids") or []:
        contacts.delete(contact_id)


def _drop_call(dispatcher: Dispatcher, match: RouteMatch, payload: Any) -> None:
    dispatcher.state.entity_set("ActiveCalls").delete(match.args.get("Id"))


def _peers_by_numbers(dispatcher: Dispatcher, match: RouteMatch, payload: Any) -> list[Any]:
    """``RetreivePeersByNumbers``: the stored peers whose number was asked for, as a PBX answers."""
    request = (payload or {}).get("peersRequest") or {}
    wanted = {str(number) for number in request.get("DnNumbers") or []}
    return [peer for peer in dispatcher.state.entity_set("Peers").records() if str(peer.get("Number")) in wanted]


def _call_log(dispatcher: Dispatcher, match: RouteMatch, payload: Any) -> list[Any]:
    """The call log report: the seeded rows (``call_log_rows``) that started within ``periodFrom``..``periodTo``.

    A server seeded without call log rows answers schema samples, as for any other report.
    """
    state = dispatcher.state
    if state.call_log_rows == 0:
        return dispatcher._sample_items(match.route.operation_id, "CallLogData")
    start, end = match.args.get("periodFrom"), match.args.get("periodTo")
    return state.call_log_between(
        start if isinstance(start, datetime) else None, end if isinstance(end, datetime) else None
    )


# Operations whose collection answer is read from the state instead of sampled from the schema.
_READERS = {
    "RetreivePeersByNumbers": _peers_by_numbers,
    "GetCallLogData": _call_log,
    "GetOldCallLogData": _call_log,
    "DownloadCallLog": _call_log,
}

# Readers whose rows are made once and never changed: answered without a defensive copy (100 000 call-log rows
# are paged through in the export benchmark, where the copy would cost the server more than the paging).
_IMMUTABLE_READERS = frozenset({"GetCallLogData", "GetOldCallLogData"})
# The orders the call log's rows are kept in (by start time, which is SegmentId order): asking for one is no sort.
_CALL_LOG_ORDER = ([(("SegmentId",), False)], [(("StartTime",), False)])

_EFFECTS = {
    "BatchDelete": _batch_delete_users,
    "DeleteContactsById": _delete_contacts,
    "DropCall": _drop_call,
}


def _key_text(key: object) -> str:
    """A key as it appears in a URL: integers and uuids bare, strings quoted (``'`` doubled), percent-encoded."""
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    if isinstance(key, str) and _is_uuid(key):
        return key
    return quote("'" + str(key).replace("'", "''") + "'", safe="'")


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) == 36
