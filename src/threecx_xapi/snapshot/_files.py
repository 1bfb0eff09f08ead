"""A snapshot on disk: a folder with ``manifest.json`` and one JSON file per resource read.

Writing goes to a hidden folder beside the target, renamed into place once every file is written, so a folder
that exists is a whole snapshot (an interrupted run leaves no half of one). The target must not exist or be
empty; missing parent folders are made. A snapshot with secrets is written owner-only (folder 0700, files 0600).

Loading checks what it reads and names the file when something is wrong: no manifest, another format, a
resource file missing or of the wrong shape.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from .._exceptions import XAPIError
from ._errors import SnapshotError
from ._model import FORMAT, Failure, ResourceData, Snapshot, canonical_json

__all__ = ["MANIFEST", "check_target", "load", "write"]

MANIFEST = "manifest.json"


def check_target(directory: str | os.PathLike[str]) -> Path:
    """The folder a snapshot will be written to: it must not exist yet, or be empty. Checked before reading."""
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise SnapshotError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()):
        raise SnapshotError(f"{target} is not empty: a snapshot goes to a new or empty folder")
    parent = next((p for p in target.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise SnapshotError(f"{parent} exists and is not a folder")
    return target


def write(snapshot: Snapshot, directory: str | os.PathLike[str]) -> Path:
    """Write ``snapshot`` to ``directory`` (new or empty); the folder's path."""
    target = check_target(directory)
    partial = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.partial"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.mkdir(0o700 if snapshot.secrets_included else 0o777)  # the umask applies, as to any folder made
    except OSError as exc:
        raise XAPIError(f"cannot write the snapshot to {target}: {exc.strerror or exc}") from None
    try:
        for data in snapshot.resources.values():
            _write_file(partial / data.file_name, data.data, snapshot.secrets_included)
        _write_file(partial / MANIFEST, snapshot.manifest(), snapshot.secrets_included)
        if target.is_dir():
            target.rmdir()  # empty, checked above
        partial.rename(target)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise XAPIError(f"cannot write the snapshot to {target}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return target


def _write_file(path: Path, value: Any, private: bool) -> None:
    text = canonical_json(value)
    if private:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8", newline="\n")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{path} is not JSON: {exc}") from None


def _field(entry: Any, name: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(entry, dict) or not isinstance(entry.get(name), kind):
        raise SnapshotError(f"{where}: {name!r} is missing or of the wrong type")
    return entry[name]


def load(directory: str | os.PathLike[str]) -> Snapshot:
    """The snapshot in ``directory`` (as :func:`write` left it)."""
    folder = Path(directory)
    if not folder.is_dir():
        raise SnapshotError(f"{folder} is not a snapshot folder (no such folder)")
    if not (folder / MANIFEST).is_file():
        raise SnapshotError(f"{folder} is not a snapshot folder (no {MANIFEST})")
    manifest = _read_json(folder / MANIFEST)
    where = str(folder / MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise SnapshotError(f"{where}: format {found!r} is not {FORMAT!r}")
    resources: dict[str, ResourceData] = {}
    for name, entry in sorted(_field(manifest, "resources", dict, where).items()):
        resources[name] = _resource(folder, name, entry, where)
    failures: dict[str, Failure] = {}
    for group in ("denied", "failed"):
        for name, entry in sorted(_field(manifest, group, dict, where).items()):
            status = entry.get("status") if isinstance(entry, dict) else None
            failures[name] = Failure(
                name,
                str(_field(entry, "path", str, f"{where}: {name}")),
                str(entry.get("operation") or ""),
                status if isinstance(status, int) else None,
                str(entry.get("error") or ""),
                str(entry.get("message") or ""),
            )
    secrets = _field(manifest, "secrets", str, where)
    if secrets not in ("included", "blanked"):
        raise SnapshotError(f"{where}: 'secrets' is {secrets!r}, not 'included' or 'blanked'")
    version = manifest.get("xapi_version")
    return Snapshot(
        pbx=str(_field(manifest, "pbx", str, where)),
        xapi_version=version if isinstance(version, str) else None,
        sdk_version=str(manifest.get("sdk_version") or ""),
        taken_at=str(_field(manifest, "taken_at", str, where)),
        secrets_included=secrets == "included",
        resources=resources,
        failures=failures,
        excluded=tuple(str(name) for name in manifest.get("excluded") or ()),
        source=str(folder),
    )


def _resource(folder: Path, name: str, entry: Any, where: str) -> ResourceData:
    here = f"{where}: resource {name!r}"
    file_name = _field(entry, "file", str, here)
    if Path(file_name).name != file_name or file_name in ("", ".", "..", MANIFEST):
        raise SnapshotError(f"{here}: file {file_name!r} is not a file name in the snapshot folder")
    kind = _field(entry, "kind", str, here)
    if kind not in ("collection", "singleton"):
        raise SnapshotError(f"{here}: kind {kind!r} is not 'collection' or 'singleton'")
    data = _read_json(folder / file_name)
    collection = kind == "collection"
    if collection and not (isinstance(data, list) and all(isinstance(item, dict) for item in data)):
        raise SnapshotError(f"{folder / file_name}: expected a JSON array of objects (a collection)")
    if not collection and not isinstance(data, dict):
        raise SnapshotError(f"{folder / file_name}: expected a JSON object (a singleton)")
    key = entry.get("key")
    schema = entry.get("schema")
    return ResourceData(
        name=name,
        path=str(_field(entry, "path", str, here)),
        operation_id=str(entry.get("operation") or ""),
        collection=collection,
        schema=schema if isinstance(schema, str) else None,
        key=key if isinstance(key, str) and collection else None,
        data=data,
    )
