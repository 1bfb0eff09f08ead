"""Reading a snapshot from a PBX: every resource of :func:`resources`, a few at a time, every page of each.

Each resource is read through the client's own methods (``pbx.users.list_user``), so auth, retries, ``$top``
caps and paging are the SDK's: a collection is walked page by page (``$top`` of ``page_size``, ``$count=true``
so a short page with more counted does not end it, ``$orderby`` its key where the key is the entity set's
own) until the last item. Values are kept as the PBX sent them (the JSON of each answer, OData annotations
dropped), secrets blanked unless asked for.

A resource that fails is recorded, not fatal: 403 as denied, anything else the SDK raises as failed, with the
status and message. Two failures end the whole snapshot instead, raised as they are: the credentials refused
(:class:`AuthenticationError`) and the PBX unreachable (:class:`APIConnectionError`, a timeout excepted), since
every other resource would fail the same way. So does a snapshot in which nothing could be read: the first
resource's error is raised.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from .._exceptions import APIConnectionError, APIStatusError, APITimeoutError, AuthenticationError, XAPIError
from ._errors import SnapshotError
from ._files import check_target, write
from ._model import Failure, ResourceData, Snapshot, ordered, usable_key
from ._resources import Resource, resources
from ._secrets import blank_secrets

if TYPE_CHECKING:
    from .._client import XAPI

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_PAGE_SIZE", "Progress", "take"]

DEFAULT_CONCURRENCY = 4
DEFAULT_PAGE_SIZE = 100

Progress = Callable[[int, int, str], None]
"""Called after each resource: ``(done, total, name)``."""


def _positive(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SnapshotError(f"{name} must be a positive int, got {value!r}")
    return value


def _wire(value: Any) -> Any:
    """An answer's object without its OData annotations (``@odata.context`` names the server, not the data)."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if not (isinstance(k, str) and k.startswith("@odata."))}
    return value


def _read(pbx: XAPI, resource: Resource, page_size: int) -> tuple[list[dict[str, Any]] | dict[str, Any], str | None]:
    """The resource's JSON, and the ``X-3CX-Version`` the PBX answered with."""
    methods = getattr(pbx, resource.sdk_resource)
    if not resource.collection:
        raw = getattr(methods.with_raw_response, resource.method)()
        body = raw.http_response.json()
        if not isinstance(body, dict):
            raise XAPIError(f"{resource.path}: expected a JSON object, got {type(body).__name__}")
        return _wire(body), raw.xapi_version
    options: dict[str, Any] = {}
    if "$top" in resource.odata_options:
        options["top"] = page_size
    if "$count" in resource.odata_options:
        options["count"] = True
    if "$orderby" in resource.odata_options and resource.key is not None and resource.key_declared:
        options["orderby"] = resource.key
    items: list[dict[str, Any]] = []
    version: str | None = None
    for page in getattr(methods, resource.method)(**options).iter_pages():
        response = page.http_response
        body = response.json() if response is not None else None
        values = body.get("value") if isinstance(body, dict) else None
        if not isinstance(values, list) or not all(isinstance(item, dict) for item in values):
            raise XAPIError(f"{resource.path}: expected a collection of objects")
        items.extend(_wire(item) for item in values)
        version = version or (response.headers.get("x-3cx-version") if response is not None else None)
    return items, version


def _fatal(error: BaseException) -> bool:
    """Errors that would fail every resource the same way: the credentials, or the PBX out of reach."""
    if isinstance(error, AuthenticationError):
        return True
    return isinstance(error, APIConnectionError) and not isinstance(error, APITimeoutError)


def _failure(resource: Resource, error: XAPIError) -> Failure:
    status = error.status_code if isinstance(error, APIStatusError) else None
    return Failure(resource.name, resource.path, resource.operation_id, status, type(error).__name__, str(error))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def take(
    pbx: XAPI,
    directory: str | os.PathLike[str] | None = None,
    *,
    include_secrets: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    page_size: int = DEFAULT_PAGE_SIZE,
    exclude: Sequence[str] = (),
    progress: Progress | None = None,
) -> Snapshot:
    """Read every resource of the PBX into a :class:`Snapshot`; with ``directory``, write it there too.

    ``directory`` must not exist or be empty (checked before anything is sent). ``concurrency`` resources are
    read at a time over ``pbx``'s connection pool; ``exclude`` leaves resources out by name (``"CallHistoryView"``).
    Secrets are blanked (``"***"``) unless ``include_secrets``.
    """
    from .._client import XAPI

    if not isinstance(pbx, XAPI):
        raise SnapshotError(f"take() reads through a sync XAPI client (its own threads), not {type(pbx).__name__}")
    _positive("concurrency", concurrency)
    _positive("page_size", page_size)
    if isinstance(exclude, str):
        raise SnapshotError("exclude is a list of resource names, not one string")
    chosen = resources(exclude)
    if not chosen:
        raise SnapshotError("every resource is excluded: there is nothing to read")
    if directory is not None:
        check_target(directory)
    taken_at = _now()
    done: dict[str, tuple[list[dict[str, Any]] | dict[str, Any], str | None]] = {}
    errors: dict[str, XAPIError] = {}
    lock = threading.Lock()

    def read(resource: Resource) -> None:
        try:
            result = _read(pbx, resource, page_size)
        except XAPIError as exc:
            if _fatal(exc):
                raise
            with lock:
                errors[resource.name] = exc
        else:
            with lock:
                done[resource.name] = result
        if progress is not None:
            with lock:  # one report at a time, in the order they finish
                progress(len(done) + len(errors), len(chosen), resource.name)

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="snapshot") as pool:
        futures: list[Future[None]] = [pool.submit(read, resource) for resource in chosen]
        wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            error = future.exception() if future.done() and not future.cancelled() else None
            if error is not None:
                for other in futures:
                    other.cancel()
                raise error
    if not done:
        raise errors[chosen[0].name]
    snapshot = _assemble(pbx, chosen, done, errors, include_secrets, taken_at, tuple(exclude))
    if directory is not None:
        write(snapshot, directory)
    return snapshot


def _assemble(
    pbx: XAPI,
    chosen: Sequence[Resource],
    done: dict[str, tuple[list[dict[str, Any]] | dict[str, Any], str | None]],
    errors: dict[str, XAPIError],
    include_secrets: bool,
    taken_at: str,
    excluded: tuple[str, ...],
) -> Snapshot:
    from .. import __version__

    read: dict[str, ResourceData] = {}
    failures: dict[str, Failure] = {}
    versions: list[str] = []
    for resource in chosen:
        if resource.name in errors:
            failures[resource.name] = _failure(resource, errors[resource.name])
            continue
        data, version = done[resource.name]
        if version:
            versions.append(version)
        if not include_secrets:
            data = blank_secrets(data, resource.schema)
        key: str | None = None
        if isinstance(data, list):
            key = usable_key(data, resource.key)
            data = ordered(data, key)
        read[resource.name] = ResourceData.of(resource, data, key)
    return Snapshot(
        pbx=pbx.base_url,
        xapi_version=versions[0] if versions else None,
        sdk_version=__version__,
        taken_at=taken_at,
        secrets_included=include_secrets,
        resources=read,
        failures=failures,
        excluded=excluded,
        source=pbx.base_url,
    )
