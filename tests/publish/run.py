"""make test-publish: the release path end to end, against a real private index on 127.0.0.1.

Build (make build's code), build again and compare bytes, check dist/ holds the two distributions only (the
checksums sit beside it in dist.sha256), upload them with the command every packaging guide gives, literally
``twine upload dist/*``, to a loopback pypiserver; then start pypiserver with htpasswd upload authentication
and no fallback to pypi.org, publish (make publish's code: ``python -m tools.publish``) with refusals first,
publish again and expect the clear "already on" message (both ways: the simple-page check and the index's own
refusal), put the runtime dependencies pinned in uv.lock into the same index, create a fresh virtual
environment, ``pip install threecx-xapi`` with ``--index-url`` the local index and nothing else, and in that
environment import the package, check its versions and make a real call (tests/publish/smoke.py).

Every step prints PASS/FAIL with its time; the last line is ``N passed, M failed``. A failed step stops the run
(the later ones depend on it) and counts the steps not run as failed. Network: only the dependency download
in step "dependencies" (and uv's first fetch of the pinned build backend) reach a package registry; the
install itself sees only the local index.

    python -m tests.publish.run [--keep]     # --keep: leave the temp directory (index, venv, logs) for a look
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = ["main"]

REPO = Path(__file__).resolve().parents[2]
SMOKE = Path(__file__).with_name("smoke.py")
VENV_BIN = Path(sys.executable).parent
DIST_NAME = "threecx-xapi"


class StepFailed(Exception):
    """A step's check did not hold; the message says what was expected and what happened."""


