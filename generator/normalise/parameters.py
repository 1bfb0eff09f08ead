"""Rules for path parameters: where they are declared, how they are spelled in the path, their OData literals."""

from __future__ import annotations

import copy
import re
from typing import Any

from .document import METHODS, Document, NormaliseError, RuleReport, iter_operations, op_name, path_parameters, resolve

__all__ = [
    "nullable_path_params",
    "odata_path_literals",
    "operation_parameters",
    "path_param_defaults",
    "query_option_values",
    "quoted_path_literals",
]


def operation_parameters(doc: Document) -> RuleReport:
    """Path-item and shared parameters: copy them into each operation that uses them.

    OpenAPI lets parameters sit on the path item (shared by its operations) or in ``components/parameters``
    behind a ``$ref``. The later rules annotate path parameters per operation (a key in one operation can be
    a function parameter in another), so each operation gets its own copy; an operation's own parameter
    wins over a path item's of the same name and location, as OpenAPI says.
    """
    report = RuleReport()
    for path, item in (doc.get("paths") or {}).items():
        shared = item.pop("parameters", None) or []
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            own = op.get("parameters") or []
            params: list[Any] = []
            for param in own:
                if isinstance(param, dict) and "$ref" in param and resolve(doc, param).get("in") == "path":
                    params.append(copy.deepcopy(resolve(doc, param)))
                    report.touch(op_name(path, method, op))
                else:
                    params.append(param)
            taken = {(p.get("name"), p.get("in")) for p in (resolve(doc, q) for q in params)}
            for param in shared:
                resolved = resolve(doc, param)
                if (resolved.get("name"), resolved.get("in")) not in taken:
                    params.append(copy.deepcopy(resolved) if resolved.get("in") == "path" else param)
                    report.touch(op_name(path, method, op))
            if params:
                op["parameters"] = params
    return report


_QUOTED_TEMPLATE = re.compile(r"'\{([^{}']+)\}'")


def quoted_path_literals(doc: Document) -> RuleReport:
    """Quoted path templates: ``Users(Number='{Number}')`` becomes ``Users(Number={Number})``.

    Older documents (Microsoft.OpenApi.OData 1.0.x) put the quotes of string keys and function parameters in
    the path template itself; the generated code writes every value as a complete OData literal (quotes,
    doubled inner quotes, percent-encoding), so the template must not add a second pair.
    """
    report = RuleReport()
    paths = doc.get("paths")
    if not isinstance(paths, dict) or not any(_QUOTED_TEMPLATE.search(path) for path in paths):
        return report
    renamed: dict[str, Any] = {}
    for path, item in paths.items():
        new_path, found = _QUOTED_TEMPLATE.subn(r"{\1}", path)
        if found:
            if new_path in paths or new_path in renamed:
                raise NormaliseError(f"{path}: unquoted, it would be {new_path}, which the document also declares")
            if isinstance(item, dict):
                for method in METHODS:
                    if isinstance(item.get(method), dict):
                        report.touch(op_name(new_path, method, item[method]), found)
            renamed[new_path] = item
        else:
            renamed[path] = item
    doc["paths"] = renamed
    return report


def nullable_path_params(doc: Document) -> RuleReport:
    """Nullable path parameters: a stock run drops every operation that has one, so mark and un-null them.

    3CX declares most string function parameters and the alternate keys ``type: string, nullable: true``.
    The nullability is kept as ``x-threecx-nullable`` so that ``None`` can still be sent as ``null``.
    """
    report = RuleReport()
    for path, method, op in iter_operations(doc):
        for param in path_parameters(doc, op):
            schema = param.get("schema") or {}
            if schema.get("nullable"):
                del schema["nullable"]
                param["x-threecx-nullable"] = True
                report.touch(op_name(path, method, op))
    return report


def path_param_defaults(doc: Document) -> RuleReport:
    """Defaults on path parameters: stock emits them before required ones (invalid Python), so drop them.

    A path parameter is always sent; OData function parameters have no defaults on the wire.
    """
    report = RuleReport()
    for path, method, op in iter_operations(doc):
        for param in path_parameters(doc, op):
            schema = param.get("schema") or {}
            if "default" in schema:
                param["x-threecx-default"] = schema.pop("default")
                report.touch(op_name(path, method, op))
    return report


_SEGMENT_PARAM = re.compile(r"([A-Za-z_][\w.]*)\(([^()]*)\)")


def odata_path_literals(doc: Document) -> RuleReport:
    """Path parameters as OData literals: classify each as key, alternate key or function parameter.

    Stock substitutes ``quote(str(value))``, which sends strings unquoted, ``True`` and date-times with a
    space. ``x-threecx-role`` (key, alternate-key, function) and ``x-threecx-literal`` (string, int,
    bool, datetime, uuid) tell the templates which literal to write.
    """
    report = RuleReport()
    for path, method, op in iter_operations(doc):
        roles: dict[str, str] = {}
        for segment in path.strip("/").split("/"):
            match = _SEGMENT_PARAM.fullmatch(segment)
            if not match:
                continue
            head, inside = match.groups()
            for part in inside.split(","):
                if "=" in part:
                    _, _, value = part.partition("=")
                    role = "function" if "." in head else "alternate-key"
                else:
                    value, role = part, "key"
                if value.startswith("{") and value.endswith("}"):
                    roles[value[1:-1]] = role
        for param in path_parameters(doc, op):
            schema = resolve(doc, param.get("schema") or {})
            param["x-threecx-role"] = roles.get(param["name"], "segment")
            try:
                param["x-threecx-literal"] = _literal_kind(schema)
            except NormaliseError as exc:
                raise NormaliseError(
                    f"{method.upper()} {path} ({op_name(path, method, op)}), {param['name']}: {exc}"
                ) from None
            report.touch(op_name(path, method, op))
    return report


def _literal_kind(schema: dict[str, Any]) -> str:
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "integer" or (kind == "number" and fmt in ("int8", "int16", "int32", "int64")):
        return "int"  # a whole number, however it is declared ("integer numbers" retypes the second)
    if kind == "boolean":
        return "bool"
    if kind == "string" and fmt == "date-time":
        return "datetime"
    if kind == "string" and fmt == "uuid":
        return "uuid"
    if kind == "string":
        return "string"
    raise NormaliseError(f"path parameter schema {schema!r} has no OData literal form this generator knows")


_LISTED_OPTIONS = ("$select", "$orderby", "$expand")


def query_option_values(doc: Document) -> RuleReport:
    """``$select``/``$orderby``/``$expand`` with an enum of allowed values: make the items plain strings.

    Older documents list each entity's properties (``Id``, ``Id desc``...) as an inline enum per operation,
    which generates one enum class per operation and a parameter that refuses plain strings; current documents
    declare ``items: {type: string}``, and the SDK takes strings or sequences of them. The values are kept on
    the parameter as ``x-threecx-values``.
    """
    report = RuleReport()
    for path, method, op in iter_operations(doc):
        for param in op.get("parameters") or []:
            param = resolve(doc, param)
            schema = param.get("schema")
            if not isinstance(schema, dict) or param.get("in") != "query" or param.get("name") not in _LISTED_OPTIONS:
                continue
            items = schema.get("items")
            if not isinstance(items, dict):
                continue
            if "enum" in items:
                param["x-threecx-values"] = items["enum"]
                schema["items"] = {"type": "string"}
                report.touch(op_name(path, method, op))
    return report
