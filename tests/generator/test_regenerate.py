"""Tests for generator.regenerate: finding the locked document, the flow around generate(), and one real run.

The flow tests replace ``generate`` with a recorder (a real generation takes ~10 s and would touch generated/);
the real run generates 20.0.9 into a temporary folder against a lock that names 20.0.10, so it diffs backwards,
and checks that the repository's own lock is left alone.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from generator import __main__ as cli
from generator import regenerate as regen
from generator.output import PACKAGE
from generator.pipeline import LOCK, GenerateResult

ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = ROOT.parent / "shared" / "spec"
SPEC_9 = SPEC_DIR / "xapi-20.0.9.yaml"
SPEC_10 = SPEC_DIR / "xapi-20.0.10.yaml"
SUMMARY = re.compile(r"operations: \+(\d+) -(\d+) ~(\d+); schemas: \+(\d+) -(\d+) ~(\d+); breaking: (\d+)")


def tiny(version: str, *, with_user: bool = True) -> bytes:
    paths: dict[str, Any] = {"/Ping": {"get": {"operationId": "Ping", "responses": {"204": {"description": "ok"}}}}}
    if with_user:
        paths["/Users"] = {"get": {"operationId": "ListUser", "responses": {"204": {"description": "ok"}}}}
    doc = {
        "openapi": "3.0.4",
        "info": {"title": "XAPI", "version": "1.0.0", "x-3cx-version": version},
        "paths": paths,
        "components": {"schemas": {}},
    }
    return json.dumps(doc).encode()


def lock_for(path: Path | str, raw: bytes, version: str = "1.0.0") -> dict[str, Any]:
    return {"source": str(path), "sha256": hashlib.sha256(raw).hexdigest(), "xapi_version": version}


# --------------------------------------------------------------------------------------------------- find_old


def test_no_lock(tmp_path: Path) -> None:
    old = regen.find_old(None, root=tmp_path, cwd=tmp_path)
    assert old.document is None and old.reason.startswith("no readable lock at ")


@pytest.mark.parametrize(
    ("lock", "reason"),
    [
        ({}, "the lock records no source document"),
        ({"source": "x.yaml"}, "the lock records no sha256 for x.yaml"),
        ({"source": "https://pbx.example.com", "sha256": "ab" * 32}, "came from a PBX"),
        ({"source": "gone/xapi.yaml", "sha256": "ab" * 32}, "the locked document gone/xapi.yaml no longer exists"),
    ],
)
def test_unusable_locks(lock: dict[str, Any], reason: str, tmp_path: Path) -> None:
    old = regen.find_old(lock, root=tmp_path, cwd=tmp_path)
    assert old.document is None and reason in old.reason


def test_changed_file_is_not_diffed(tmp_path: Path) -> None:
    (tmp_path / "xapi.json").write_bytes(tiny("1.0.1"))
    old = regen.find_old(lock_for("xapi.json", tiny("1.0.0")), root=tmp_path, cwd=tmp_path)
    assert old.document is None
    assert "has changed since it was locked" in old.reason
    assert hashlib.sha256(tiny("1.0.1")).hexdigest()[:12] in old.reason


def test_unparseable_locked_file_is_reported(tmp_path: Path) -> None:
    raw = b'{"swagger": "2.0"}'
    (tmp_path / "old.json").write_bytes(raw)
    old = regen.find_old(lock_for("old.json", raw), root=tmp_path, cwd=tmp_path)
    assert old.document is None and "cannot be used" in old.reason and "only OpenAPI 3.0.x" in old.reason


@pytest.mark.parametrize("base", ["root", "cwd", "absolute"])
def test_locked_file_found(base: str, tmp_path: Path) -> None:
    root, cwd = tmp_path / "repo", tmp_path / "elsewhere"
    root.mkdir()
    cwd.mkdir()
    home = {"root": root, "cwd": cwd, "absolute": tmp_path}[base]
    (home / "xapi.json").write_bytes(tiny("1.0.0"))
    source = str(home / "xapi.json") if base == "absolute" else "xapi.json"
    old = regen.find_old(lock_for(source, tiny("1.0.0")), root=root, cwd=cwd)
    assert old.document is not None
    assert old.document.sha256 == hashlib.sha256(tiny("1.0.0")).hexdigest()


def test_lock_line() -> None:
    before = {"sha256": "a" * 64, "xapi_version": "20.0.9"}
    after = {"sha256": "b" * 64, "xapi_version": None}
    assert regen.lock_line(before, after) == f"lock: {'a' * 12} (20.0.9) -> {'b' * 12} (version unknown)"
    assert regen.lock_line(None, after) == f"lock: none -> {'b' * 12} (version unknown)"
    assert regen.lock_line(before, None) == f"lock: {'a' * 12} (20.0.9) (unchanged)"


# --------------------------------------------------------------------------------------------------- the flow


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Path, bool, bool]] = []

    def __call__(self, spec: str, out: Path, *, write_lock: bool, force: bool = False, **_: Any) -> GenerateResult:
        self.calls.append((spec, out, write_lock, force))
        return GenerateResult([], up_to_date=False)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    fake = Recorder()
    monkeypatch.setattr(regen, "generate", fake)
    return fake


def test_regenerate_without_lock_still_generates(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(regen, "read_lock", lambda: None)
    (tmp_path / "new.json").write_bytes(tiny("1.1.0"))
    code = cli.main(["regenerate", "--spec", str(tmp_path / "new.json"), "--out", str(tmp_path / "out")])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "no diff possible: no readable lock at spec/xapi.lock.json"
    assert recorder.calls == [(str(tmp_path / "new.json"), tmp_path / "out", False, True)]
    assert lines[-1] == "lock: none (unchanged)"


def test_regenerate_diffs_against_the_locked_document(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_bytes(tiny("1.0.0"))
    new.write_bytes(tiny("1.1.0", with_user=False))
    locks = [lock_for(old, tiny("1.0.0")), lock_for(new, tiny("1.1.0", with_user=False), "1.1.0")]
    monkeypatch.setattr(regen, "read_lock", lambda: locks.pop(0))
    result = regen.regenerate(str(new), out=regen.DEFAULT_OUT, markdown_dir=tmp_path / "md")
    assert result is not None and result.methods == (0, 1, 0)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("XAPI 1.0.0 -> 1.1.0: 1 breaking change")
    assert "    ! pbx.default.list_user removed (GET /Users)" in lines  # no tag: the default resource
    assert "operations: +0 -1 ~0; schemas: +0 -0 ~0; breaking: 1" in lines
    assert (tmp_path / "md" / "1.0.0-to-1.1.0.md").is_file()
    assert recorder.calls == [(str(new), regen.DEFAULT_OUT, True, True)]  # generated/: the lock is rewritten
    old_sha, new_sha = (hashlib.sha256(raw).hexdigest()[:12] for raw in (tiny("1.0.0"), tiny("1.1.0", with_user=False)))
    assert lines[-1] == f"lock: {old_sha} (1.0.0) -> {new_sha} (1.1.0)"


def test_regenerate_same_document_says_nothing_changed(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "xapi.json"
    spec.write_bytes(tiny("1.0.0"))
    monkeypatch.setattr(regen, "read_lock", lambda: lock_for(spec, tiny("1.0.0")))
    regen.regenerate(str(spec), out=tmp_path / "out", markdown_dir=None)
    out = capsys.readouterr().out
    assert "nothing changed in the API" in out
    assert "operations: +0 -0 ~0; schemas: +0 -0 ~0; breaking: 0" in out
    assert len(recorder.calls) == 1


def test_regenerate_bad_spec_exits_2(recorder: Recorder, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["regenerate", "--spec", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "out")])
    assert code == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'missing.yaml'}: no such file")
    assert recorder.calls == []


# --------------------------------------------------------------------------------------------------- a real run


@pytest.mark.slow
@pytest.mark.skipif(not (SPEC_9.is_file() and SPEC_10.is_file()), reason=f"{SPEC_DIR} not available")
def test_real_regenerate_into_a_temporary_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(regen, "read_lock", lambda: lock_for(SPEC_10, SPEC_10.read_bytes(), "20.0.10"))
    repo_lock = LOCK.read_bytes() if LOCK.exists() else None
    out, md = tmp_path / "out", tmp_path / "md"
    code = cli.main(["regenerate", "--spec", str(SPEC_9), "--out", str(out), "--markdown-dir", str(md)])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("XAPI 20.0.10 -> 20.0.9: ")
    summaries = [m for m in map(SUMMARY.fullmatch, lines) if m]
    assert len(summaries) == 1
    # backwards, added and removed swap places and the changed counts stay: compare with the committed report
    forward = SUMMARY.fullmatch((ROOT / "spec/changes/20.0.9-to-20.0.10.md").read_text().splitlines()[-1])
    assert forward is not None
    a, r, c, sa, sr, sc, _ = forward.groups()
    assert summaries[0].groups()[:6] == (r, a, c, sr, sa, sc)
    assert (md / "20.0.10-to-20.0.9.md").is_file()
    assert "operations: 590/590 generated" in " ".join(lines)
    assert (out / PACKAGE / "registry.json").is_file()
    assert lines[-2] == f"lock not written: {out} is not generated/"
    assert lines[-1].startswith("lock: ") and lines[-1].endswith("(20.0.10) (unchanged)")
    assert (LOCK.read_bytes() if LOCK.exists() else None) == repo_lock