@dataclass
class Run:
    tmp: Path
    port: int = 0
    server: subprocess.Popen[bytes] | None = None
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)  # every pypiserver started, to stop
    username: str = "publisher"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18), repr=False)
    commit: str = ""
    version: str = ""
    xapi_version: str = ""
    with_testing: bool = False
    results: list[tuple[str, bool, float]] = field(default_factory=list)

    @property
    def index(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def dist(self) -> Path:
        return self.tmp / "dist"

    @property
    def packages(self) -> Path:
        return self.tmp / "index-packages"


def _sh(
    cmd: Sequence[str | Path],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in cmd],
        env=None if env is None else dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _show(text: str, lines: int = 12) -> None:
    for line in text.strip().splitlines()[-lines:]:
        print(f"    | {line}", flush=True)


def _expect(proc: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    output = proc.stdout + proc.stderr
    if proc.returncode != code or not all(needle in output for needle in needles):
        raise StepFailed(f"expected exit {code} with {needles!r}, got exit {proc.returncode}:\n{output.strip()}")
    return output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _publish_env(run: Run, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XAPI_INDEX_", "TWINE_"))}
    env.update(extra)
    return env


# --- the steps -----------------------------------------------------------------------------------------------


def step_build(run: Run) -> None:
    # One commit for both builds: others commit to this checkout while the run goes on.
    head = _sh(["git", "-C", REPO, "rev-parse", "--verify", "HEAD^{commit}"])
    run.commit = _expect(head, 0).strip()
    proc = _sh([sys.executable, "-m", "tools.build", "--out-dir", run.dist, "--ref", run.commit], cwd=REPO)
    _show(_expect(proc, 0, "twine check clean"), 6)
    (wheel,) = run.dist.glob("*.whl")
    run.version = wheel.name.split("-")[1]
    with zipfile.ZipFile(wheel) as zf:
        run.xapi_version = json.loads(zf.read("threecx_xapi_client/registry.json"))["document"]["xapi_version"]
        run.with_testing = "threecx_xapi/testing/__init__.py" in zf.namelist()


def step_rebuild_identical(run: Run) -> None:
    again = run.tmp / "dist-again"
    cmd: list[str | Path] = [sys.executable, "-m", "tools.build", "--out-dir", again, "--ref", run.commit]
    cmd.append("--no-offline-check")
    proc = _sh(cmd, cwd=REPO)
    _expect(proc, 0, "twine check clean")
    # the checksums sit beside each dist folder (dist.sha256), named relative to it: compare hashes and names
    first, second = (_checksums(run.tmp / f"{d.name}.sha256") for d in (run.dist, again))
    if first != second:
        raise StepFailed(f"two builds of {run.commit[:12]} differ:\n{first}\n{second}")
    _show("\n".join(f"{digest}  {name}" for name, digest in sorted(first.items())), 2)


def _checksums(path: Path) -> dict[str, str]:
    """``{file name: sha256}`` from a ``sha256sum`` file whose names are ``<dist folder>/<file>``."""
    pairs = (line.split("  ", 1) for line in path.read_text("utf-8").splitlines())
    return {name.rsplit("/", 1)[-1]: digest for digest, name in pairs}


def step_dist_holds_distributions_only(run: Run) -> None:
    names = sorted(p.name for p in run.dist.iterdir())
    if (
        len(names) != 2
        or sorted(name.endswith(".whl") for name in names) != [False, True]
        or not any(name.endswith(".tar.gz") for name in names)
    ):
        raise StepFailed(f"dist/ must hold the sdist and the wheel only, it holds: {names}")
    sums = run.tmp / "dist.sha256"
    check = _sh(["sha256sum", "-c", sums.name], cwd=run.tmp)
    _show(_expect(check, 0, f"dist/{names[0]}: OK", f"dist/{names[1]}: OK"), 2)


def _start_pypiserver(run: Run, packages: Path, log_name: str) -> tuple[subprocess.Popen[bytes], int]:
    """pypiserver on a free 127.0.0.1 port, htpasswd upload authentication, no fallback to pypi.org."""
    from passlib.apache import HtpasswdFile  # type: ignore[import-untyped]

    htpasswd = run.tmp / "htpasswd"
    if not htpasswd.is_file():
        users = HtpasswdFile(str(htpasswd), new=True)
        users.set_password(run.username, run.password)
        users.save()
    packages.mkdir()
    port = _free_port()
    log = (run.tmp / log_name).open("wb")
    cmd = [VENV_BIN / "pypi-server", "run", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--passwords", htpasswd, "--authenticate", "update", "--disable-fallback", packages]
    server = subprocess.Popen([str(part) for part in cmd], stdout=log, stderr=subprocess.STDOUT)
    run.servers.append(server)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise StepFailed(f"pypi-server exited ({server.returncode}): {(run.tmp / log_name).read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server, port
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise StepFailed("pypi-server did not answer /health within 30 s")


def step_twine_upload_dist_glob(run: Run) -> None:
    """What every packaging guide says, literally: ``twine upload dist/*`` from the folder holding dist/."""
    packages = run.tmp / "twine-index-packages"
    _, port = _start_pypiserver(run, packages, "pypiserver-twine.log")
    index = f"http://127.0.0.1:{port}/"
    env = _publish_env(run)
    env.update(TWINE_REPOSITORY_URL=index, TWINE_USERNAME=run.username, TWINE_PASSWORD=run.password)
    twine = f"{shlex.quote(sys.executable)} -m twine upload --non-interactive --disable-progress-bar dist/*"
    proc = _sh(["bash", "-c", twine], env=env, cwd=run.tmp)
    output = _expect(proc, 0)
    if run.password in output:
        raise StepFailed("the password appeared in twine's output")
    uploaded = sorted(p.name for p in packages.iterdir())
    if uploaded != sorted(p.name for p in run.dist.iterdir()):
        raise StepFailed(f"the index holds {uploaded} after `twine upload dist/*`")
    print(f"    | twine upload dist/* -> {index}: {', '.join(uploaded)}")


def step_start_index(run: Run) -> None:
    run.server, run.port = _start_pypiserver(run, run.packages, "pypiserver.log")
    print(f"    | pypiserver on {run.index} (upload needs {run.username}'s password, fallback off)")


def _publish(run: Run, env: Mapping[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return _sh([sys.executable, "-m", "tools.publish", "--dist", run.dist, *flags], env=env, cwd=REPO)


def step_refusals(run: Run) -> None:
    proc = _publish(run, _publish_env(run))
    _expect(proc, 2, "XAPI_INDEX_URL is not set")
    proc = _publish(run, _publish_env(run, XAPI_INDEX_URL=run.index))
    _expect(proc, 2, "no credentials", "XAPI_INDEX_USERNAME", "XAPI_INDEX_TOKEN")
    proc = _publish(run, _publish_env(run, XAPI_INDEX_URL=run.index, XAPI_INDEX_USERNAME=run.username))
    _expect(proc, 2, "XAPI_INDEX_PASSWORD is not set")
    empty = run.tmp / "empty-dist"
    empty.mkdir()
    env = _publish_env(run, XAPI_INDEX_URL=run.index, XAPI_INDEX_USERNAME="u", XAPI_INDEX_PASSWORD="p")
    proc = _sh([sys.executable, "-m", "tools.publish", "--dist", empty], env=env, cwd=REPO)
    _expect(proc, 2, "run `make build` first")
    wrong = "not-" + run.password
    proc = _publish(
        run, _publish_env(run, XAPI_INDEX_URL=run.index, XAPI_INDEX_USERNAME=run.username, XAPI_INDEX_PASSWORD=wrong)
    )
    output = _expect(proc, 1, "refused the credentials (HTTP 403)")
    if wrong in output or run.password in output:
        raise StepFailed("a password appeared in publish's output")
    if any(run.packages.iterdir()):
        raise StepFailed("the index took files from a wrong password")
    print("    | missing URL, missing credentials, half credentials, empty dist/, wrong password: refused")


def _good_env(run: Run) -> dict[str, str]:
    return _publish_env(
        run, XAPI_INDEX_URL=run.index, XAPI_INDEX_USERNAME=run.username, XAPI_INDEX_PASSWORD=run.password
    )


def step_publish(run: Run) -> None:
    proc = _publish(run, _good_env(run))
    output = _expect(proc, 0, f"published {DIST_NAME} {run.version}")
    if run.password in output:
        raise StepFailed("the password appeared in publish's output")
    _show(output, 4)
    page = httpx.get(f"{run.index}simple/{DIST_NAME}/", timeout=10)
    for built in sorted(run.dist.glob("threecx_xapi-*")):
        if built.name not in page.text:
            raise StepFailed(f"{built.name} is not on the simple page:\n{page.text}")
        served = httpx.get(f"{run.index}packages/{built.name}", timeout=30).content
        if hashlib.sha256(served).hexdigest() != hashlib.sha256(built.read_bytes()).hexdigest():
            raise StepFailed(f"the index serves other bytes for {built.name}")
    print("    | both files listed on /simple/threecx-xapi/ and served byte-identical")


def step_publish_again(run: Run) -> None:
    message = f"{DIST_NAME} {run.version} is already on {run.index}; bump the version"
    output = _expect(_publish(run, _good_env(run)), 3, message)
    _show(output, 2)


def step_publish_again_index_refusal(run: Run) -> None:
    message = f"{DIST_NAME} {run.version} is already on {run.index}; bump the version"
    output = _expect(_publish(run, _good_env(run), "--no-precheck"), 3, message, "the index refused the upload")
    _show(output, 2)


def step_dependencies(run: Run) -> None:
    extras = ["--extra", "testing"] if run.with_testing else []
    export = _sh(
        [
            REPO / ".tools" / "bin" / "uv",
            "export",
            "--frozen",
            "--no-dev",
            "--no-emit-project",
            *extras,
            "--format",
            "requirements-txt",
            "--output-file",
            run.tmp / "runtime-requirements.txt",
        ],
        cwd=REPO,
    )
    _expect(export, 0)
    # Wheels only, so the final install needs no build backend from the index; hashes from uv.lock.
    proc = _sh(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--disable-pip-version-check",
            "--no-deps",
            "--require-hashes",
            "--wheel-dir",
            run.packages,
            "-r",
            run.tmp / "runtime-requirements.txt",
        ],
    )
    _expect(proc, 0)
    names = sorted(p.name for p in run.packages.iterdir() if not p.name.startswith("threecx_xapi-"))
    print(
        f"    | {len(names)} wheels pinned by uv.lock{' (with the testing extra)' if run.with_testing else ''}: "
        + ", ".join(names)
    )


def _isolated_pip_env(run: Run) -> dict[str, str]:
    """No pip configuration from the machine: no other index, no find-links, no config file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PYTHON"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return env


def step_install(run: Run) -> None:
    venv = run.tmp / "venv"
    _expect(_sh([sys.executable, "-m", "venv", venv]), 0)
    requirement = f"{DIST_NAME}{'[testing]' if run.with_testing else ''}=={run.version}"
    cmd: list[str | Path] = [venv / "bin" / "python", "-m", "pip", "install", "--no-cache-dir"]
    cmd += ["--index-url", f"{run.index}simple/"]
    proc = _sh([*cmd, requirement], env=_isolated_pip_env(run), cwd=run.tmp)
    output = _expect(proc, 0, "Successfully installed")
    _show(output, 1)
    if "pypi.org" in output or "files.pythonhosted.org" in output:
        raise StepFailed("pip reached pypi.org")


def step_smoke(run: Run) -> None:
    python = run.tmp / "venv" / "bin" / "python"
    proc = _sh([python, "-I", SMOKE, run.version, run.xapi_version], env=_isolated_pip_env(run), cwd=run.tmp)
    _show(_expect(proc, 0, "smoke: ok"), 4)


STEPS: tuple[tuple[str, Callable[[Run], None]], ...] = (
    ("build (python -m tools.build)", step_build),
    ("second build byte-identical", step_rebuild_identical),
    ("dist/ holds the wheel and sdist only; sha256sum -c dist.sha256", step_dist_holds_distributions_only),
    ("twine upload dist/* (literally) to a second loopback index", step_twine_upload_dist_glob),
    ("start pypiserver (htpasswd upload auth, no fallback)", step_start_index),
    ("publish refusals (no URL, no/half credentials, empty dist/, wrong password)", step_refusals),
    ("publish (python -m tools.publish)", step_publish),
    ("publish again: refused by the simple-page check", step_publish_again),
    ("publish again without the check: the index's refusal, same message", step_publish_again_index_refusal),
    ("dependencies from uv.lock into the index", step_dependencies),
    ("fresh venv: pip install --index-url <local index> only", step_install),
    ("smoke in the fresh venv: import, versions, a real call", step_smoke),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.publish.run", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="threecx-xapi-publish-"))
    run = Run(tmp)
    started = time.perf_counter()
    failed_at: int | None = None
    try:
        for number, (name, action) in enumerate(STEPS):
            print(f"[{number + 1}/{len(STEPS)}] {name}", flush=True)
            step_start = time.perf_counter()
            try:
                action(run)
            except Exception as exc:
                seconds = time.perf_counter() - step_start
                run.results.append((name, False, seconds))
                detail = str(exc) if isinstance(exc, StepFailed) else traceback.format_exc()
                print(f"FAIL {name} ({seconds:.1f}s)", flush=True)
                _show(detail.replace(run.password, "***"), 40)
                failed_at = number
                break
            seconds = time.perf_counter() - step_start
            run.results.append((name, True, seconds))
            print(f"PASS {name} ({seconds:.1f}s)", flush=True)
    finally:
        for server in run.servers:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if failed_at is not None:
            log = tmp / "pypiserver.log"
            if log.is_file():
                print("pypiserver log (tail):")
                _show(log.read_text(errors="replace"), 15)
        if args.keep or failed_at is not None:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    not_run = len(STEPS) - len(run.results)
    for name, _ in STEPS[len(run.results) :]:
        print(f"FAIL {name} (not run)")
    passed = sum(ok for _, ok, _ in run.results)
    failed = len(run.results) - passed + not_run
    print(f"threecx-xapi {run.version or '?'}: test-publish in {time.perf_counter() - started:.1f}s")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
