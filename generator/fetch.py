"""Stage 1 of the generator: obtain the 3CX XAPI OpenAPI document and check it is one we can generate from.

The document comes either from a file or from a live PBX (``GET /xapi/v1/swagger.yaml``, optionally behind an
OAuth2 client-credentials token).  Everything downstream trusts what this stage returns, so it refuses early and
loudly: wrong OpenAPI version, missing ``paths``/``components``, oversize bodies, unsafe YAML tags.  Credentials and
access tokens never leave this module in a message, repr or log line.

Usage: ``python -m generator.fetch SOURCE --out FILE``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import ssl
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

from threecx_xapi._credentials import ClientCredentials
from threecx_xapi._deadline import Deadline
from threecx_xapi._exceptions import XAPIError
from threecx_xapi._retry import RetryPolicy
from threecx_xapi._token_endpoint import TokenEndpoint

from .yaml12 import load_yaml

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "DocumentError",
    "FetchedDocument",
    "fetch_document",
    "load",
    "main",
    "parse_document",
    "read_document",
]

MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
"""Upper bound for a document; the real XAPI document is ~1.2 MB, so anything near this is not one."""

SWAGGER_PATH = "/xapi/v1/swagger.yaml"
TOKEN_PATH = "/connect/token"
HTTP_METHODS = ("get", "put", "post", "patch", "delete")

_MAX_DETAIL_CHARS = 300
_OPENAPI_30 = re.compile(r"3\.0\.\d+")
_USER_AGENT = "threecx-xapi-generator"


class DocumentError(Exception):
    """The document could not be obtained or is not a usable OpenAPI 3.0 document.

    Messages are meant to be shown to the user as-is and never contain credentials or tokens.
    """


@dataclass(frozen=True)
class FetchedDocument:
    """A validated OpenAPI document plus the exact bytes it came from (so later stages can pin its hash)."""

    source: str
    raw: bytes = field(repr=False)
    data: dict[str, Any] = field(repr=False)
    sha256: str
    openapi_version: str

    @property
    def operation_count(self) -> int:
        """Number of operations (get/put/post/patch/delete) under ``paths``."""
        return _count_operations(self.data)

    @property
    def schema_count(self) -> int:
        """Number of entries in ``components.schemas``."""
        return len(self.data["components"]["schemas"])


def _count_operations(data: Mapping[str, Any]) -> int:
    paths = data.get("paths")
    if not isinstance(paths, Mapping):
        return 0
    return sum(1 for item in paths.values() if isinstance(item, Mapping) for method in item if method in HTTP_METHODS)


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


# --------------------------------------------------------------------------------------------------- parsing


def parse_document(raw: bytes, *, source: str) -> FetchedDocument:
    """Parse JSON or YAML (safely: no Python object tags) and check it is an OpenAPI 3.0.x document we can use."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"{source}: document is {len(raw)} bytes, more than the {MAX_DOCUMENT_BYTES}-byte limit")
    text_start = raw.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text_start:
        raise DocumentError(f"{source}: document is empty")
    data: object
    if text_start.startswith(b"{"):
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise DocumentError(f"{source}: not valid JSON: {exc}") from None
    else:
        try:
            data = load_yaml(raw)  # safe, and with YAML 1.2 scalars (`No` stays a string)
        except yaml.YAMLError as exc:
            raise DocumentError(f"{source}: not valid (safe) YAML: {_one_line(str(exc))}") from None
        except (ValueError, RecursionError) as exc:
            raise DocumentError(f"{source}: not valid YAML: {exc}") from None

    if not isinstance(data, dict):
        raise DocumentError(f"{source}: top level must be a mapping (an OpenAPI object), found {_type_name(data)}")
    version = _check_version(data, source)
    paths = data.get("paths")
    if not isinstance(paths, dict) or not paths:
        found = "an empty mapping" if isinstance(paths, dict) else _type_name(paths)
        raise DocumentError(f"{source}: `paths` must be a non-empty mapping of operations, found {found}")
    components = data.get("components")
    if not isinstance(components, dict):
        raise DocumentError(f"{source}: `components` must be a mapping, found {_type_name(components)}")
    if not isinstance(components.get("schemas"), dict):
        raise DocumentError(
            f"{source}: `components.schemas` must be a mapping, found {_type_name(components.get('schemas'))}"
        )
    return FetchedDocument(
        source=source,
        raw=raw,
        data=data,
        sha256=hashlib.sha256(raw).hexdigest(),
        openapi_version=version,
    )


