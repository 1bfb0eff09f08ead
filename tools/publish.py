"""make publish: upload dist/ (from make build) to the private package index, credentials from the environment.

    XAPI_INDEX_URL=https://pypi.example.com/ XAPI_INDEX_USERNAME=ci XAPI_INDEX_PASSWORD=... make publish
    XAPI_INDEX_URL=https://pypi.example.com/ XAPI_INDEX_TOKEN=... make publish

``XAPI_INDEX_URL`` is the upload URL (pypiserver: its root; devpi, Nexus, Artifactory: the repository's upload
URL). ``XAPI_INDEX_SIMPLE_URL`` is the index pip installs from, when it is not ``<XAPI_INDEX_URL>/simple/``.
A token is sent as user ``__token__``, the convention of PyPI-compatible indexes.

Why it looks the way it does:

* credentials reach twine only through ``TWINE_USERNAME`` / ``TWINE_PASSWORD`` in the child's environment:
  never argv (visible in ``ps`` and CI logs), never a file, never printed; twine's output is scrubbed of them
  before it is shown, and a URL with ``user:password@`` in it is refused for the same reason;
* plain ``http://`` is refused for anything but loopback (credentials in clear over a network) unless
  ``XAPI_INDEX_ALLOW_HTTP=1``;
* an index never takes the same file twice, and a half-understood "400 Bad Request" from twine helps nobody:
  so the index's simple page is asked first whether this version is there, and twine's answer is interpreted
  too (409, "already exists") for indexes whose simple page is elsewhere or private. Both end in the same
  message: ``threecx-xapi X is already on <index>; bump the version``.

Exit status: 0 uploaded, 2 refused before uploading (configuration, dist/), 3 the version is already there,
1 the upload failed.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

__all__ = [
    "ENV_ALLOW_HTTP",
    "ENV_PASSWORD",
    "ENV_SIMPLE_URL",
    "ENV_TOKEN",
    "ENV_URL",
    "ENV_USERNAME",
    "AlreadyPublished",
    "IndexConfig",
    "PublishError",
    "PublishRefused",
    "UploadFailed",
    "config_from_env",
    "dist_artifacts",
    "interpret_twine_failure",
    "main",
    "publish",
    "published_files",
    "scrub",
]

REPO = Path(__file__).resolve().parents[1]
DIST_NAME = "threecx-xapi"
FILE_PREFIX = "threecx_xapi-"

ENV_URL = "XAPI_INDEX_URL"
ENV_SIMPLE_URL = "XAPI_INDEX_SIMPLE_URL"
ENV_USERNAME = "XAPI_INDEX_USERNAME"
ENV_PASSWORD = "XAPI_INDEX_PASSWORD"
ENV_TOKEN = "XAPI_INDEX_TOKEN"
ENV_ALLOW_HTTP = "XAPI_INDEX_ALLOW_HTTP"
TOKEN_USERNAME = "__token__"

Log = Callable[[str], None]


def _print(message: str) -> None:
    print(message, flush=True)


class PublishError(Exception):
    """Publishing stopped; ``exit_code`` says how (see the module docstring)."""

    exit_code = 1


class PublishRefused(PublishError):
    """Refused before anything was sent: configuration or dist/ is wrong."""

    exit_code = 2


class AlreadyPublished(PublishError):
    """The index already has this version: indexes never replace a file, so a new version is needed."""

    exit_code = 3

    def __init__(self, version: str, index: str, detail: str = "") -> None:
        self.version = version
        self.index = index
        super().__init__(
            f"{DIST_NAME} {version} is already on {index}; bump the version (the fourth component for a fix of "
            f"ours, see src/threecx_xapi/_version.py), commit, and run make build{detail}"
        )


class UploadFailed(PublishError):
    """twine tried and the index said no, for a reason other than the version being there."""


@dataclass(frozen=True)
class IndexConfig:
    """Where to upload and as whom. The credentials never appear in ``repr`` (tracebacks, logs)."""

    upload_url: str
    simple_url: str
    username: str = field(repr=False)
    password: str = field(repr=False)
    credential_source: str  # which variables they came from, for messages

    def secrets(self) -> tuple[str, ...]:
        """What to scrub from anything shown: the password/token, and the user name unless it is a convention."""
        values = [self.password]
        if self.username != TOKEN_USERNAME:
            values.append(self.username)
        return tuple(value for value in values if value)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(name: str, url: str, env: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublishRefused(f"{name}={url!r} is not an http(s) URL, e.g. https://pypi.example.com/")
    if parts.username is not None or parts.password is not None:
        raise PublishRefused(
            f"{name} has credentials in it; put them in {ENV_USERNAME}/{ENV_PASSWORD} or {ENV_TOKEN} instead "
            "(a URL ends up in logs and process lists)"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname) and env.get(ENV_ALLOW_HTTP) != "1":
        raise PublishRefused(
            f"{name} is plain http to {parts.hostname}: the credentials would cross the network in clear. "
            f"Use https, or set {ENV_ALLOW_HTTP}=1 if this network is trusted"
        )
    return url if url.endswith("/") else url + "/"


def config_from_env(env: Mapping[str, str]) -> IndexConfig:
    """The index and credentials from ``XAPI_INDEX_*``; PublishRefused saying what is missing or wrong."""
    url = env.get(ENV_URL, "").strip()
    if not url:
        raise PublishRefused(
            f"{ENV_URL} is not set: the upload URL of the private index, e.g. {ENV_URL}=https://pypi.example.com/"
        )
    upload_url = _check_url(ENV_URL, url, env)
    simple = env.get(ENV_SIMPLE_URL, "").strip()
    simple_url = _check_url(ENV_SIMPLE_URL, simple, env) if simple else urljoin(upload_url, "simple/")

    token = env.get(ENV_TOKEN, "")
    username = env.get(ENV_USERNAME, "")
    password = env.get(ENV_PASSWORD, "")
    if token and (username or password):
        raise PublishRefused(f"set either {ENV_TOKEN} or {ENV_USERNAME}/{ENV_PASSWORD}, not both")
    if token:
        return IndexConfig(upload_url, simple_url, TOKEN_USERNAME, token, ENV_TOKEN)
    if username and password:
        return IndexConfig(upload_url, simple_url, username, password, f"{ENV_USERNAME}/{ENV_PASSWORD}")
    if username or password:
        missing = ENV_PASSWORD if username else ENV_USERNAME
        raise PublishRefused(f"{missing} is not set ({ENV_USERNAME} and {ENV_PASSWORD} go together)")
    raise PublishRefused(
        f"no credentials for {upload_url}: set {ENV_USERNAME} and {ENV_PASSWORD}, or {ENV_TOKEN}, in the environment"
    )


_ARTIFACT = re.compile(rf"^{re.escape(FILE_PREFIX)}(?P<version>[^-]+?)(?:-[^-]+-[^-]+-[^-]+\.whl|\.tar\.gz)$")


def dist_artifacts(dist: Path) -> tuple[str, list[Path]]:
    """The wheel and sdist of one version in ``dist``; PublishRefused when there are none or several versions."""
    found = sorted(p for p in dist.glob(f"{FILE_PREFIX}*") if _ARTIFACT.match(p.name)) if dist.is_dir() else []
    if not found:
        raise PublishRefused(f"{dist} has no {DIST_NAME} wheel or sdist: run `make build` first")
    versions = {m.group("version") for p in found if (m := _ARTIFACT.match(p.name))}
    if len(versions) != 1:
        raise PublishRefused(
            f"{dist} holds several versions ({', '.join(sorted(versions))}): run `make build`, which replaces them"
        )
    return versions.pop(), found


# --- is the version already there? -----------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.files: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            self.files.add(unquote(urlsplit(href).path.rsplit("/", 1)[-1]))


def published_files(config: IndexConfig, *, timeout: float = 15.0) -> set[str] | None:
    """The file names the index lists for threecx-xapi (PEP 503 simple page); None when it cannot tell.

    Redirects are followed only within the index's own origin: pypiserver and others redirect a project they
    do not have to pypi.org, whose answer says nothing about our index. Credentials are sent only when the page
    asks for them (401/403), and never to another origin.
    """
    import httpx

    origin = urlsplit(config.simple_url)[:2]
    url = urljoin(config.simple_url, f"{DIST_NAME}/")
    auth: httpx.BasicAuth | None = None
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            for _ in range(6):
                response = client.get(url, auth=auth, headers={"Accept": "text/html"})
                if response.status_code in (401, 403) and auth is None:
                    auth = httpx.BasicAuth(config.username, config.password)
                    continue
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    if urlsplit(url)[:2] != origin:
                        return set()  # sent elsewhere: the index itself does not have the project
                    continue
                if response.status_code == 404:
                    return set()
                if response.status_code != 200:
                    return None
                links = _Links()
                links.feed(response.text)
                return links.files
    except httpx.HTTPError:
        return None
    return None


# --- twine ---------------------------------------------------------------------------------------------------


def scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` without credentials: twine's ``username:``/``password:`` lines dropped, values masked."""
    lines = [line for line in text.splitlines() if not re.match(r"^\s*(INFO\s+)?(username|password)\b", line)]
    cleaned = "\n".join(lines)
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            cleaned = cleaned.replace(secret, "***")
        elif secret:
            cleaned = re.sub(rf"(?<![\w.-]){re.escape(secret)}(?![\w.-])", "***", cleaned)
    return cleaned


