"""Stage 3b: the facade's resource classes (``pbx.users.export_extensions(...)``), generated from the registry.

One module per tag under ``threecx_xapi_client/resources/`` with a sync, an async and two raw-response
classes, and ``resources/__init__.py`` with the mixins that hang every resource off ``XAPI``/``AsyncXAPI``
as a lazily created attribute. A 3CX upgrade adds or removes methods here with no hand edits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from openapi_python_client.parser.openapi import Endpoint
from openapi_python_client.parser.properties import ModelProperty, Property

from .registry import OperationView, raw_name

__all__ = ["FacadeMethod", "facade_method", "render_resources"]

ODATA_ARGUMENTS: dict[str, tuple[str, str]] = {
    # OData option: (Python argument, annotation)
    "$top": ("top", "int | None"),
    "$skip": ("skip", "int | None"),
    "$search": ("search", "str | None"),
    "$filter": ("filter", "str | Filter | None"),
    "$count": ("count", "bool | None"),
    "$select": ("select", "str | Sequence[str] | None"),
    "$orderby": ("orderby", "str | Sequence[str] | None"),
    "$expand": ("expand", "str | Sequence[str] | None"),
}


@dataclass
class Argument:
    name: str  # the Python keyword, the same in the endpoint's build() and the resource method
    wire: str  # the name on the wire: path template key, query option, header, or body field
    annotation: str
    default: str | None  # None: required
    doc: str = ""
    location: str = ""  # path, query, header, body


@dataclass
class FacadeMethod:
    operation_id: str
    tag: str
    name: str
    summary: str
    path_arguments: list[Argument]
    keyword_arguments: list[Argument]
    body_arguments: list[Argument]  # action parameters, or the one entity `body`
    body_kind: str | None
    returns: str
    page_item: str | None
    file: bool = False  # a download: the PBX may answer with a file instead of JSON
    imports: set[str] = field(default_factory=set)

    @property
    def paged(self) -> bool:
        return self.page_item is not None


def _imports(prop: Property) -> set[str]:
    """What a type annotation of ``prop`` needs, relative to ``resources/<tag>.py``."""
    lines = prop.get_imports(prefix="..") | prop.get_lazy_imports(prefix="..")
    return {line for line in lines if not line.startswith(("from typing", "from ..types"))}


def facade_method(endpoint: Endpoint, view: OperationView) -> FacadeMethod:
    """What the resource method for one operation looks like: its arguments, types and return type."""
    record = view.record
    imports: set[str] = set()
    by_wire = {raw_name(p.name): p for p in endpoint.list_all_parameters()}

    path_arguments: list[Argument] = []
    keyword_arguments: list[Argument] = []
    for param in record["parameters"]:
        python = param["python_name"]
        prop = by_wire[param["name"]]
        imports |= _imports(prop)
        if param["location"] == "path":
            annotation = view.path_signatures[python].split(": ", 1)[1]
            path_arguments.append(Argument(python, param["name"], annotation, None, _describe(param), "path"))
        elif param["kind"] == "odata-option":
            name, annotation = ODATA_ARGUMENTS[param["name"]]
            keyword_arguments.append(
                Argument(name, param["name"], annotation, "None", _option_doc(param["name"]), "query")
            )
        else:
            annotation = _union(prop.get_type_string(no_optional=True).as_unembedded_code(), "None")
            keyword_arguments.append(
                Argument(python, param["name"], annotation, "None", param["name"], param["location"])
            )

    body_arguments: list[Argument] = []
    body = record["body"]
    body_kind = body["kind"] if body else None
    if body and endpoint.bodies:
        body_prop = endpoint.bodies[0].prop
        imports |= _imports(body_prop)
        if body_kind == "entity":
            annotation = f"{body_prop.get_type_string(no_optional=True).as_unembedded_code()} | Mapping[str, Any]"
            default = None if body["required"] else "NOT_GIVEN"
            if default:
                annotation += " | NotGiven"
            body_arguments.append(Argument("body", "body", annotation, default, f"the {body['model']} to send", "body"))
        elif isinstance(body_prop, ModelProperty):
            props = (body_prop.required_properties or []) + (body_prop.optional_properties or [])
            inner = {str(p.python_name): p for p in props}
            for item in body["properties"]:
                prop = inner[item["python_name"]]
                imports |= _imports(prop)
                annotation = prop.get_type_string(no_optional=True).as_unembedded_code()
                if isinstance(prop, ModelProperty):
                    annotation += " | Mapping[str, Any] | str"
                elif item["schema"].get("type") == "array":
                    annotation = annotation.replace("list[", "Sequence[", 1)
                if item["schema"].get("nullable"):
                    annotation = _union(annotation, "None")
                body_arguments.append(
                    Argument(
                        item["python_name"],
                        item["name"],
                        _union(annotation, "NotGiven"),
                        "NOT_GIVEN",
                        item["name"],
                        "body",
                    )
                )

    page_item = None
    response = record["response"]
    if response["collection_item"] and response["item_model"] and "$top" in record["odata_options"]:
        page_item = response["item_model"]
        if response["item_module"]:
            imports.add(f"from ..models.{response['item_module'].rsplit('.', 1)[1]} import {page_item}")
    for response_prop in endpoint.responses.patterns:
        imports |= _imports(response_prop.prop)
    if view.file_response:
        imports.add("from threecx_xapi._files import File")

    return FacadeMethod(
        operation_id=record["operation_id"],
        tag=str(endpoint.tags[0]),
        name=str(endpoint.name),
        summary=record["summary"],
        path_arguments=path_arguments,
        keyword_arguments=keyword_arguments,
        body_arguments=body_arguments,
        body_kind=body_kind,
        returns=view.return_type,
        page_item=page_item,
        file=view.file_response,
        imports=imports,
    )


def _union(*annotations: str) -> str:
    """``A | None | NotGiven`` from parts that may repeat members: each once, ``None`` and ``NotGiven`` last."""
    members: list[str] = []
    for annotation in annotations:
        depth, start = 0, 0
        for index, char in enumerate(annotation + "|"):
            depth += {"[": 1, "]": -1}.get(char, 0)
            if char == "|" and depth == 0:
                member = annotation[start:index].strip()
                start = index + 1
                if member and member not in members:
                    members.append(member)
    tail: list[str] = [m for m in ("None", "NotGiven") if m in members]
    head = [m for m in members if m not in tail]
    return " | ".join(head + tail)


def _describe(param: dict[str, Any]) -> str:
    role = {"key": "key", "alternate-key": "alternate key", "function": "function parameter"}.get(param["kind"], "")
    nullable = "; None is sent as null" if param.get("nullable") else ""
    return f"{param['name']} ({role}, {param['literal']}{nullable})"


def _option_doc(option: str) -> str:
    return {
        "$top": "$top: at most this many items (a page)",
        "$skip": "$skip: skip this many items first",
        "$search": "$search: a phrase with spaces is quoted for you",
        "$filter": "$filter: an F expression (literals escaped) or a raw OData string",
        "$count": "$count: include @odata.count",
        "$select": "$select: properties to return",
        "$orderby": "$orderby: e.g. 'Number desc'",
        "$expand": "$expand: navigation properties to include",
    }[option]


def render_resources(methods: list[FacadeMethod], package_dir: Path, templates: Path) -> int:
    """Write ``resources/<tag>.py`` for every tag and ``resources/__init__.py``; return the number of tags."""
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    by_tag: dict[str, list[FacadeMethod]] = defaultdict(list)
    for method in methods:
        by_tag[method.tag].append(method)
    out = package_dir / "resources"
    out.mkdir()
    tags = []
    module_template = env.get_template("resource_module.py.jinja")
    for tag in sorted(by_tag):
        tag_methods = sorted(by_tag[tag], key=lambda m: m.name)
        class_name = "".join(part[:1].upper() + part[1:] for part in tag.split("_")) + "Resource"
        imports = sorted(set().union(*(m.imports for m in tag_methods)))
        (out / f"{tag}.py").write_text(
            module_template.render(tag=tag, class_name=class_name, methods=tag_methods, imports=imports), "utf-8"
        )
        tags.append((tag, class_name, len(tag_methods)))
    (out / "__init__.py").write_text(env.get_template("resources_init.py.jinja").render(tags=tags), "utf-8")
    return len(tags)


def endpoint_imports(endpoint: Endpoint, method: FacadeMethod) -> list[str]:
    """The imports of ``api/<tag>/<operation>.py`` for its signature and its parsing, in sorted order."""
    lines = {line.replace("from ..", "from ...", 1) if line.startswith("from ..") else line for line in method.imports}
    for line in endpoint.relative_imports:
        if line.startswith("from ...models.") and "o_data_errors_o_data_error" not in line:
            lines.add(line)
    return sorted(lines)


def body_spec_expression(body: dict[str, Any]) -> str:
    """The ``BodySpec(...)`` literal of an endpoint module, from its registry body record."""
    properties = ", ".join(
        f"BodyProperty({p['name']!r}, {p['python_name']!r}, {p['schema']!r})"
        for p in body.get("properties") or ()
        if p.get("python_name")
    )
    parts = [
        f"kind={body['kind']!r}",
        f"required={body['required']!r}",
        f"schema={body['declared_schema'] if body['kind'] == 'entity' else body['schema']!r}",
        f"model={body['model']!r}",
        f"content_type={body['content_type']!r}",
    ]
    if body["kind"] == "parameters":
        parts.append(f"properties=({properties}{',' if properties else ''})")
    return f"BodySpec({', '.join(parts)})"
