"""make build: the wheel and sdist of threecx-xapi in dist/, the same bytes every time for the same commit.

    python -m tools.build                 # HEAD, into dist/
    python -m tools.build --ref v20.0.10.1 --out-dir /tmp/out
    python -m tools.build --worktree      # the working tree as it is, uncommitted changes included

Why it builds a commit and not the working tree: an artifact should be a function of a commit. Several people
edit this checkout at once, and ``generated/`` is rewritten wholesale by a regeneration; building the working
tree would ship whatever happened to be half-written at that moment, and two builds a minute apart would
differ. So the default is ``git archive HEAD`` into a temporary directory, built there; ``--worktree`` is for
trying out uncommitted changes and says so.

What makes the bytes reproducible:

* ``SOURCE_DATE_EPOCH`` (default: the commit's timestamp) fixes every timestamp hatchling writes;
* the build backend is pinned with hashes (``tools/build-constraints.txt``), so the same hatchling and the
  same dependencies write the files, and ``--require-hashes`` refuses anything else;
* the wheel is built from the sdist (uv's default when asked for both), so the sdist is proven to build.

``dist/`` ends up holding the wheel and the sdist only, so ``twine upload dist/*`` works as every packaging
guide says; their checksums are printed and written beside it, to ``dist.sha256`` (``sha256sum -c`` format).

Then, before anything lands in dist/: ``twine check --strict``; the wheel holds the facade, the generated
client, ``registry.json``, ``schemas.json`` and both ``py.typed`` and nothing else; the generated client's
XAPI version is the package version's first three components (the version scheme, see
``threecx_xapi._version``); and the sdist, unpacked, rebuilds the same wheel with ``uv build --offline``
(the build backend then comes from uv's cache, filled by the first build), byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

__all__ = [
    "DIST_NAME",
    "REPO",
    "Artifact",
    "BuildError",
    "BuildResult",
    "build",
    "check_sdist",
    "check_wheel",
    "checksums_path",
    "main",
    "rebuild_wheel_offline",
    "sha256_of",
    "source_date_epoch",
    "uv_build",
]

REPO = Path(__file__).resolve().parents[1]
CONSTRAINTS = Path(__file__).with_name("build-constraints.txt")
DIST_NAME = "threecx-xapi"
FILE_PREFIX = "threecx_xapi-"  # wheel and sdist names start with the normalised distribution name

# What the wheel must hold: both packages' markers, the registry the facade is built on and the schemas.
WHEEL_REQUIRED = (
    "threecx_xapi/__init__.py",
    "threecx_xapi/_version.py",
    "threecx_xapi/py.typed",
    "threecx_xapi_client/__init__.py",
    "threecx_xapi_client/py.typed",
    "threecx_xapi_client/registry.json",
    "threecx_xapi/_registry.py",
    "threecx_xapi_client/schemas.json",
)
WHEEL_TOP_LEVEL = ("threecx_xapi/", "threecx_xapi_client/")
SDIST_REQUIRED = (
    "PKG-INFO",
    "pyproject.toml",
    "README.md",
    "src/threecx_xapi/__init__.py",
    "src/threecx_xapi/py.typed",
    "generated/threecx_xapi_client/py.typed",
    "generated/threecx_xapi_client/registry.json",
    "generated/threecx_xapi_client/schemas.json",
)
# hatchling always adds the root .gitignore (it decides what a later sdist build of the sdist leaves out).
SDIST_ALLOWED = (
    ".gitignore",
    "PKG-INFO",
    "pyproject.toml",
    "README.md",
    "src/threecx_xapi/",
    "generated/threecx_xapi_client/",
)
# Paths whose uncommitted changes a HEAD build leaves out (worth a note when building HEAD).
PACKAGED_PATHS = ("pyproject.toml", "README.md", "src/threecx_xapi", "generated/threecx_xapi_client")

Log = Callable[[str], None]


def _print(message: str) -> None:
    print(message, flush=True)


class BuildError(Exception):
    """The build failed or an artifact is wrong; the message says which and why."""


@dataclass(frozen=True)
class Artifact:
    path: Path
    size: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> Artifact:
        return cls(path, path.stat().st_size, sha256_of(path))


@dataclass(frozen=True)
class BuildResult:
    wheel: Artifact
    sdist: Artifact
    version: str
    commit: str | None  # None for a --worktree build
    source_date_epoch: int
    timings: dict[str, float]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run(cmd: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a tool; its combined output, or BuildError carrying that output when it fails."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise BuildError(f"{' '.join(cmd[:3])} ... failed (exit {proc.returncode}):\n{proc.stdout.rstrip()}")
    return proc.stdout


def _git(*args: str) -> str:
    return _run(["git", "-C", str(REPO), *args]).rstrip("\n")


def uv_executable() -> str:
    """The repository's pinned uv (``make setup`` installs it in .tools/), else one on PATH."""
    pinned = REPO / ".tools" / "bin" / "uv"
    if pinned.is_file():
        return str(pinned)
    found = shutil.which("uv")
    if found is None:
        raise BuildError("uv not found: run `make setup` (it installs the pinned uv in .tools/bin)")
    return found


