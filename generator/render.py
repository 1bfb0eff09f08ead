"""Stage 3: render the package from the normalised document, through openapi-python-client and our templates.

openapi-python-client (reached only through ``oapc``) parses the document into endpoints and models and
renders its templates, overridden by ours in ``templates/``: the models, and one endpoint module per operation
with a public ``build`` (typed arguments to a request) and ``parse`` (a response to the declared type). What
our templates need beyond its objects comes from ``registry`` (the operation's record and URL code) and
``facade`` (the SDK method's arguments and types), handed over as Jinja globals. Then the resources, the
registry, the schemas and ``api.md`` are written here, and every Python file gets the do-not-edit header. Any
warning it reports fails the run: a warning there means an operation or a schema was dropped.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

from . import oapc
from .facade import FacadeMethod, body_spec_expression, endpoint_imports, facade_method, render_resources
from .normalise import Document
from .output import HEADER, PACKAGE, GenerationError, Rendered
from .progress import RenderProgress
from .reference import api_reference
from .registry import OperationView, build_operation, operation_index
from .schemas import component_schemas

__all__ = ["render"]


def render(
    doc: Document,
    *,
    package_dir: Path,
    templates: Path,
    document_info: dict[str, Any],
    progress: RenderProgress | None = None,
) -> Rendered:
    """Write the package for ``doc`` into ``package_dir`` (which must not exist yet).

    ``progress(done, total)`` is called as each endpoint module is rendered.
    """
    try:
        data, config = oapc.parse(doc, package_dir=package_dir, package=PACKAGE)
    except oapc.ParseError as exc:
        raise GenerationError(str(exc)) from None

    index = operation_index(doc)
    by_function = {oapc.identifier(op_id): op_id for op_id in index}
    views: dict[str, OperationView] = {}
    for endpoint in oapc.endpoints(data):
        path, method, op = index[by_function[oapc.function(endpoint)]]
        views[oapc.function(endpoint)] = build_operation(
            doc=doc, endpoint=endpoint, path=path, method=method, op=op, package=PACKAGE
        )
    methods = {name: facade_method(e, views[name]) for e in oapc.endpoints(data) if (name := oapc.function(e))}
    rendered: set[str] = set()

    def xapi_operation(endpoint: oapc.Endpoint) -> OperationView:
        return views[oapc.function(endpoint)]

    def xapi_method(endpoint: oapc.Endpoint) -> FacadeMethod:  # called once at the top of each endpoint module
        name = oapc.function(endpoint)
        if progress is not None and name not in rendered:
            rendered.add(name)
            progress(len(rendered), len(methods))
        return methods[name]

    def xapi_endpoint_imports(endpoint: oapc.Endpoint) -> list[str]:
        return endpoint_imports(endpoint, methods[oapc.function(endpoint)])

    try:
        oapc.render_package(
            data,
            config,
            package_dir=package_dir,
            templates=templates,
            globals={
                "xapi_operation": xapi_operation,
                "xapi_method": xapi_method,
                "xapi_endpoint_imports": xapi_endpoint_imports,
                "xapi_body_spec": body_spec_expression,
            },
        )
    except oapc.ParseError as exc:
        raise GenerationError(str(exc)) from None

    render_resources(list(methods.values()), package_dir, templates / "facade")
    (package_dir / "py.typed").write_text("", encoding="utf-8")
    records = sorted((view.record for view in views.values()), key=lambda r: (r["tag"], r["operation_id"]))
    registry = {
        "document": document_info,
        "generator": {"openapi-python-client": version("openapi-python-client")},
        "operations": records,
    }
    (package_dir / "registry.json").write_text(json.dumps(registry, indent=1, ensure_ascii=False) + "\n", "utf-8")
    reference = api_reference(list(methods.values()), records, document_info.get("xapi_version"))
    (package_dir / "api.md").write_text(reference, "utf-8")
    schemas = json.dumps(component_schemas(doc, oapc.identifier), indent=1, ensure_ascii=False)
    (package_dir / "schemas.json").write_text(schemas + "\n", "utf-8")
    for source in package_dir.rglob("*.py"):
        source.write_text(HEADER + source.read_text("utf-8"), "utf-8")
    return Rendered(operations=len(index), generated=len(views), models=oapc.model_count(data), registry=registry)
