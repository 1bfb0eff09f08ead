"""The generated client covers exactly the operations of the XAPI document, and every one of them is callable.

The document is parsed here on its own (not through the generator's registry), so a registry that lost, renamed or
reordered an operation or a parameter is caught. Every registry operation has an endpoint module with ``build``,
``parse`` and its constants, and a method ``pbx.<resource>.<function>`` on ``XAPI`` and ``AsyncXAPI`` taking
``build``'s arguments. A wire pass per client then calls every operation and checks that the URL it sends is the
document's path template with every placeholder replaced by the right OData literal.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import inspect
import json
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from generator.yaml12 import load_yaml
from threecx_xapi import XAPI, APIStatusError, AsyncXAPI
from threecx_xapi._endpoint import BodySpec

ROOT = Path(__file__).resolve().parents[2]
SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "xapi-20.0.10.yaml"
REGISTRY = ROOT / "generated" / "threecx_xapi_client" / "registry.json"
BASE = "https://pbx.example.com"  # XAPI sends to <BASE>/xapi/v1
METHODS = ("get", "put", "post", "patch", "delete")
# A lazy models package keeps this at one to nine model modules per endpoint (users.update_user is the largest).
HANDFUL = 10


@cache
def document() -> dict[str, Any]:
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} is not present")
    doc = load_yaml(SPEC.read_bytes())
    assert isinstance(doc, dict)
    return doc


@cache
def registry() -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = json.loads(REGISTRY.read_text(encoding="utf-8"))["operations"]
    return ops


def doc_operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document()["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        parts = node["$ref"].removeprefix("#/").split("/")
        target: Any = doc
        for part in parts:
            target = target[part]
        node = target
    return node


def doc_parameters(op: dict[str, Any]) -> list[dict[str, Any]]:
    doc = document()
    return [resolve(doc, p) for p in op.get("parameters", [])]


def registry_by_key() -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["method"], o["path"]): o for o in registry()}


# --- the set of operations -------------------------------------------------------------------------------


def test_document_has_601_operations() -> None:
    ops = list(doc_operations())
    assert len(ops) == 601
    counts = {m: sum(1 for o in ops if o[0] == m) for m in ("GET", "POST", "PATCH", "DELETE", "PUT")}
    assert counts == {"GET": 322, "POST": 180, "PATCH": 65, "DELETE": 34, "PUT": 0}


def test_registry_has_exactly_the_documents_operations() -> None:
    from_doc = {(m, p, op.get("operationId")) for m, p, op in doc_operations()}
    from_registry = {(o["method"], o["path"], o["operation_id"]) for o in registry()}
    assert len(registry()) == len(from_registry), "duplicate operations in registry.json"
    assert from_registry - from_doc == set(), "in registry.json but not in the document"
    assert from_doc - from_registry == set(), "in the document but not in registry.json"


def test_registry_parameters_and_bodies_match_the_document() -> None:
    by_key = registry_by_key()
    problems: list[str] = []
    for method, path, op in doc_operations():
        rec = by_key[(method, path)]
        params = doc_parameters(op)
        doc_path = [p["name"] for p in params if p["in"] == "path"]
        doc_query = [p["name"] for p in params if p["in"] == "query"]
        doc_header = [p["name"] for p in params if p["in"] == "header"]
        reg = sorted(rec["parameters"], key=lambda p: p["order"])
        if doc_path != re.findall(r"\{([^}]+)\}", path):
            problems.append(f"{path}: document path parameters out of template order")
        if [p["name"] for p in reg if p["location"] == "path"] != doc_path:
            problems.append(f"{method} {path}: path parameters {doc_path}")
        if [p["name"] for p in reg if p["location"] == "query"] != doc_query:
            problems.append(f"{method} {path}: query parameters {doc_query}")
        if rec["odata_options"] != doc_query:
            problems.append(f"{method} {path}: odata_options {doc_query}")
        if [p["name"] for p in reg if p["location"] == "header"] != doc_header:
            problems.append(f"{method} {path}: header parameters {doc_header}")
        for p in params:
            if p["in"] != "path":
                continue
            (r,) = [x for x in reg if x["name"] == p["name"] and x["location"] == "path"]
            if r["nullable"] != bool(p["schema"].get("nullable", False)):
                problems.append(f"{method} {path}: {p['name']} nullable")
        has_body = "requestBody" in op
        if has_body != (rec["body"] is not None):
            problems.append(f"{method} {path}: body present={has_body}")
        elif has_body and rec["body"]["required"] != bool(
            resolve(document(), op["requestBody"]).get("required", False)
        ):
            problems.append(f"{method} {path}: body required")
    assert problems == []


@pytest.mark.parametrize("op", registry(), ids=lambda o: o["operation_id"])
def test_every_module_has_build_parse_and_its_constants(op: dict[str, Any]) -> None:
    module = importlib.import_module(op["module"])
    assert op["module"].rsplit(".", 1)[1] == op["function"]
    assert op["operation_id"] == module.OPERATION_ID
    assert op["method"] == module.METHOD
    assert op["path"] == module.PATH
    assert callable(module.parse)
    assert list(inspect.signature(module.parse).parameters) == ["response"]
    body = op["body"]
    if body is None:
        assert module.BODY is None
    else:
        spec = module.BODY
        assert isinstance(spec, BodySpec)
        assert (spec.kind, spec.required, spec.model, spec.content_type) == (
            body["kind"],
            body["required"],
            body["model"],
            body["content_type"],
        )
        assert spec.schema == body["declared_schema"]
        if spec.kind == "parameters":  # an entity is described by its component alone
            assert [(p.name, p.python_name) for p in spec.properties] == [
                (p["name"], p["python_name"]) for p in body["properties"]
            ]
        else:
            assert spec.properties == ()
    positional, keyword = signature_names(module.build)
    ordered = sorted(op["parameters"], key=lambda p: p["order"])
    # path parameters are positional, in the document's order; everything else is keyword-only
    assert positional == [p["python_name"] for p in ordered if p["location"] == "path"]
    assert keyword == {keyword_of(p) for p in ordered if p["location"] != "path"} | body_arguments(op)
    assert not inspect.iscoroutinefunction(module.build)


@pytest.mark.parametrize("op", registry(), ids=lambda o: o["operation_id"])
def test_every_operation_is_a_method_of_xapi_and_asyncxapi_with_builds_arguments(op: dict[str, Any]) -> None:
    positional, keyword = signature_names(importlib.import_module(op["module"]).build)
    options = {"extra_headers", "extra_query", "timeout"}
    if op["body"] is not None:
        options.add("extra_body")
    if op["response"]["collection_item"] is not None and "top" in keyword:
        options.add("limit")  # a paged operation
    for client in (SYNC_CLIENT, ASYNC_CLIENT):
        method = getattr(getattr(client, op["resource"]), op["function"])
        assert inspect.iscoroutinefunction(method) == isinstance(client, AsyncXAPI)
        assert signature_names(method) == (positional, keyword | options)


def signature_names(fn: Callable[..., Any]) -> tuple[list[str], set[str]]:
    """A function's positional parameter names, in order, and its keyword-only ones."""
    parameters = inspect.signature(fn).parameters.values()
    assert not [p for p in parameters if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY)]
    positional = [p.name for p in parameters if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    return positional, {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}


def keyword_of(parameter: dict[str, Any]) -> str:
    """The keyword argument of a query or header parameter: an OData option by its name (``$filter`` is ``filter``;
    the registry's ``python_name`` for it is the generator's ``filter_``), anything else by its Python name."""
    if parameter["kind"] == "odata-option":
        assert parameter["name"].startswith("$")
        return str(parameter["name"][1:])
    return str(parameter["python_name"])


def body_arguments(op: dict[str, Any]) -> set[str]:
    """``body`` for an entity body; one keyword argument per field, by its Python name, for action parameters."""
    body = op["body"]
    if body is None:
        return set()
    if body["kind"] == "entity":
        return {"body"}
    return {p["python_name"] for p in body["properties"]}


def never_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request expected, sent {request.method} {request.url}")


SYNC_CLIENT = XAPI(BASE, token="t", http_client=httpx.Client(transport=httpx.MockTransport(never_called)))
ASYNC_CLIENT = AsyncXAPI(BASE, token="t", http_client=httpx.AsyncClient(transport=httpx.MockTransport(never_called)))


# --- every operation on the wire --------------------------------------------------------------------------

WHEN = dt.datetime(2025, 3, 13, 23, 0, 0, tzinfo=dt.timezone.utc)
GUID = uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e")


def sample(schema: dict[str, Any]) -> tuple[object, str]:
    """A value for a path parameter and its OData literal, from the document's schema alone."""
    kind = (schema.get("type"), schema.get("format"))
    if kind == ("integer", "int32"):
        return 7, "7"
    if kind == ("boolean", None):
        return True, "true"
    if kind == ("string", "date-time"):
        return WHEN, "2025-03-13T23:00:00Z"
    if kind == ("string", "uuid"):
        return GUID, "0f8fad5b-d9cb-469f-a165-70867728950e"
    if kind == ("string", None):
        return "k'1", "'k''1'"
    raise AssertionError(f"no sample for {schema}")


Call = tuple[str, str, str, str, dict[str, Any], str, bool, bool]


def planned_calls() -> list[Call]:
    """For each operation of the document: resource, SDK method, method, path, arguments, expected raw path,
    whether an If-Match header is expected and whether a JSON body is."""
    by_key = registry_by_key()
    calls: list[Call] = []
    for method, path, op in doc_operations():
        rec = by_key[(method, path)]
        names = {(p["location"], p["name"]): p["python_name"] for p in rec["parameters"]}
        kwargs: dict[str, Any] = {}
        expected = path
        for p in doc_parameters(op):
            if p["in"] == "path":
                value, text = sample(p["schema"])
                kwargs[names[("path", p["name"])]] = value
                expected = expected.replace("{" + p["name"] + "}", text)
            elif p["in"] == "header":
                kwargs[names[("header", p["name"])]] = 'W/"1"'
        body = rec["body"]
        if body is not None and body["kind"] == "entity":
            kwargs["body"] = {}
        # An entity body is sent as given ({}); action parameters with none given are {} when the body is
        # required and no body at all when it is optional.
        sends_body = body is not None and (body["kind"] == "entity" or body["required"])
        if_match = any(p["in"] == "header" for p in doc_parameters(op))
        raw = "/xapi/v1" + expected
        calls.append((rec["resource"], rec["function"], method, path, kwargs, raw, if_match, sends_body))
    return calls


def check_sent(call: Call, seen: list[httpx.Request], error: APIStatusError | None) -> list[str]:
    _, _, method, path, _, expected, if_match, sends_body = call
    if error is None or error.status_code != 500:
        return [f"{method} {path}: expected an APIStatusError with status 500, got {error!r}"]
    if len(seen) != 1:
        return [f"{method} {path}: {len(seen)} requests"]
    problems: list[str] = []
    request = seen[0]
    if request.method != method:
        problems.append(f"{method} {path}: sent {request.method}")
    if request.url.raw_path.decode("ascii") != expected:
        problems.append(f"{method} {path}: sent {request.url.raw_path!r}, expected {expected}")
    if if_match != (request.headers.get("If-Match") == 'W/"1"') or (not if_match and "If-Match" in request.headers):
        problems.append(f"{method} {path}: If-Match header {request.headers.get('If-Match')!r}")
    if request.headers.get("Authorization") != "Bearer t":
        problems.append(f"{method} {path}: Authorization header missing")
    if sends_body:
        if request.headers.get("content-type") != "application/json" or json.loads(request.content) != {}:
            problems.append(f"{method} {path}: body {request.content!r}")
    elif request.content != b"" or "content-type" in request.headers:
        problems.append(f"{method} {path}: unexpected body {request.content!r}")
    return problems


def test_every_operation_sends_the_documents_path() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    pbx = XAPI(BASE, token="t", max_retries=0, http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    problems: list[str] = []
    calls = planned_calls()
    assert len(calls) == 601
    for call in calls:
        resource, function, _, _, kwargs, _, _, _ = call
        seen.clear()
        error: APIStatusError | None = None
        try:
            getattr(getattr(pbx, resource), function)(**kwargs)
        except APIStatusError as exc:
            error = exc
        problems += check_sent(call, seen, error)
    assert problems == []


def test_every_operation_sends_the_documents_path_async() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    async def run() -> list[str]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            pbx = AsyncXAPI(BASE, token="t", max_retries=0, http_client=http)
            problems: list[str] = []
            for call in planned_calls():
                resource, function, _, _, kwargs, _, _, _ = call
                seen.clear()
                error: APIStatusError | None = None
                try:
                    await getattr(getattr(pbx, resource), function)(**kwargs)
                except APIStatusError as exc:
                    error = exc
                problems += check_sent(call, seen, error)
            return problems

    assert asyncio.run(run()) == []


# --- import cost ------------------------------------------------------------------------------------------

COUNT_MODELS = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.startswith("threecx_xapi_client.models."))))
"""


@pytest.mark.parametrize(
    "module",
    [
        "threecx_xapi_client.api.users.export_extensions",
        "threecx_xapi_client.api.report_call_log_data.get_call_log_data",
        "threecx_xapi_client.api.users.update_user",
    ],
)
def test_importing_one_endpoint_imports_a_handful_of_models(module: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", COUNT_MODELS, module], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    models = json.loads(out)
    assert 1 <= len(models) <= HANDFUL, models