def source_date_epoch(ref: str = "HEAD") -> int:
    """``SOURCE_DATE_EPOCH`` from the environment, else the timestamp of commit ``ref``."""
    given = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if given:
        if not given.isdigit():
            raise BuildError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {given!r}")
        return int(given)
    return int(_git("log", "-1", "--format=%ct", ref))


def _extract_tar(data: bytes | Path, dest: Path) -> None:
    """Unpack a tar (bytes or a .tar.gz file), refusing absolute paths, ``..`` and links out of ``dest``."""
    with tarfile.open(fileobj=io.BytesIO(data)) if isinstance(data, bytes) else tarfile.open(data) as archive:
        archive.extractall(dest, filter="data")


def export_commit(ref: str, dest: Path) -> str:
    """Write the tree of commit ``ref`` into ``dest`` (no .git, no untracked or ignored files); its full sha."""
    commit = _git("rev-parse", "--verify", f"{ref}^{{commit}}")
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit], stdout=subprocess.PIPE, check=True
    ).stdout
    _extract_tar(archive, dest)
    return commit


def dirty_packaged_paths() -> list[str]:
    """Packaged files with uncommitted changes (modified, added, deleted or untracked), as git reports them."""
    out = _git("status", "--porcelain", "--untracked-files=all", "--", *PACKAGED_PATHS)
    return [line[3:] for line in out.splitlines() if len(line) > 3]


def uv_build(source: Path, out_dir: Path, *, epoch: int, wheel_only: bool = False, offline: bool = False) -> None:
    """``uv build`` with the pinned, hash-checked backend. Both artifacts unless ``wheel_only``: then the
    wheel is built from the sdist, which is how uv proves an sdist builds."""
    cmd = [uv_executable(), "build", str(source), "--out-dir", str(out_dir)]
    cmd += ["--build-constraints", str(CONSTRAINTS), "--require-hashes", "--python", sys.executable]
    if wheel_only:
        cmd.append("--wheel")
    if offline:
        cmd.append("--offline")
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch), "UV_NO_PROGRESS": "1"}
    _run(cmd, env=env)


def _one(out_dir: Path, pattern: str) -> Path:
    found = sorted(out_dir.glob(pattern))
    if len(found) != 1:
        raise BuildError(f"expected one {pattern} in {out_dir}, found {[p.name for p in found]}")
    return found[0]


def _metadata(text: str) -> dict[str, str]:
    return dict(HeaderParser().parsestr(text).items())


def check_wheel(path: Path, *, lock: dict[str, object] | None = None) -> str:
    """Raise BuildError unless the wheel holds exactly our two packages with their data, and every console
    script's module; its version. With ``lock`` (spec/xapi.lock.json), the registry must describe the locked
    document."""
    problems: list[str] = []
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        dist_infos = {name.split("/", 1)[0] for name in names if ".dist-info/" in name}
        if len(dist_infos) != 1:
            raise BuildError(f"{path.name}: expected one .dist-info directory, found {sorted(dist_infos)}")
        dist_info = dist_infos.pop()
        meta = _metadata(wheel.read(f"{dist_info}/METADATA").decode("utf-8"))
        version = meta.get("Version", "")
        problems += [f"missing {name}" for name in WHEEL_REQUIRED if name not in names]
        allowed = (*WHEEL_TOP_LEVEL, f"{dist_info}/")
        problems += [
            f"unexpected {name}"
            for name in names
            if not name.startswith(allowed) or "__pycache__/" in name or name.endswith(".pyc")
        ]
        if meta.get("Name") != DIST_NAME:
            problems.append(f"METADATA Name is {meta.get('Name')!r}, not {DIST_NAME!r}")
        if not path.name.startswith(f"{FILE_PREFIX}{version}-"):
            problems.append(f"file name does not carry the METADATA version {version!r}")
        if "threecx_xapi_client/registry.json" in names:
            document = json.loads(wheel.read("threecx_xapi_client/registry.json"))["document"]
            xapi = str(document.get("xapi_version", ""))
            if not re.fullmatch(rf"{re.escape(xapi)}\.\d+((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?", version):
                problems.append(
                    f"version {version} does not target the generated client's XAPI {xapi}: the scheme is "
                    f"{xapi}.N (see threecx_xapi/_version.py)"
                )
            if lock is not None and document.get("sha256") != lock.get("sha256"):
                problems.append("registry.json describes another document than spec/xapi.lock.json")
        # A console script whose module is not in the wheel installs a command that fails with ImportError.
        entry_points = f"{dist_info}/entry_points.txt"
        if entry_points in names:
            for line in wheel.read(entry_points).decode("utf-8").splitlines():
                if "=" not in line or line.lstrip().startswith(("[", "#")):
                    continue
                script, target = (part.strip() for part in line.split("=", 1))
                module = target.split(":", 1)[0].strip()
                module_path = module.replace(".", "/")
                if f"{module_path}.py" not in names and f"{module_path}/__init__.py" not in names:
                    problems.append(f"console script {script!r} points at {module}, which is not in the wheel")
    if problems:
        raise BuildError(f"{path.name}: " + "; ".join(problems[:20]))
    return version


