"""The generator, top to bottom: fetch -> normalise -> render -> format -> lock.

``generate`` builds the package in a temporary folder beside the output and swaps it in only when every
stage succeeded, so a failed run never leaves a half-written ``generated/``. A run whose inputs (document,
generator, templates, tool versions) and output are unchanged since the last run into that folder (the lock
for ``generated/``, a stamp file for any other) is a no-op. Stage progress goes to stderr (``progress``).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from .fetch import FetchedDocument, load
from .format import format_package
from .normalise import normalise
from .output import PACKAGE, GenerationError, Rendered
from .progress import Progress

__all__ = ["ROOT", "STAMP", "GenerateResult", "compare_trees", "fingerprint", "generate", "stamp_path", "tree_digest"]

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
LOCK = ROOT / "spec" / "xapi.lock.json"
LOCK_VERSION = 1
STAMP = ".threecx-xapi-generated.json"


@dataclass(frozen=True)
class GenerateResult:
    lines: list[str]
    up_to_date: bool


def _files(root: Path) -> Iterable[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def tree_digest(root: Path) -> str:
    """A hash over the relative names and bytes of every file below ``root``."""
    digest = hashlib.sha256()
    for path in _files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fingerprint(document_sha256: str) -> str:
    """Everything the output depends on: the document, our code and templates, and the tools' versions."""
    digest = hashlib.sha256(document_sha256.encode())
    for folder in (ROOT / "generator", TEMPLATES):
        digest.update(tree_digest(folder).encode())
    for tool in ("openapi-python-client", "ruff", "pyyaml"):
        digest.update(f"{tool}=={version(tool)}".encode())
    return digest.hexdigest()


def xapi_version(source: str, data: dict[str, Any]) -> str | None:
    """The 3CX version, where known: ``x-3cx-version`` in the document, else the file name (``xapi-20.0.10``)."""
    info = data.get("info") or {}
    declared = info.get("x-3cx-version") if isinstance(info, dict) else None
    if isinstance(declared, str):
        return declared
    match = re.search(r"(\d+\.\d+\.\d+)", Path(source).name)
    return match.group(1) if match else None


def read_lock(path: Path = LOCK) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def stamp_path(out: Path) -> Path:
    """Where a run into another folder than ``generated/`` records what it wrote (beside the package)."""
    return out / STAMP


def generate(
    spec: str,
    out: Path,
    *,
    write_lock: bool,
    force: bool = False,
    log: Callable[[str], None] = print,
    progress: Progress | None = None,
) -> GenerateResult:
    """Generate ``out/threecx_xapi_client`` from the document at ``spec`` (a file or a PBX URL).

    ``generated/`` (``write_lock``) records what it was made from in the lock; any other folder in a small
    stamp file beside the package. Either way a run whose document, generator and output match the record
    says so and does nothing, unless ``force``.
    """
    started = time.perf_counter()
    progress = progress or Progress()
    package_dir = out / PACKAGE
    record_path = LOCK if write_lock else stamp_path(out)
    record = None if force else read_lock(record_path)
    if record is not None and _unchanged(_file_sha256(spec), package_dir, record):
        return _up_to_date(out, record_path, started, log)

    from .render import render  # openapi-python-client (and pydantic) only when there is work to do

    timings: dict[str, float] = {}
    mark = time.perf_counter()
    with progress.stage("load"):
        document = load(spec)
    if record is not None and _unchanged(document.sha256, package_dir, record):  # a PBX URL: known once fetched
        return _up_to_date(out, record_path, started, log)
    print_fp = fingerprint(document.sha256)
    timings["fetch"], mark = time.perf_counter() - mark, time.perf_counter()

    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        log(line)

    say(f"document: {document.source} (OpenAPI {document.openapi_version}, sha256 {document.sha256[:12]})")
    doc = document.data
    schema_count = len(doc.get("components", {}).get("schemas") or {})
    with progress.stage("normalise"):
        reports = normalise(doc)
    for rule, report in reports:
        say(rule.summary(report))
    timings["normalise"], mark = time.perf_counter() - mark, time.perf_counter()

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".generate-", dir=out) as scratch:
        staging = Path(scratch) / PACKAGE
        info = _document_info(document)
        with progress.stage("render"):
            rendered = render(
                doc, package_dir=staging, templates=TEMPLATES, document_info=info, **_render_progress(render, progress)
            )
        if rendered.generated != rendered.operations:
            raise GenerationError(f"operations: {rendered.generated}/{rendered.operations} generated")
        timings["render"], mark = time.perf_counter() - mark, time.perf_counter()
        with progress.stage("format"):
            format_package(staging)
        timings["format"], mark = time.perf_counter() - mark, time.perf_counter()
        with progress.stage("write"):
            if package_dir.exists():
                shutil.rmtree(package_dir)
            staging.rename(package_dir)
            tree = tree_digest(package_dir)
            if write_lock:
                _write_lock(document, info, rendered, schema_count, print_fp, tree)
            else:
                _write_stamp(record_path, document, print_fp, tree)
        timings["write"] = time.perf_counter() - mark

    say(f"models: {rendered.models}")
    say("stages: " + ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in timings.items()))
    say(f"operations: {rendered.generated}/{rendered.operations} generated ({time.perf_counter() - started:.1f} s)")
    return GenerateResult(lines, up_to_date=False)