_ALREADY = re.compile(r"\b409\b|already exists?|does not allow updating|cannot be updated", re.IGNORECASE)


def interpret_twine_failure(output: str, *, version: str, index: str) -> PublishError:
    """What a failed ``twine upload`` means, from its (scrubbed, verbose) output."""
    flat = " ".join(output.split())  # rich wraps long lines; match across the wraps
    if _ALREADY.search(flat):
        return AlreadyPublished(version, index, " (the index refused the upload: that file exists)")
    status = re.search(r"HTTPError: (\d{3})", flat)
    code = status.group(1) if status else None
    if code in ("401", "403"):
        return UploadFailed(
            f"{index} refused the credentials (HTTP {code}): check {ENV_USERNAME}/{ENV_PASSWORD} or {ENV_TOKEN}, "
            "and that this user may upload"
        )
    tail = "\n".join(output.strip().splitlines()[-25:])
    return UploadFailed(f"twine upload to {index} failed{f' (HTTP {code})' if code else ''}:\n{tail}")


def _twine_env(config: IndexConfig) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TWINE_")}
    env.update(
        TWINE_USERNAME=config.username,
        TWINE_PASSWORD=config.password,
        TWINE_NON_INTERACTIVE="1",
        # no keyring look-ups: they can block on a desktop/DBus prompt, and the password is already given
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        COLUMNS="200",
    )
    return env