def check_sdist(path: Path, version: str) -> None:
    """Raise BuildError unless the sdist holds what building the wheel needs, and only that."""
    root = f"{FILE_PREFIX}{version}/"
    with tarfile.open(path) as sdist:
        members = [m.name for m in sdist.getmembers() if m.isfile()]
        pkg_info = sdist.extractfile(f"{root}PKG-INFO") if f"{root}PKG-INFO" in members else None
        meta = _metadata(pkg_info.read().decode("utf-8")) if pkg_info else {}
    inside = [name[len(root) :] for name in members if name.startswith(root)]
    problems = [f"missing {name}" for name in SDIST_REQUIRED if name not in inside]
    problems += [f"outside {root}: {name}" for name in members if not name.startswith(root)]
    problems += [f"unexpected {name}" for name in inside if not name.startswith(SDIST_ALLOWED) or "__pycache__" in name]
    if meta.get("Version") != version:
        problems.append(f"PKG-INFO version {meta.get('Version')!r} is not the wheel's {version!r}")
    if problems:
        raise BuildError(f"{path.name}: " + "; ".join(problems[:20]))


def twine_check(paths: Sequence[Path]) -> None:
    """``twine check --strict``: the metadata and README render as an index will show them."""
    out = _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, paths)])
    if "PASSED" not in out or "WARNING" in out or "FAILED" in out:
        raise BuildError(f"twine check is not clean:\n{out.rstrip()}")


def rebuild_wheel_offline(sdist: Path, work: Path, *, epoch: int) -> Artifact:
    """Unpack the sdist and build its wheel with the network off: what a packager or a pip install from the
    sdist does. The backend comes from uv's cache, filled by the online build that made the sdist."""
    _extract_tar(sdist, work)
    (tree,) = [path for path in work.iterdir() if path.is_dir()]
    out = work / "out"
    uv_build(tree, out, epoch=epoch, wheel_only=True, offline=True)
    return Artifact.of(_one(out, "*.whl"))


def _load_lock(source: Path) -> dict[str, object] | None:
    lock_path = source / "spec" / "xapi.lock.json"
    if not lock_path.is_file():
        return None
    lock: dict[str, object] = json.loads(lock_path.read_text("utf-8"))
    return lock


def checksums_path(out_dir: Path) -> Path:
    """``SHA256SUMS`` lives beside ``out_dir`` as ``<out_dir>.sha256`` (``dist.sha256``), never inside it:
    ``twine upload dist/*`` uploads every file there and refuses one that is not a distribution."""
    return out_dir.parent / f"{out_dir.name}.sha256"


