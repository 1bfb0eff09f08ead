"""Requests the test server received, validated with openapi-core against the original XAPI document.

The document is the one 3CX publishes (``$SPEC``, else ``../shared/spec/xapi-20.0.10.yaml`` as in the Makefile),
byte for byte the one the client was generated from (:func:`check_document`), not the normalised copy the
generator works from: the point is that what the SDK puts on the wire is what the PBX's own
description of itself allows.

How a recorded request becomes an openapi-core request (:class:`RecordedOpenAPIRequest`):

* the path is percent-decoded, as every server framework hands it to an application (ASGI's ``scope["path"]``):
  the SDK encodes ``(``, ``)``, ``,`` and spaces inside key and function-parameter values, the document's
  templates are written with the decoded characters;
* the query is split with :func:`urllib.parse.parse_qsl` (``$select=Id,Number`` stays one value, which
  openapi-core splits itself because the document declares ``explode: false``);
* the host is irrelevant: the document's server is the relative ``/xapi/v1``.

OData literals against OpenAPI path templates. openapi-core turns ``/Users(Number={Number})`` into the regex
``/Users\\(Number=(?P<Number>[^/]*)\\)$`` and hands the captured text to the parameter's schema. That text is the
OData literal: an integer key (``29``) and an unquoted date-time (``2026-03-01T00:00:00Z``, which the
document's own pattern describes) are read exactly as the document means them. Two things the regex cannot do:

* Tell OData key syntaxes apart: ``[^/]*`` also matches ``Number='800'`` inside ``/Queues({Id})``, and
  openapi-core takes the first candidate with the fewest variables in document order, which for ``Queues`` is
  ``GetQueue`` (and then fails: ``Number='800'`` is no int32). :class:`OperationPathFinder` uses openapi-core's
  own iterators in openapi-core's order but takes the candidate of the operation the SDK was asked to call,
  if that operation's template matches at all, and counts the overlap (:attr:`WireValidator.overlaps`); if it
  does not match, the request fails.
* See quotes: the captured text of a string parameter is ``'100'``, which a ``type: string`` schema accepts,
  but it would accept ``100`` too, which a PBX answers with 404. So string path parameters (other than
  formats OData writes bare: uuid, date-time) are also checked to be OData string literals, ``'...'`` with
  ``'`` doubled, or ``null`` where the document says nullable.

Likewise in the query, each option must appear once and a boolean must be ``true``/``false``: openapi-core reads
a repeated ``$select`` as a list and casts ``True``, a PBX answers both with 400.

Security: the document declares OAuth2, which openapi-core does not check (it warns "Unsupported scheme type");
the suite checks instead that every XAPI request carried ``Authorization: Bearer ...``.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.datatypes import PathOperationServer
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.paths.finders import APICallPathFinder
from werkzeug.datastructures import Headers, ImmutableMultiDict

from threecx_xapi import _registry as registry
from threecx_xapi.testing import RecordedRequest

__all__ = [
    "API_PREFIX",
    "OperationPathFinder",
    "RecordedOpenAPIRequest",
    "WireValidator",
    "check_document",
    "default_spec_path",
]

API_PREFIX = "/xapi/v1/"
HOST_URL = "http://xapi.test"  # any absolute URL: the document's server is relative
_REPO = Path(__file__).resolve().parents[2]
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_BARE_STRING_FORMATS = frozenset({"date-time", "uuid", "date", "time"})  # OData writes these unquoted


def default_spec_path() -> Path:
    """The original document: ``$SPEC`` if set, else the shared copy beside the repository (the Makefile's)."""
    given = os.environ.get("SPEC")
    if given:
        return Path(given)
    return _REPO.parent / "shared" / "spec" / "xapi-20.0.10.yaml"


def check_document(path: Path) -> str | None:
    """Why ``path`` cannot be the document to validate against, or None: it must be the one the client was
    generated from (its sha256 is in the registry), or a passing run would prove nothing."""
    if not path.is_file():
        return f"{path}: no such file (set SPEC to the XAPI document the client was generated from)"
    expected = str(registry.document().get("sha256", ""))
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if expected and actual != expected:
        return f"{path}: sha256 {actual[:12]}..., the client was generated from {expected[:12]}..."
    return None


class RecordedOpenAPIRequest:
    """A :class:`~threecx_xapi.testing.RecordedRequest` as openapi-core's ``Request`` protocol sees a request."""

    def __init__(self, recorded: RecordedRequest) -> None:
        split = urlsplit(recorded.path)
        self.host_url = HOST_URL
        self.path = unquote(split.path)
        self.method = recorded.method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(split.query, keep_blank_values=True)),
            header=Headers(list(recorded.headers)),
            cookie=ImmutableMultiDict(),
        )
        self.content_type = (recorded.header("content-type") or "").lower()
        self.body: bytes | None = recorded.body or None


class OperationMismatch(PathError):
    """The request's path matches templates of the document, but not the template of the operation called."""

    def __init__(self, url: str, expected: str, found: list[str]) -> None:
        super().__init__(f"{url} matches {', '.join(found)} in the document, not {expected}")


class OperationPathFinder(APICallPathFinder):
    """openapi-core's path finder, same iterators and order, choosing the candidate of the expected operation.

    Set :attr:`expected` before each validation; :attr:`chosen` and :attr:`first` tell afterwards what was
    chosen and what openapi-core alone would have taken.
    """

    expected: str = ""
    chosen: PathOperationServer | None = None
    first: PathOperationServer | None = None

    def find(self, method: str, name: str) -> PathOperationServer:
        paths = self.paths_iterator(name, self.spec, base_url=self.base_url)
        operations = self.operations_iterator(method, paths, self.spec, base_url=self.base_url)
        candidates = list(self.servers_iterator(name, operations, self.spec, base_url=self.base_url))
        self.first = candidates[0] if candidates else None
        self.chosen = next((c for c in candidates if _operation_id(c) == self.expected), None)
        if self.chosen is None:
            raise OperationMismatch(name, self.expected, [_operation_id(c) for c in candidates] or ["nothing"])
        return self.chosen