def _check_version(data: Mapping[str, Any], source: str) -> str:
    """Only 3.0.x is accepted: the generator's templates and openapi-python-client expectations are 3.0 semantics."""
    if "openapi" not in data:
        if "swagger" in data:
            raise DocumentError(
                f"{source}: this is a Swagger/OpenAPI {data['swagger']!s} document; only OpenAPI 3.0.x is supported"
            )
        raise DocumentError(f"{source}: no `openapi` version field; only OpenAPI 3.0.x documents are supported")
    version = data["openapi"]
    if not isinstance(version, str):
        raise DocumentError(
            f"{source}: `openapi` must be a version string such as '3.0.4', found {version!r} ({_type_name(version)});"
            " quote it in YAML"
        )
    if not _OPENAPI_30.fullmatch(version):
        raise DocumentError(f"{source}: found OpenAPI {version[:40]!r}; only OpenAPI 3.0.x is supported")
    return version


def _one_line(text: str, limit: int = _MAX_DETAIL_CHARS) -> str:
    """Collapse whitespace/control characters and cap length so server- or parser-supplied text stays readable."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------------- files


def read_document(path: str | Path) -> FetchedDocument:
    """Read and validate a document from a local file."""
    file = Path(path)
    source = str(file)
    try:
        if not file.exists():
            raise DocumentError(f"{source}: no such file (to fetch from a PBX, give its https:// URL)")
        if file.is_dir():
            raise DocumentError(f"{source}: is a directory, expected an OpenAPI document file")
        size = file.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise DocumentError(f"{source}: file is {size} bytes, more than the {MAX_DOCUMENT_BYTES}-byte limit")
        with file.open("rb") as handle:
            raw = handle.read(MAX_DOCUMENT_BYTES + 1)  # the file may grow between stat and read
    except OSError as exc:
        raise DocumentError(f"{source}: cannot read: {exc.strerror or exc}") from None
    return parse_document(raw, source=source)


# --------------------------------------------------------------------------------------------------- HTTP


def _redacted(url: str) -> str:
    """A user-supplied URL as it may appear in messages: no userinfo, query or fragment."""
    visible = re.split(r"[?#]", url, maxsplit=1)[0]
    return re.sub(r"(?<=//)[^/@]*@", "***@", visible) if "@" in visible else visible


def _normalise_base_url(base_url: str) -> str:
    """Reduce any PBX URL (``https://pbx:5001``, ``.../xapi/v1/``) to ``scheme://host[:port]``; refuse junk early."""
    shown = _redacted(base_url.strip())
    try:
        parts = urlsplit(base_url.strip())
        port = parts.port
    except ValueError as exc:
        raise DocumentError(f"invalid base URL {shown!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise DocumentError(
            f"invalid base URL {shown!r}: needs an http:// or https:// scheme, e.g. https://pbx.example.com:5001"
        )
    host = parts.hostname
    if not host:
        raise DocumentError(f"invalid base URL {shown!r}: no host name, e.g. https://pbx.example.com:5001")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")


def _ssl_verify(verify: bool | str) -> bool | ssl.SSLContext:
    """Turn a CA bundle path into an SSLContext (httpx deprecates ``verify=<str>``)."""
    if isinstance(verify, bool):
        return verify
    try:
        if os.path.isdir(verify):
            return ssl.create_default_context(capath=verify)
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        raise DocumentError(f"cannot load CA certificates from {verify!r}: {exc}") from None


def _read_limited(response: httpx.Response, limit: int, url: str) -> bytes:
    """Stream a body, stopping as soon as it exceeds ``limit`` so a hostile or broken server cannot exhaust memory."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise DocumentError(f"{url} announced {int(declared)} bytes, more than the {limit}-byte limit")
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > limit:
            raise DocumentError(f"{url} sent more than the {limit}-byte limit; stopped reading")
        chunks.append(chunk)
    return b"".join(chunks)


def _status(response: httpx.Response) -> str:
    return f"HTTP {response.status_code}" + (f" {response.reason_phrase}" if response.reason_phrase else "")


@contextlib.contextmanager
def _transport_errors(url: str, timeout: float) -> Iterator[None]:
    """Map httpx failures to DocumentError naming the URL (the request object, which holds secrets, is dropped)."""
    try:
        yield
    except httpx.TimeoutException:
        raise DocumentError(f"timed out after {timeout:g}s waiting for {url}") from None
    except httpx.ConnectError as exc:
        raise DocumentError(f"could not connect to {url}: {_one_line(str(exc)) or type(exc).__name__}") from None
    except httpx.HTTPError as exc:
        raise DocumentError(f"request to {url} failed: {type(exc).__name__}: {_one_line(str(exc))}") from None


def _get_token(client: httpx.Client, origin: str, client_id: str, client_secret: str, timeout: float) -> str:
    """The SDK's own token request (never redirected, answer size bounded, errors redacted), as a DocumentError."""
    url = origin + TOKEN_PATH
    endpoint = TokenEndpoint(ClientCredentials(client_id, client_secret), url=url, retry=RetryPolicy(max_retries=0))
    try:
        return endpoint.fetch(client, client.build_request("GET", origin), Deadline.after(timeout)).value
    except XAPIError as exc:
        status = getattr(exc, "status_code", None)
        hint = ""
        if status in (400, 401, 403):
            hint = "; check XAPI_CLIENT_ID and XAPI_CLIENT_SECRET (the API client's ID and key in the 3CX console)"
        elif status == 404:
            hint = "; is this a 3CX v20 PBX with the XAPI enabled?"
        raise DocumentError(_one_line(str(exc)) + hint) from None


def _get_document(client: httpx.Client, url: str, token: str | None, timeout: float) -> bytes:
    headers = {"Accept": "application/yaml, text/yaml, application/json;q=0.9, */*;q=0.5"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    with _transport_errors(url, timeout), client.stream("GET", url, headers=headers) as response:
        if response.is_success:
            return _read_limited(response, MAX_DOCUMENT_BYTES, url)
        message = f"GET {url} answered {_status(response)}"
        if response.status_code in (401, 403):
            if token is None:
                message += (
                    ": the PBX requires authentication; set XAPI_CLIENT_ID and XAPI_CLIENT_SECRET"
                    " (an API client from the 3CX admin console) and retry"
                )
            else:
                message += ": the PBX rejected the access token; check that the API client is enabled and may use XAPI"
        elif response.is_redirect and response.headers.get("location"):
            message += f" redirecting to {_redacted(response.headers['location'])!r}; use that address as the base URL"
        elif response.status_code == 404:
            message += "; is this a 3CX v20 PBX with the XAPI enabled?"
        raise DocumentError(message)


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def fetch_document(
    base_url: str,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    timeout: float = 30.0,
    verify: bool | str = True,
    transport: httpx.BaseTransport | None = None,
) -> FetchedDocument:
    """Download ``/xapi/v1/swagger.yaml`` from a PBX, authenticating with client credentials when given."""
    origin = _normalise_base_url(base_url)
    url = origin + SWAGGER_PATH
    if bool(client_id) != bool(client_secret):
        raise DocumentError("both XAPI_CLIENT_ID and XAPI_CLIENT_SECRET are needed to authenticate; only one was given")
    secrets = [client_secret] if client_secret else []
    try:
        # No redirects: a 307 on the token request would replay the secret to wherever it points.
        with httpx.Client(
            timeout=timeout,
            verify=_ssl_verify(verify),
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": _USER_AGENT},
        ) as client:
            token: str | None = None
            if client_id and client_secret:
                token = _get_token(client, origin, client_id, client_secret, timeout)
                secrets.append(token)
            raw = _get_document(client, url, token, timeout)
        return parse_document(raw, source=url)
    except DocumentError as exc:
        # Defence in depth: a server may echo what it was sent back into an error description.
        raise DocumentError(_scrub(str(exc), secrets)) from None


# --------------------------------------------------------------------------------------------------- entry points


def load(source: str, *, env: Mapping[str, str] = os.environ) -> FetchedDocument:
    """Fetch from a PBX URL (credentials from XAPI_CLIENT_ID / XAPI_CLIENT_SECRET) or read a local file."""
    if source.strip().lower().startswith(("http://", "https://")):
        return fetch_document(
            source,
            client_id=env.get("XAPI_CLIENT_ID") or None,
            client_secret=env.get("XAPI_CLIENT_SECRET") or None,
        )
    return read_document(source)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write via a temp file + rename so a crash never leaves a half-written document for the next stage."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def main(argv: list[str] | None = None) -> int:
    """CLI: fetch or read SOURCE, validate it, store the exact bytes at --out and print a one-line summary."""
    parser = argparse.ArgumentParser(
        prog="python -m generator.fetch",
        description="Fetch (or read) and validate the 3CX XAPI OpenAPI document.",
        epilog="For a PBX URL, credentials come from XAPI_CLIENT_ID and XAPI_CLIENT_SECRET if set.",
    )
    parser.add_argument("source", metavar="SOURCE", help="PBX base URL (https://pbx.example.com:5001) or a file path")
    parser.add_argument("--out", metavar="FILE", required=True, type=Path, help="where to write the document bytes")
    args = parser.parse_args(argv)
    try:
        document = load(args.source)
        try:
            _write_atomically(args.out, document.raw)
        except OSError as exc:
            raise DocumentError(f"{args.out}: cannot write: {exc.strerror or exc}") from None
    except DocumentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"fetched {document.source}: OpenAPI {document.openapi_version}, {document.operation_count} operations,"
        f" {document.schema_count} schemas, sha256 {document.sha256[:12]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
