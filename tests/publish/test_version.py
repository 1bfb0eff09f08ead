"""The version scheme and the run-time version helpers (threecx_xapi._version).

The scheme (package ``X.Y.Z.N`` targets XAPI ``X.Y.Z``) is checked against the files that define it: the
pyproject version, the lock's ``xapi_version`` and the generated registry must agree, or a release would claim
an XAPI version it was not generated from.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from packaging.version import Version

import threecx_xapi
from threecx_xapi import _registry as registry
from threecx_xapi import _version

REPO = Path(__file__).resolve().parents[2]
if sys.version_info >= (3, 11):  # an independent TOML parser where there is one
    import tomllib

    PYPROJECT_VERSION = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["version"]
else:  # pragma: no cover - Python 3.10
    PYPROJECT_VERSION = _version._version_from_pyproject(REPO / "pyproject.toml")
LOCK = json.loads((REPO / "spec" / "xapi.lock.json").read_text("utf-8"))
SCHEME = re.compile(r"(\d+\.\d+\.\d+)\.(\d+)((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?")


@pytest.fixture(autouse=True)
def _fresh_warning_state() -> Iterator[None]:
    _version._reset_warning_state()
    yield
    _version._reset_warning_state()


def test_pyproject_version_targets_the_locked_xapi_version() -> None:
    version = PYPROJECT_VERSION
    assert str(Version(version)) == version, "not in PEP 440 normal form"
    match = SCHEME.fullmatch(version)
    assert match, f"{version} is not XAPI major.minor.patch + our revision (see threecx_xapi/_version.py)"
    assert match.group(1) == LOCK["xapi_version"]


def test_registry_agrees_with_the_lock() -> None:
    assert threecx_xapi.XAPI_VERSION == LOCK["xapi_version"] == registry.document()["xapi_version"]
    assert threecx_xapi.DOCUMENT_SHA256 == LOCK["sha256"] == registry.document()["sha256"]


def test_version_is_the_installed_metadata_or_pyproject() -> None:
    assert threecx_xapi.__version__ == _version.package_version()
    assert _version._version_from_pyproject(REPO / "pyproject.toml") == PYPROJECT_VERSION


def test_version_falls_back_to_pyproject_when_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    _version.package_version.cache_clear()
    try:
        assert _version.package_version() == PYPROJECT_VERSION
    finally:
        _version.package_version.cache_clear()


def test_pyproject_reader_takes_the_project_table_only(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[tool.x]\nversion = "9"\n\n[project]\nname = "a"\nversion = "1.2.3.4"\n\n[tool.y]\nversion = "8"\n'
    )
    assert _version._version_from_pyproject(path) == "1.2.3.4"
    assert _version._version_from_pyproject(tmp_path / "missing.toml") is None


def test_import_reads_neither_metadata_nor_the_registry() -> None:
    code = (
        "import sys, threecx_xapi\n"
        "from threecx_xapi import _registry as registry\n"
        "assert 'importlib.metadata' not in sys.modules, 'importlib.metadata imported'\n"
        "assert registry._load.cache_info().currsize == 0, 'registry.json read on import'\n"
        "assert threecx_xapi.XAPI_VERSION and registry._load.cache_info().currsize == 1\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lazy_names_and_unknown_attributes() -> None:
    namespace: dict[str, object] = {}
    exec("from threecx_xapi import *", namespace)
    assert namespace["XAPI_VERSION"] == LOCK["xapi_version"]
    assert namespace["__version__"] == threecx_xapi.__version__
    with pytest.raises(AttributeError, match="no attribute 'not_there'"):
        _ = threecx_xapi.not_there  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        _ = _version.not_there  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("20.0.10.123", (20, 0, 10)),
        ("20.0.10", (20, 0, 10)),
        (" 20.0.10 ", (20, 0, 10)),
        ("v20.1.2", (20, 1, 2)),
        ("20.0", (20, 0)),
        ("20.0.10-beta", (20, 0, 10)),
        ("20", None),
        ("Build 123", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_xapi_version(value: str | None, parsed: tuple[int, ...] | None) -> None:
    assert _version.parse_xapi_version(value) == parsed


@pytest.mark.parametrize(
    ("header", "warns"),
    [
        ("20.0.10.123", False),  # the PBX's build number is not compared
        ("20.0.10", False),
        ("20.0", False),  # no patch to compare: major.minor agree
        ("20.0.11.4", True),
        ("20.1.10", True),
        ("21.0", True),
        ("20.0.9.999", True),
        (None, False),  # no header: says nothing
        ("garbage", False),
    ],
)
def test_check_server_version(header: str | None, warns: bool) -> None:
    message = threecx_xapi.check_server_version(header, "20.0.10")
    assert (message is not None) == warns
    if message is not None:
        assert header is not None and header in message
        assert "20.0.10" in message and "threecx-xapi~=" in message


def test_check_server_version_defaults_to_the_generated_xapi_version() -> None:
    assert threecx_xapi.check_server_version(f"{threecx_xapi.XAPI_VERSION}.77") is None
    assert threecx_xapi.check_server_version("99.0.0") is not None


def _response(version: str | None) -> httpx.Response:
    return httpx.Response(200, headers={} if version is None else {"X-3CX-Version": version})


def test_warns_once_a_process() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert threecx_xapi.warn_once_on_mismatch(_response(None)) is None
        assert threecx_xapi.warn_once_on_mismatch(_response(f"{threecx_xapi.XAPI_VERSION}.5")) is None
        first = threecx_xapi.warn_once_on_mismatch(_response("99.1.2.3"))
        second = threecx_xapi.warn_once_on_mismatch(_response("98.0.0"))
    assert first is not None and "99.1.2.3" in first
    assert second is None
    assert [w.category for w in caught] == [threecx_xapi.XAPIVersionWarning]
    assert caught[0].filename == __file__, "the warning should point at the caller"


def test_warns_once_across_threads() -> None:
    barrier = threading.Barrier(32)
    results: list[str | None] = []

    def call() -> None:
        barrier.wait()
        results.append(threecx_xapi.warn_once_on_mismatch(_response("99.0.0.1")))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        threads = [threading.Thread(target=call) for _ in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(caught) == 1 and issubclass(caught[0].category, threecx_xapi.XAPIVersionWarning)
    assert sum(result is not None for result in results) == 1
