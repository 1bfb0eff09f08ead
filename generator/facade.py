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

from .registry import OperationView

__all__ = ["FacadeMethod", "facade_method", "render_resources"]

ODATA_ARGUMENTS: dict[str, tuple[str, str, str]] = {
    # OData option: (facade argument, generated argument, annotation)
    "$top": ("top", "top", "int | None"),
    "$skip": ("skip", "skip", "int | None"),
    "$search": ("search", "search", "str | None"),
    "$filter": ("filter", "filter_", "str | Filter | None"),
    "$count": ("count", "count", "bool | None"),
    "$select": ("select", "select", "str | Sequence[str] | None"),
    "$orderby": ("orderby", "orderby", "str | Sequence[str] | None"),
    "$expand": ("expand", "expand", "str | Sequence[str] | None"),
}


@dataclass
class Argument:
    name: str  # the facade's keyword
    target: str  # the generated function's keyword (or the body's wire name)
    annotation: str
    default: str | None  # None: required
    doc: str = ""


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
    return {line for line in lines if not line.startswith("from typing")}


def facade_method(endpoint: Endpoint, view: OperationView) -> FacadeMethod:
    """What the resource method for one operation looks like: its arguments, types and return type."""
    record = view.record
    imports: set[str] = set()
    by_python = {str(p.python_name): p for p in endpoint.list_all_parameters()}

    path_arguments: list[Argument] = []
    keyword_arguments: list[Argument] = []
    for param in record["parameters"]:
        python = param["python_name"]
        prop = by_python[python]
        imports |= _imports(prop)
        if param["location"] == "path":
            annotation = view.path_signatures[python].split(": ", 1)[1]
            path_arguments.append(Argument(python, python, annotation, None, _describe(param)))
        elif param["kind"] == "odata-option":
            name, target, annotation = ODATA_ARGUMENTS[param["name"]]
            keyword_arguments.append(Argument(name, target, annotation, "None", _option_doc(param["name"])))
        else:
            annotation = prop.get_type_string(no_optional=True).as_unembedded_code() + " | None"
            keyword_arguments.append(Argument(python, python, annotation, "None", param["name"]))

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
            body_arguments.append(Argument("body", "body", annotation, default, f"the {body['model']} to send"))
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
                    annotation += " | None"
                body_arguments.append(
                    Argument(item["python_name"], item["name"], annotation + " | NotGiven", "NOT_GIVEN", item["name"])
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
        imports.add("from ..types import File")

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