def _replace_artifacts(built: Sequence[Path], out_dir: Path, log: Log) -> list[Path]:
    """Move the new artifacts into ``out_dir``, first removing older ``threecx_xapi-*`` ones (and the
    ``SHA256SUMS`` earlier builds left there): ``dist/`` holds the distributions of one version and nothing else,
    so ``twine upload dist/*`` and ``make publish`` upload exactly them. The checksums go beside it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in sorted(out_dir.glob(f"{FILE_PREFIX}*")):
        if old.suffix == ".whl" or old.name.endswith(".tar.gz"):
            log(f"removing old {old.name}")
            old.unlink()
    stale_sums = out_dir / "SHA256SUMS"
    if stale_sums.is_file():
        log(f"removing {stale_sums.name} from {out_dir.name}/ (checksums now go to {checksums_path(out_dir).name})")
        stale_sums.unlink()
    moved = []
    for path in built:
        target = out_dir / path.name
        shutil.move(str(path), target)
        moved.append(target)
    others = sorted(p.name for p in out_dir.iterdir() if p not in moved)
    if others:
        log(f"note: {out_dir.name}/ also holds {', '.join(others)}: `twine upload {out_dir.name}/*` would try them too")
    sums = "".join(f"{sha256_of(p)}  {out_dir.name}/{p.name}\n" for p in moved)
    checksums_path(out_dir).write_text(sums, "utf-8")
    return moved


def build(
    out_dir: Path = REPO / "dist",
    *,
    ref: str = "HEAD",
    worktree: bool = False,
    offline_check: bool = True,
    log: Log = _print,
) -> BuildResult:
    """Build, check and move the wheel and sdist into ``out_dir``. Raises BuildError with the reason."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    epoch = source_date_epoch(ref)
    with tempfile.TemporaryDirectory(prefix="threecx-xapi-build-") as tmp_name:
        tmp = Path(tmp_name)
        commit: str | None
        if worktree:
            source, commit = REPO, None
            log(f"building the working tree {REPO} (uncommitted changes included), SOURCE_DATE_EPOCH={epoch}")
        else:
            source = tmp / "src"
            commit = export_commit(ref, source)
            named = commit if ref == commit else f"{ref} = {commit[:12]}"
            log(f"building {named}, SOURCE_DATE_EPOCH={epoch}")
            dirty = dirty_packaged_paths()
            if dirty:
                shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
                log(f"note: not in this build (uncommitted): {shown}; commit them or use --worktree")
        timings["export"] = time.perf_counter() - start

        step = time.perf_counter()
        built_dir = tmp / "dist"
        uv_build(source, built_dir, epoch=epoch)
        wheel, sdist = _one(built_dir, "*.whl"), _one(built_dir, "*.tar.gz")
        timings["uv build (sdist, wheel from sdist)"] = time.perf_counter() - step

        step = time.perf_counter()
        version = check_wheel(wheel, lock=_load_lock(source))
        check_sdist(sdist, version)
        twine_check([wheel, sdist])
        timings["contents + twine check"] = time.perf_counter() - step

        if offline_check:
            step = time.perf_counter()
            again = rebuild_wheel_offline(sdist, tmp / "offline", epoch=epoch)
            if again.sha256 != sha256_of(wheel):
                raise BuildError(
                    f"the sdist rebuilt offline gives another wheel ({again.sha256[:12]}) than the build "
                    f"({sha256_of(wheel)[:12]}): the build is not reproducible"
                )
            timings["offline wheel from the unpacked sdist (identical)"] = time.perf_counter() - step

        moved = _replace_artifacts([wheel, sdist], out_dir, log)
    timings["total"] = time.perf_counter() - start
    new_wheel, new_sdist = (Artifact.of(path) for path in moved)
    return BuildResult(new_wheel, new_sdist, version, commit, epoch, timings)


def _human(size: int) -> str:
    return f"{size / 1_000_000:.2f} MB" if size >= 100_000 else f"{size / 1000:.1f} kB"


def report(result: BuildResult, log: Log = _print) -> None:
    """The artifacts with sizes and sha256, and where the time went."""
    for artifact in (result.wheel, result.sdist):
        log(f"  {artifact.path.name:<44} {_human(artifact.size):>9}  sha256 {artifact.sha256}")
    log("  " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in result.timings.items()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.build", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out-dir", type=Path, default=REPO / "dist", help="where the artifacts go (dist/)")
    parser.add_argument("--ref", default="HEAD", help="the commit to build (HEAD)")
    parser.add_argument("--worktree", action="store_true", help="build the working tree, uncommitted changes too")
    parser.add_argument(
        "--no-offline-check", action="store_true", help="skip rebuilding the wheel from the sdist offline"
    )
    args = parser.parse_args(argv)
    try:
        result = build(args.out_dir, ref=args.ref, worktree=args.worktree, offline_check=not args.no_offline_check)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"built threecx-xapi {result.version} into {args.out_dir} (twine check clean, contents checked)")
    report(result)
    sums = checksums_path(args.out_dir)
    print(
        f"checksums in {sums} (`sha256sum -c {sums.name}` in {sums.parent}); "
        f"upload with `twine upload {args.out_dir}/*`"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