def _condensed(output: str) -> str:
    """twine's verbose output without the INFO chatter: the lines that say what was uploaded."""
    return "\n".join(line for line in output.splitlines() if line.startswith("Uploading") or "View at" in line)


def publish(dist: Path, env: Mapping[str, str], *, precheck: bool = True, log: Log = _print) -> str:
    """Upload the artifacts in ``dist``; the version uploaded. Raises a PublishError subclass."""
    config = config_from_env(env)
    version, files = dist_artifacts(dist)
    index = config.upload_url
    if precheck:
        listed = published_files(config)
        if listed is None:
            log(f"note: could not read {config.simple_url}{DIST_NAME}/; the index will say if {version} is there")
        else:
            there = sorted(name for name in listed if _ARTIFACT.match(name) and _version_of(name) == version)
            if there:
                raise AlreadyPublished(version, index, f" (there: {', '.join(there)})")
    log(
        f"uploading {DIST_NAME} {version} ({', '.join(p.name for p in files)}) to {index} "
        f"with {config.credential_source}"
    )
    cmd = [sys.executable, "-m", "twine", "--no-color", "upload", "--verbose", "--disable-progress-bar"]
    cmd += ["--non-interactive", "--repository-url", config.upload_url, *map(str, files)]
    proc = subprocess.run(
        cmd, env=_twine_env(config), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    output = scrub(proc.stdout, config.secrets())
    if proc.returncode != 0:
        raise interpret_twine_failure(output, version=version, index=index)
    condensed = _condensed(output)
    if condensed:
        log(condensed)
    return version


def _version_of(name: str) -> str | None:
    match = _ARTIFACT.match(name)
    return match.group("version") if match else None


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.publish", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dist", type=Path, default=REPO / "dist", help="where make build put the artifacts")
    parser.add_argument(
        "--no-precheck",
        action="store_true",
        help="do not ask the simple page first; rely on the index refusing a duplicate (tests that path)",
    )
    args = parser.parse_args(argv)
    environment = os.environ if env is None else env
    try:
        version = publish(args.dist, environment, precheck=not args.no_precheck)
    except PublishError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code
    print(f"published {DIST_NAME} {version} to {environment.get(ENV_URL, '').strip()}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
