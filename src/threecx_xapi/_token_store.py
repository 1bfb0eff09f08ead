"""An opt-in token store shared through files, so processes using one client id stop revoking each other.

A cron job, a web app and a command line with the same client id each fetching their own token revoke one
another (3CX keeps one live token per principal). With ``XAPI(..., token_store=True)`` they share it: one
file per PBX and client id in the user's cache directory, holding nothing but the token and its expiry,
readable by its owner only, written atomically, and a lock file that makes the refresh single-flight
across processes as the in-process cache does across threads.

The trade-off: the token is written to disk. Anyone who can read the file (its owner, root, a backup of the
home directory) can act as the API client until the token expires (3CX: about an hour); the client secret
itself is never written. Files whose owner is not us or whose mode admits others are ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeAlias

__all__ = ["FileTokenStore", "StoredToken", "TokenStoreOption", "default_directory", "store_from_option"]

logger = logging.getLogger("threecx_xapi")

_APP = "threecx-xapi"
_MAX_FILE = 64 * 1024


@dataclass(frozen=True)
class StoredToken:
    value: str
    expires_at: float | None  # wall clock; None: unknown, used until a 401


def default_directory() -> Path:
    """``<user cache dir>/threecx-xapi/tokens``: XDG on Linux, ~/Library/Caches on macOS, LOCALAPPDATA on Windows."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / _APP / "tokens"


class FileTokenStore:
    """Tokens in ``directory`` (default: :func:`default_directory`), one file per token URL and client id."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_directory()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.directory)!r})"

    def path(self, token_url: str, client_id: str, secret_fingerprint: str = "") -> Path:
        """The file for one principal of one PBX (and secret); its name is a digest, so it reveals none of them.

        The secret's fingerprint is part of the name: a process with a wrong or rotated secret never picks up
        the token another secret earned (it asks the PBX, which says whether the secret is good).
        """
        key = f"{token_url}\n{client_id}\n{secret_fingerprint}"
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return self.directory / f"{digest[:32]}.json"

    def load(self, token_url: str, client_id: str, secret_fingerprint: str = "") -> StoredToken | None:
        """The stored token, or None when there is none or the file cannot be trusted or read."""
        path = self.path(token_url, client_id, secret_fingerprint)
        try:
            with open(path, "rb") as file:
                if not _private(file):
                    logger.warning("ignoring token store file %s: not owned by us, or readable by others", path)
                    return None
                data = json.loads(file.read(_MAX_FILE))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(data, dict):
            return None
        value, expires_at = data.get("access_token"), data.get("expires_at")
        if not isinstance(value, str) or not value:
            return None
        if isinstance(expires_at, bool) or not isinstance(expires_at, (int, float, type(None))):
            return None
        if expires_at is not None and not math.isfinite(expires_at):
            return None
        return StoredToken(value, None if expires_at is None else float(expires_at))

    def save(self, token_url: str, client_id: str, token: StoredToken, secret_fingerprint: str = "") -> None:
        """Write the token atomically, owner-only; a failure is logged, not raised (the token still works)."""
        path = self.path(token_url, client_id, secret_fingerprint)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            self._ensure_directory()
            descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                json.dump({"access_token": token.value, "expires_at": token.expires_at}, file)
            os.replace(temp, path)
        except OSError as error:
            logger.warning("could not write the token store file %s: %s", path, error.strerror or error)
            with contextlib.suppress(OSError):
                os.unlink(temp)

    @contextlib.contextmanager
    def locked(self, token_url: str, client_id: str, *, blocking: bool = True) -> Iterator[bool]:
        """Hold the principal's lock file while inside; yields False when ``blocking=False`` and it is taken."""
        self._ensure_directory()
        lock_path = self.path(token_url, client_id).with_suffix(".lock")
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "r+b") as file:
            if not _lock(file, blocking):
                yield False
                return
            try:
                yield True
            finally:
                _unlock(file)

    def _ensure_directory(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)


TokenStoreOption: TypeAlias = "bool | str | os.PathLike[str] | FileTokenStore | None"
"""What ``XAPI(token_store=...)`` takes: off (None/False), True (the user's cache directory), a directory, a store."""


def store_from_option(option: TokenStoreOption) -> FileTokenStore | None:
    """The store ``option`` asks for, or None for none."""
    if option is None or option is False:
        return None
    if option is True:
        return FileTokenStore()
    if isinstance(option, FileTokenStore):
        return option
    if isinstance(option, (str, os.PathLike)):
        return FileTokenStore(option)
    raise TypeError(f"token_store must be a bool, a directory or a FileTokenStore, not {type(option).__name__}")


def _private(file: IO[bytes]) -> bool:
    if sys.platform == "win32":  # ACLs, not modes; the user's profile directory is private by default
        return True
    status = os.fstat(file.fileno())
    return status.st_uid == os.getuid() and status.st_mode & 0o077 == 0


def _lock(file: IO[bytes], blocking: bool) -> bool:
    if sys.platform == "win32":
        import msvcrt

        mode: Any = msvcrt.LK_LOCK if blocking else msvcrt.LK_NBLCK  # type: ignore[attr-defined,unused-ignore]
        while True:
            try:
                msvcrt.locking(file.fileno(), mode, 1)  # type: ignore[attr-defined,unused-ignore]
                return True
            except OSError:
                if not blocking:
                    return False
                time.sleep(0.05)  # LK_LOCK gives up after 10 s; a token request can take longer
    import fcntl

    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _unlock(file: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        file.seek(0)
        msvcrt.locking(file.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined,unused-ignore]
        return
    import fcntl

    fcntl.flock(file.fileno(), fcntl.LOCK_UN)