def _render_progress(render: Callable[..., Rendered], progress: Progress) -> dict[str, Any]:
    """``progress=`` for a renderer that takes a ``RenderProgress`` callback; nothing for one that does not."""
    return {"progress": progress.advance} if "progress" in inspect.signature(render).parameters else {}


def _up_to_date(out: Path, record_path: Path, started: float, log: Callable[[str], None]) -> GenerateResult:
    took = f"{time.perf_counter() - started:.2f} s"
    if record_path == LOCK:
        line = f"up to date: {out}/{PACKAGE} matches {LOCK.relative_to(ROOT)} ({took})"
    else:
        line = f"up to date: {out}/{PACKAGE} already holds what this run would write ({record_path.name}, {took})"
    log(line)
    return GenerateResult([line], up_to_date=True)


def _file_sha256(spec: str) -> str | None:
    """The sha256 of a document file without parsing it; None for a PBX URL or an unreadable file."""
    if spec.startswith(("http://", "https://")):
        return None
    try:
        return hashlib.sha256(Path(spec).read_bytes()).hexdigest()
    except OSError:
        return None


def _unchanged(document_sha256: str | None, package_dir: Path, record: dict[str, Any]) -> bool:
    """True when the document, our code and the output all match the record: nothing to regenerate."""
    if document_sha256 is None or not package_dir.is_dir():
        return False
    return record.get("fingerprint") == fingerprint(document_sha256) and record.get("tree_sha256") == tree_digest(
        package_dir
    )


def _write_stamp(path: Path, document: FetchedDocument, print_fp: str, tree: str) -> None:
    stamp = {"source": document.source, "sha256": document.sha256, "fingerprint": print_fp, "tree_sha256": tree}
    path.write_text(json.dumps(stamp, indent=2) + "\n", "utf-8")


def _document_info(document: FetchedDocument) -> dict[str, Any]:
    return {
        "sha256": document.sha256,
        "openapi": document.openapi_version,
        "xapi_version": xapi_version(document.source, document.data),
    }


def _write_lock(
    document: FetchedDocument, info: dict[str, Any], rendered: Rendered, schemas: int, print_fp: str, tree: str
) -> None:
    lock = {
        "lock_version": LOCK_VERSION,
        "source": document.source,
        "sha256": info["sha256"],
        "openapi": info["openapi"],
        "xapi_version": info["xapi_version"],
        "operations": rendered.operations,
        "generated_operations": rendered.generated,
        "schemas": schemas,
        "models": rendered.models,
        "generator": {tool: version(tool) for tool in ("openapi-python-client", "ruff", "pyyaml")},
        "fingerprint": print_fp,
        "tree_sha256": tree,
    }
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    LOCK.write_text(json.dumps(lock, indent=2) + "\n", "utf-8")


def compare_trees(expected: Path, actual: Path) -> list[str]:
    """Relative paths that differ between two generated packages (added, removed or changed)."""
    left = {p.relative_to(expected).as_posix(): p for p in _files(expected)}
    right = {p.relative_to(actual).as_posix(): p for p in _files(actual)}
    differ = [f"only in {expected}: {name}" for name in sorted(left.keys() - right.keys())]
    differ += [f"only in {actual}: {name}" for name in sorted(right.keys() - left.keys())]
    differ += [
        f"differs: {name}"
        for name in sorted(left.keys() & right.keys())
        if left[name].read_bytes() != right[name].read_bytes()
    ]
    return differ
