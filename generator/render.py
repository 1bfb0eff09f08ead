"""Stage 3: drive openapi-python-client with our templates over the normalised document.

openapi-python-client is used as a library: it parses the document into endpoints and models and renders
its templates, overridden by ours in ``templates/``: the models, and one endpoint module per operation with
a public ``build`` (typed arguments to a request) and ``parse`` (a response to the declared type). Our
additions reach the templates as Jinja globals (``xapi_operation``, ``xapi_method``, ...). Its own HTTP client
and error types are not kept: the SDK's client owns auth, retries and errors. The resources, the registry and
``py.typed`` are written here. Any warning it reports fails the run: a warning there means an operation or a
schema was dropped.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

from openapi_python_client import Project
from openapi_python_client.config import Config, ConfigFile, MetaType
from openapi_python_client.parser import GeneratorData
from openapi_python_client.parser import openapi as openapi_parser
from openapi_python_client.parser.errors import GeneratorError
from openapi_python_client.parser.openapi import Endpoint
from openapi_python_client.strings import PythonIdentifier

from .facade import FacadeMethod, body_spec_expression, endpoint_imports, facade_method, render_resources
from .normalise import Document
from .output import HEADER, PACKAGE, GenerationError, Rendered
from .progress import RenderProgress
from .reference import api_reference
from .registry import OperationView, build_operation, operation_index
from .schemas import component_schemas

__all__ = ["STOCK_FILES", "render"]

STOCK_FILES = ("client.py", "errors.py")


def _config(package_dir: Path) -> Config:
    config_file = ConfigFile(
        post_hooks=[],  # formatting is our own stage, with pinned settings
        use_path_prefixes_for_title_model_names=False,
        project_name_override="threecx-xapi-client",
        package_name_override=PACKAGE,
    )
    return Config.from_sources(
        config_file,
        MetaType.NONE,
        document_source=Path("xapi.yaml"),
        file_encoding="utf-8",
        overwrite=True,
        output_path=package_dir,
    )


def _describe(error: GeneratorError) -> str:
    return f"{error.header or 'error'}: {(error.detail or '').strip()}".strip()


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
    config = _config(package_dir)
    with _shallow_endpoint_copies():
        data = GeneratorData.from_dict(doc, config=config)
    if isinstance(data, GeneratorError):
        raise GenerationError(_describe(data))
    problems = [_describe(e) for e in data.errors]
    for collection in data.endpoint_collections_by_tag.values():
        problems += [_describe(e) for e in collection.parse_errors]
    if problems:
        raise GenerationError("openapi-python-client reported:\n  " + "\n  ".join(problems))

    index = operation_index(doc)
    by_identifier = {str(_identifier(op_id, config)): op_id for op_id in index}
    views: dict[str, OperationView] = {}
    for collection in data.endpoint_collections_by_tag.values():
        for endpoint in collection.endpoints:
            op_id = by_identifier[str(endpoint.name)]
            path, method, op = index[op_id]
            views[str(endpoint.name)] = build_operation(
                doc=doc, endpoint=endpoint, path=path, method=method, op=op, package=PACKAGE
            )

    methods = {str(e.name): facade_method(e, views[str(e.name)]) for e in _endpoints(data)}
    project = Project(openapi=data, config=config, custom_template_path=templates)

    def xapi_operation(endpoint: Endpoint) -> OperationView:
        return views[str(endpoint.name)]

    rendered: set[str] = set()

    def xapi_method(endpoint: Endpoint) -> FacadeMethod:  # called once at the top of each endpoint module
        name = str(endpoint.name)
        if progress is not None and name not in rendered:
            rendered.add(name)
            progress(len(rendered), len(methods))
        return methods[name]

    def xapi_endpoint_imports(endpoint: Endpoint) -> list[str]:
        return endpoint_imports(endpoint, methods[str(endpoint.name)])

    project.env.globals.update(
        xapi_operation=xapi_operation,
        xapi_method=xapi_method,
        xapi_endpoint_imports=xapi_endpoint_imports,
        xapi_body_spec=body_spec_expression,
    )
    with contextlib.redirect_stdout(io.StringIO()):  # it prints "Generating <dir>"; our summary says more
        errors = project.build()
    if errors:
        raise GenerationError("openapi-python-client reported:\n  " + "\n  ".join(_describe(e) for e in errors))
    for stock in STOCK_FILES:  # its HTTP client and error types: the SDK's client owns auth, retries and errors
        (package_dir / stock).unlink(missing_ok=True)

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
    schemas = json.dumps(component_schemas(doc, lambda wire: _identifier(wire, config)), indent=1, ensure_ascii=False)
    (package_dir / "schemas.json").write_text(schemas + "\n", "utf-8")
    for source in package_dir.rglob("*.py"):
        source.write_text(HEADER + source.read_text("utf-8"), "utf-8")
    return Rendered(
        operations=len(index), generated=len(views), models=len(data.models) + len(data.enums), registry=registry
    )


@contextlib.contextmanager
def _shallow_endpoint_copies() -> Iterator[None]:
    """Let openapi-python-client copy endpoints shallowly while it parses; half its parse time goes otherwise.

    Its parser deep-copies each ``Endpoint`` (pydantic models and all) three times while adding responses
    and parameters, to avoid mutating an endpoint the caller still holds; the caller never does (it rebinds
    to the copy each time), so a shallow copy gives the same result. The generated bytes are identical
    either way (``make check-generated`` compares them); pinned to openapi-python-client 0.29.1.
    """
    original = getattr(openapi_parser, "deepcopy")  # noqa: B009 - not re-exported, hence getattr
    setattr(openapi_parser, "deepcopy", copy.copy)  # noqa: B010
    try:
        yield
    finally:
        setattr(openapi_parser, "deepcopy", original)  # noqa: B010


def _endpoints(data: GeneratorData) -> list[Endpoint]:
    return [endpoint for collection in data.endpoint_collections_by_tag.values() for endpoint in collection.endpoints]


def _identifier(op_id: str, config: Config) -> str:
    return str(PythonIdentifier(op_id, prefix=config.field_prefix))
