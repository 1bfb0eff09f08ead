"""make build: two builds of HEAD are byte-identical, the artifacts hold what they must, the sdist builds offline.

The real builds take a few seconds each (uv, hatchling from uv's cache); the checks on broken artifacts use
small synthetic wheels so every refusal is exercised without building.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from tools import build
from tools.build import BuildError, BuildResult


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildResult, BuildResult]:
    # One commit for both: others may commit to this checkout between the two builds.
    commit = subprocess.run(
        ["git", "-C", str(build.REPO), "rev-parse", "--verify", "HEAD^{commit}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    quiet = lambda line: None  # noqa: E731
    first = build.build(tmp_path_factory.mktemp("one"), ref=commit, log=quiet)  # includes the offline rebuild
    second = build.build(tmp_path_factory.mktemp("two"), ref=commit, offline_check=False, log=quiet)
    return first, second


def test_two_builds_are_byte_identical(built: tuple[BuildResult, BuildResult]) -> None:
    first, second = built
    assert first.commit == second.commit and first.source_date_epoch == second.source_date_epoch
    assert (first.wheel.sha256, first.sdist.sha256) == (second.wheel.sha256, second.sdist.sha256)
    assert first.wheel.path.read_bytes() == second.wheel.path.read_bytes()
    dist = first.wheel.path.parent
    assert sorted(p.name for p in dist.iterdir()) == sorted([first.sdist.path.name, first.wheel.path.name])
    sums = build.checksums_path(dist)
    assert sums == dist.parent / f"{dist.name}.sha256"
    assert sums.read_text() == (
        f"{first.wheel.sha256}  {dist.name}/{first.wheel.path.name}\n"
        f"{first.sdist.sha256}  {dist.name}/{first.sdist.path.name}\n"
    )
    check = subprocess.run(["sha256sum", "-c", sums.name], cwd=dist.parent, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_wheel_contents(built: tuple[BuildResult, BuildResult]) -> None:
    wheel = built[0].wheel.path
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        document = json.loads(zf.read("threecx_xapi_client/registry.json"))["document"]
    for required in (
        "threecx_xapi/__init__.py",
        "threecx_xapi/py.typed",
        "threecx_xapi_client/py.typed",
        "threecx_xapi_client/registry.json",
        "threecx_xapi_client/schemas.json",
    ):
        assert required in names
    assert {name.split("/", 1)[0] for name in names} == {
        "threecx_xapi",
        "threecx_xapi_client",
        f"threecx_xapi-{built[0].version}.dist-info",
    }
    assert built[0].version.startswith(document["xapi_version"] + ".")


def test_sdist_is_only_what_the_wheel_needs(built: tuple[BuildResult, BuildResult]) -> None:
    with tarfile.open(built[0].sdist.path) as sdist:
        tops = {name.split("/")[1] for name in sdist.getnames() if name.count("/") >= 1}
    assert tops <= {"src", "generated", "README.md", "pyproject.toml", "PKG-INFO", ".gitignore"}


def test_sdist_builds_the_same_wheel_offline(built: tuple[BuildResult, BuildResult]) -> None:
    # build() unpacked the sdist, ran `uv build --wheel --offline` on it and compared the wheel's sha256 with
    # the one it publishes (BuildError otherwise); the timing entry shows that step ran.
    assert "offline wheel from the unpacked sdist (identical)" in built[0].timings


# --- refusals on synthetic artifacts --------------------------------------------------------------------------


def _wheel(
    tmp_path: Path, version: str, *, drop: str = "", extra: str = "", xapi: str = "20.0.10", script: str = "xapi.cli"
) -> Path:
    path = tmp_path / f"threecx_xapi-{version}-py3-none-any.whl"
    info = f"threecx_xapi-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as zf:
        for name in build.WHEEL_REQUIRED:
            if name == drop:
                continue
            body = json.dumps({"document": {"xapi_version": xapi, "sha256": "ab"}}) if name.endswith("ry.json") else ""
            zf.writestr(name, body)
        if extra:
            zf.writestr(extra, "")
        zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.4\nName: threecx-xapi\nVersion: {version}\n\n")
        zf.writestr("threecx_xapi/cli.py", "")
        zf.writestr(f"{info}/entry_points.txt", f"[console_scripts]\nx = threecx_{script}:main\n")
    return path


def test_check_wheel_accepts_a_complete_wheel(tmp_path: Path) -> None:
    assert build.check_wheel(_wheel(tmp_path, "20.0.10.3rc1"), lock={"sha256": "ab"}) == "20.0.10.3rc1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"drop": "threecx_xapi_client/schemas.json"}, "missing threecx_xapi_client/schemas.json"),
        ({"drop": "threecx_xapi/py.typed"}, "missing threecx_xapi/py.typed"),
        ({"extra": "tools/build.py"}, "unexpected tools/build.py"),
        ({"extra": "threecx_xapi/__pycache__/x.cpython-311.pyc"}, "unexpected threecx_xapi/__pycache__"),
        ({"xapi": "20.0.11"}, "does not target the generated client's XAPI 20.0.11"),
        ({"script": "xapi.nothere"}, "console script 'x' points at threecx_xapi.nothere, which is not in the wheel"),
    ],
)
def test_check_wheel_refusals(tmp_path: Path, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(BuildError, match=message.replace("(", r"\(")):
        build.check_wheel(_wheel(tmp_path, "20.0.10.1", **kwargs))


def test_check_wheel_refuses_another_document_than_the_lock(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"another document than spec/xapi\.lock\.json"):
        build.check_wheel(_wheel(tmp_path, "20.0.10.1"), lock={"sha256": "cd"})


def test_check_sdist_refusals(tmp_path: Path) -> None:
    path = tmp_path / "threecx_xapi-20.0.10.1.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for name, body in (
            ("PKG-INFO", b"Metadata-Version: 2.4\nName: threecx-xapi\nVersion: 20.0.10.1\n"),
            ("tests/test_x.py", b""),
        ):
            info = tarfile.TarInfo(f"threecx_xapi-20.0.10.1/{name}")
            info.size = len(body)
            tf.addfile(info, io.BytesIO(body))
    with pytest.raises(BuildError) as refused:
        build.check_sdist(path, "20.0.10.1")
    assert "missing pyproject.toml" in str(refused.value) and "unexpected tests/test_x.py" in str(refused.value)


def test_dist_is_left_with_distributions_only(tmp_path: Path) -> None:
    """Older artifacts and an earlier build's SHA256SUMS leave dist/; the checksums go beside it."""
    dist, built = tmp_path / "dist", tmp_path / "built"
    dist.mkdir()
    built.mkdir()
    (dist / "threecx_xapi-20.0.9.0-py3-none-any.whl").write_bytes(b"old wheel")
    (dist / "SHA256SUMS").write_text("stale\n")
    (dist / "notes.txt").write_text("mine\n")
    wheel, sdist = built / "threecx_xapi-20.0.10.0-py3-none-any.whl", built / "threecx_xapi-20.0.10.0.tar.gz"
    wheel.write_bytes(b"wheel")
    sdist.write_bytes(b"sdist")
    lines: list[str] = []
    moved = build._replace_artifacts([wheel, sdist], dist, lines.append)
    assert moved == [dist / wheel.name, dist / sdist.name]
    assert sorted(p.name for p in dist.iterdir()) == sorted(["notes.txt", sdist.name, wheel.name])
    assert lines == [
        "removing old threecx_xapi-20.0.9.0-py3-none-any.whl",
        "removing SHA256SUMS from dist/ (checksums now go to dist.sha256)",
        "note: dist/ also holds notes.txt: `twine upload dist/*` would try them too",
    ]
    assert (tmp_path / "dist.sha256").read_text() == (
        f"{build.sha256_of(dist / wheel.name)}  dist/{wheel.name}\n"
        f"{build.sha256_of(dist / sdist.name)}  dist/{sdist.name}\n"
    )