@dataclass
class WireValidator:
    """Validates recorded requests against the document; identical requests are validated once."""

    spec_path: Path = field(default_factory=default_spec_path)
    overlaps: set[tuple[str, str]] = field(default_factory=set)  # (operation called, openapi-core's first pick)
    _cache: dict[tuple[object, ...], str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        with self.spec_path.open("rb") as handle:
            document = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        # The document is 3CX's, read as published; checking it against the OpenAPI meta-schema (4 s) is the
        # generator's business (``make fetch-spec``), not the contract's.
        config = Config(spec_validator_cls=None, path_finder_cls=OperationPathFinder)
        self.openapi = OpenAPI.from_dict(document, config=config)
        finder = getattr(self.openapi.request_unmarshaller, "path_finder", None)
        if not isinstance(finder, OperationPathFinder):  # pragma: no cover - openapi-core changed its wiring
            raise TypeError("openapi-core did not take the configured path finder")
        self._finder = finder

    def problem(self, recorded: RecordedRequest, operation_id: str) -> str | None:
        """Why ``recorded`` is not a valid request of ``operation_id`` by the document, or None if it is."""
        key = (recorded.method, recorded.path, recorded.body, operation_id, *_relevant_headers(recorded))
        if key not in self._cache:
            self._cache[key] = self._problem(recorded, operation_id)
        return self._cache[key]

    def _problem(self, recorded: RecordedRequest, operation_id: str) -> str | None:
        where = f"{recorded.method} {recorded.decoded_path}"
        authorization = recorded.header("authorization") or ""
        if not authorization.startswith("Bearer "):
            return f"{where}: no Authorization: Bearer header"
        self._finder.expected = operation_id
        with warnings.catch_warnings():
            # OAuth2 is not checked by openapi-core (see the module docstring); the bearer header is, above.
            warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
            result = self.openapi.unmarshal_request(RecordedOpenAPIRequest(recorded))
        if result.errors:
            return f"{where}: {'; '.join(_describe(error) for error in result.errors)}"
        chosen, first = self._finder.chosen, self._finder.first
        if chosen is None or first is None:  # pragma: no cover - no errors means a path was found
            return f"{where}: openapi-core validated without finding a path"
        if first is not chosen:
            self.overlaps.add((operation_id, _operation_id(first)))
        literal = _literal_problem(chosen) or _query_problem(recorded, chosen)
        return f"{where}: {literal}" if literal else None


def _literal_problem(found: PathOperationServer) -> str | None:
    """OData's literal syntax for string path parameters, which a ``type: string`` schema cannot express."""
    variables = found.path_result.variables or {}
    path: Any = found.path
    operation: Any = found.operation
    for parameter in [*path.get("parameters", []), *operation.get("parameters", [])]:
        name = str(parameter["name"])
        if parameter["in"] != "path" or name not in variables:
            continue
        schema = parameter.get("schema", {})
        if schema.get("type") != "string" or schema.get("format") in _BARE_STRING_FORMATS:
            continue
        text = variables[name]
        if text == "null" and schema.get("nullable"):
            continue
        if not _STRING_LITERAL.fullmatch(text):
            return f"path parameter {name}={text} is not an OData string literal ('...' with ' doubled)"
    return None


def _query_problem(recorded: RecordedRequest, found: PathOperationServer) -> str | None:
    """OData's query rules openapi-core is lenient about: each option once, booleans spelled ``true``/``false``.

    openapi-core reads a repeated ``$select`` of an ``explode: false`` array as the list of its values and casts
    ``True`` to a boolean; a PBX answers both with 400.
    """
    pairs = parse_qsl(urlsplit(recorded.path).query, keep_blank_values=True)
    names = [name for name, _ in pairs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        return f"query option {', '.join(repeated)} given more than once"
    operation: Any = found.operation
    path: Any = found.path
    values = dict(pairs)
    for parameter in [*path.get("parameters", []), *operation.get("parameters", [])]:
        name = str(parameter["name"])
        boolean = parameter["in"] == "query" and parameter.get("schema", {}).get("type") == "boolean"
        if boolean and name in values and values[name] not in ("true", "false"):
            return f"query option {name}={values[name]} is not an OData boolean (true or false)"
    return None


def _operation_id(candidate: PathOperationServer) -> str:
    operation: Any = candidate.operation
    return str(operation["operationId"])


def _relevant_headers(recorded: RecordedRequest) -> tuple[str | None, ...]:
    """Headers the document or the check looks at; the rest (host, the suite's call tag) do not change a verdict."""
    return tuple(recorded.header(name) for name in ("content-type", "if-match", "authorization"))


def _describe(error: BaseException) -> str:
    """An openapi-core error with the schema errors that caused it (they carry the offending value and path)."""
    parts = [str(error)]
    cause: BaseException | None = error.__cause__
    while cause is not None:
        schema_errors: Any = getattr(cause, "schema_errors", None)
        if schema_errors:
            for schema_error in schema_errors:
                where = "/".join(str(p) for p in getattr(schema_error, "absolute_path", ()))
                parts.append(f"{where or 'value'}: {getattr(schema_error, 'message', schema_error)}")
        else:
            parts.append(str(cause))
        cause = cause.__cause__
    return ": ".join(dict.fromkeys(p for p in parts if p))
