"""OData query options over in-memory records: ``$filter $search $orderby $count $skip $top $select $expand``.

Options are parsed once per request (:func:`parse_query`), then applied in the order ASP.NET OData applies them:
filter and search, order, count (before paging), skip, top, then the shape of each item: navigation
properties left out unless expanded (with their own nested options), then ``$select``. Every property a query
names is checked against the item schema first, so a typo answers 400 with ASP.NET's wording, as a PBX would,
even when the collection is empty. ``$filter`` itself lives in ``_filter.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from odata_query import ast

from ._catalog import Catalog
from ._filter import QueryError, check_filter, matches, no_property, parse_filter, typed
from ._urls import split_outside_quotes

__all__ = [
    "Query",
    "QueryError",
    "apply_collection",
    "apply_single",
    "parse_query",
    "shape_entity",
    "top_cap_message",
]


def top_cap_message(cap: int, top: int) -> str:
    """ASP.NET OData's words for a ``$top`` over the entity set's limit (the SDK's pager reads the number)."""
    return (
        "The query specified in the URI is not valid. The limit of "
        f"'{cap}' for Top query has been exceeded. The value from the incoming request is '{top}'."
    )


@dataclass
class Query:
    """Parsed query options (syntax only; names are checked against a schema when applied)."""

    top: int | None = None
    skip: int | None = None
    count: bool = False
    select: dict[str, Any] | None = None  # a tree: {"Name": {}, "Groups": {"Name": {}}}; None: everything
    orderby: list[tuple[tuple[str, ...], bool]] = field(default_factory=list)  # (path, descending)
    expand: dict[str, Query] = field(default_factory=dict)
    expand_all: bool = False
    filter: ast._Node | None = None
    search: list[list[str]] | None = None  # OR of ANDs of lower-cased terms


MAX_EXPAND_DEPTH = 5
"""How deep ``$expand`` may nest (``Groups($expand=Rights)`` is 2); ASP.NET OData refuses deeper with a 400."""

_ASCII_DIGITS = re.compile(r"[0-9]+")
_INT64_MAX = 2**63 - 1


def parse_query(options: Mapping[str, str], *, depth: int = 1) -> Query:
    """The :class:`Query` of system query options keyed ``$top`` ... (as :func:`parse_query_string` returns).

    ``depth`` is the ``$expand`` level these options sit at (1 for the request's own options).
    """
    query = Query()
    if "$top" in options:
        query.top = _non_negative(options["$top"], "$top")
    if "$skip" in options:
        query.skip = _non_negative(options["$skip"], "$skip")
    if "$count" in options:
        text = options["$count"].strip().lower()
        if text not in ("true", "false"):
            raise QueryError(f"'{options['$count']}' is not a valid count option.")
        query.count = text == "true"
    if "$select" in options:
        query.select = _select_tree(options["$select"])
    if "$orderby" in options:
        query.orderby = _orderby(options["$orderby"])
    if "$expand" in options:
        query.expand, query.expand_all = _expand(options["$expand"], depth)
    if "$filter" in options:
        query.filter = parse_filter(options["$filter"])
    if "$search" in options:
        query.search = _search(options["$search"])
    return query


def _non_negative(text: str, name: str) -> int:
    """ASCII digits only (``str.isdigit`` also takes superscripts and Arabic-Indic digits), within Edm.Int64."""
    stripped = text.strip()
    if not _ASCII_DIGITS.fullmatch(stripped) or int(stripped) > _INT64_MAX:
        raise QueryError(f"Invalid value '{text}' for {name} query option found. The {name} query option requires "
                         "a non-negative integer value.")  # fmt: skip
    return int(stripped)


def split_top_level(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside parentheses and quotes; unbalanced text is a 400."""
    parts, balanced, closed = split_outside_quotes(text, separator)
    if not (balanced and closed):
        raise QueryError(f"Unbalanced parentheses or quotes in '{text}'.")
    return parts


def _select_tree(text: str) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for item in split_top_level(text, ","):
        path = item.strip()
        if not path:
            raise QueryError(f"Syntax error in $select '{text}'.")
        node = tree
        for part in path.split("/"):
            node = node.setdefault(part.strip(), {})
    return tree


def _orderby(text: str) -> list[tuple[tuple[str, ...], bool]]:
    keys = []
    for item in split_top_level(text, ","):
        words = item.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise QueryError(f"Syntax error in $orderby '{text}'.")
        keys.append((tuple(words[0].split("/")), len(words) == 2 and words[1].lower() == "desc"))
    return keys


def _expand(text: str, depth: int) -> tuple[dict[str, Query], bool]:
    if depth > MAX_EXPAND_DEPTH:
        raise QueryError(
            "The request includes a $expand path which is too deep. The maximum depth allowed is "
            f"{MAX_EXPAND_DEPTH}. To increase the limit, set the 'MaxExpansionDepth' property on "
            "EnableQueryAttribute or ODataValidationSettings."
        )
    expand: dict[str, Query] = {}
    expand_all = False
    for item in split_top_level(text, ","):
        item = item.strip()
        open_at = item.find("(")
        name = (item if open_at < 0 else item[:open_at]).strip()
        if not name:
            raise QueryError(f"Syntax error in $expand '{text}'.")
        nested: dict[str, str] = {}
        if open_at >= 0:
            if not item.endswith(")"):
                raise QueryError(f"Syntax error in $expand '{text}'.")
            for option in split_top_level(item[open_at + 1 : -1], ";"):
                key, sep, value = option.partition("=")
                key = key.strip().lower()
                if not sep or not key.startswith("$"):
                    raise QueryError(f"Syntax error in $expand '{text}'.")
                if key in nested:
                    raise QueryError(f"Query option '{key}' was specified more than once in $expand.")
                nested[key] = value
        if name == "*":
            expand_all = True
        else:
            expand[name] = parse_query(nested, depth=depth + 1)
    return expand, expand_all


def _search(text: str) -> list[list[str]]:
    """``a "b c" OR d`` -> ``[["a", "b c"], ["d"]]``: a double-quoted phrase is one term, terms AND, OR splits.

    Inside a phrase ``\\"`` is a quote and ``\\\\`` a backslash (OData 4.01's escapes, which the SDK writes); any
    other backslash is itself.
    """
    groups: list[list[str]] = [[]]
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
            continue
        if char == '"':
            term, index = _phrase(text, index + 1)
        else:
            end = index
            while end < len(text) and not text[end].isspace():
                end += 1
            term = text[index:end]
            index = end
            if term == "OR":
                groups.append([])
                continue
            if term == "AND":
                continue
        if term:
            groups[-1].append(term.lower())
    groups = [g for g in groups if g]
    if not groups:
        raise QueryError("The $search query option requires a non-empty search expression.")
    return groups


def _phrase(text: str, index: int) -> tuple[str, int]:
    """The phrase starting after its opening quote at ``index``, unescaped, and the index after its closing quote."""
    chars: list[str] = []
    while index < len(text):
        char = text[index]
        if char == "\\" and text[index + 1 : index + 2] in ('"', "\\"):
            chars.append(text[index + 1])
            index += 2
            continue
        if char == '"':
            return "".join(chars), index + 1
        chars.append(char)
        index += 1
    raise QueryError(f"Syntax error in $search '{text}': unterminated phrase.")


# -- applying ----------------------------------------------------------------------------------------------


def apply_collection(
    records: Sequence[Mapping[str, Any]], schema: str | None, query: Query, catalog: Catalog
) -> tuple[list[dict[str, Any]], int | None]:
    """Filter, search, order, count, page and shape ``records`` (items of ``schema``); returns items and count."""
    _check_names(schema, query, catalog)
    items: list[Mapping[str, Any]] = list(records)
    if query.filter is not None:
        node = query.filter
        items = [r for r in items if matches(node, catalog, schema, r)]
    if query.search is not None:
        groups = query.search
        items = [r for r in items if _matches_search(r, groups)]
    for path, descending in reversed(query.orderby):
        descriptor = _path_descriptor(catalog, schema, path)
        items.sort(key=_sort_by(path, descriptor), reverse=descending)
    count = len(items) if query.count else None
    if query.skip:
        items = items[query.skip :]
    if query.top is not None:
        items = items[: query.top]
    return [shape_entity(r, schema, query, catalog) for r in items], count


def apply_single(record: Mapping[str, Any], schema: str | None, query: Query, catalog: Catalog) -> dict[str, Any]:
    """One entity answered on its own (by key, a singleton): names checked, then shaped."""
    _check_names(schema, query, catalog)
    return shape_entity(record, schema, query, catalog)


def shape_entity(record: Mapping[str, Any], schema: str | None, query: Query, catalog: Catalog) -> dict[str, Any]:
    """One entity as it goes out: unexpanded navigation properties left out, nested options applied, selected."""
    navigation = catalog.navigation(schema)
    out: dict[str, Any] = {}
    if not navigation:  # no navigation property to leave out or expand: a plain copy (report rows, by the 1000)
        out = dict(record)
    for name, value in record.items() if navigation else ():
        nav = navigation.get(name)
        if nav is None:
            out[name] = value
            continue
        nested = query.expand.get(name)
        if nested is None and not query.expand_all:
            continue
        nested = nested or Query()
        if nav.collection and isinstance(value, list):
            out[name], _ = apply_collection(value, nav.target, nested, catalog)
        elif isinstance(value, Mapping):
            _check_names(nav.target, nested, catalog)
            out[name] = shape_entity(value, nav.target, nested, catalog)
        else:
            out[name] = value
    if query.select is not None and "*" not in query.select:
        # expanded navigation properties come back whether or not $select names them (OData 4.0, 5.1.3)
        expanded: dict[str, Any] = {
            name: {} for name in out if name in navigation and (name in query.expand or query.expand_all)
        }
        out = _project(out, {**expanded, **query.select})
    return out


def _project(value: dict[str, Any], tree: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, subtree in tree.items():
        if name not in value:
            continue
        inner = value[name]
        if subtree and isinstance(inner, dict):
            out[name] = _project(inner, subtree)
        elif subtree and isinstance(inner, list):
            out[name] = [_project(i, subtree) if isinstance(i, dict) else i for i in inner]
        else:
            out[name] = inner
    return out


def _check_names(schema: str | None, query: Query, catalog: Catalog) -> None:
    """Every property the query names must exist on ``schema``: checked once, before any record is looked at."""
    if schema is None:
        return
    if query.select:
        _check_select(schema, query.select, catalog)
    for path, _ in query.orderby:
        _path_descriptor(catalog, schema, path)
    navigation = catalog.navigation(schema)
    for name in query.expand:
        if name not in catalog.properties(schema):
            raise QueryError(no_property(name, schema))
        if name not in navigation:
            raise QueryError(
                f"Property '{name}' on type 'Pbx.{schema}' is not a navigation property or complex property. "
                "Only navigation properties can be expanded."
            )
    if query.filter is not None:
        check_filter(query.filter, catalog, schema)


def _check_select(schema: str, tree: Mapping[str, Any], catalog: Catalog) -> None:
    properties = catalog.properties(schema)
    for name, subtree in tree.items():
        if name == "*":
            continue
        if name not in properties:
            raise QueryError(no_property(name, schema))
        if subtree:
            target, _ = catalog.descriptor_target(properties[name])
            if target is None:
                raise QueryError(f"Property '{name}' on type 'Pbx.{schema}' has no properties to select.")
            _check_select(target, subtree, catalog)


def _path_descriptor(catalog: Catalog, schema: str | None, path: tuple[str, ...]) -> Mapping[str, Any]:
    descriptor: Mapping[str, Any] = {}
    current = schema
    for index, part in enumerate(path):
        properties = catalog.properties(current)
        if current is not None and part not in properties:
            raise QueryError(no_property(part, current))
        descriptor = properties.get(part, {})
        target, collection = catalog.descriptor_target(descriptor)
        if collection and index < len(path) - 1:
            raise QueryError(f"The $orderby path '{'/'.join(path)}' goes through a collection.")
        current = target
    return descriptor


def _get_path(record: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for part in path:
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _sort_by(path: tuple[str, ...], descriptor: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], tuple[int, Any]]:
    def key(record: Mapping[str, Any]) -> tuple[int, Any]:
        return _sort_key(typed(_get_path(record, path), descriptor))

    return key


def _sort_key(value: Any) -> tuple[int, Any]:
    """Nulls first ascending (as .NET sorts them), then values by kind, so a property holding text that is not
    of its declared type (a duration that does not parse) still sorts instead of failing to compare."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, (int, float)):
        return (2, value)
    if isinstance(value, timedelta):
        return (3, value)
    if isinstance(value, datetime):
        return (4, value.timestamp())
    if isinstance(value, date):
        return (5, value)
    if isinstance(value, str):
        return (6, value)
    return (7, str(value))


def _matches_search(record: Mapping[str, Any], groups: list[list[str]]) -> bool:
    texts = [v.lower() for v in record.values() if isinstance(v, str)]
    return any(all(any(term in text for text in texts) for term in group) for group in groups)
