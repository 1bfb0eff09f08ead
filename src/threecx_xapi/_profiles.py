"""Saved connections to several PBXs: ``profiles.json`` in the user's config folder, owner-only.

The command line's ``profile add`` writes it and ``--profile`` reads it; ``Fleet.from_profiles`` reads the same
file, so this module needs nothing but the standard library (no click: the library does not depend on the
``[cli]`` extra). Each profile holds the PBX address, the client id and the client secret, or a note that the
secret lives in the OS keyring (``profile add --keyring``, when the ``keyring`` package is installed). The
file is written atomically with mode 0600 in a 0700 folder, and refused when others can read it.
``THREECX_XAPI_CONFIG_DIR`` moves the folder; the default is the per-user application folder click would
choose (``~/.config/threecx-xapi`` on Linux, ``~/Library/Application Support/threecx-xapi`` on macOS,
``%APPDATA%\\threecx-xapi`` on Windows).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._exceptions import XAPIError

__all__ = [
    "CONFIG_DIR_ENV",
    "KEYRING_SERVICE",
    "PROFILE_ENV",
    "Profile",
    "ProfileError",
    "ProfileStore",
    "config_folder",
    "default_store",
]

CONFIG_DIR_ENV = "THREECX_XAPI_CONFIG_DIR"
PROFILE_ENV = "THREECX_XAPI_PROFILE"
KEYRING_SERVICE = "threecx-xapi"
APP_NAME = "threecx-xapi"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_FILE = "profiles.json"


class ProfileError(XAPIError):
    """A profile that cannot be used: none of that name, a file others can read, a missing keyring secret.

    ``usage`` is True when the fix is in what was asked for (a name, a file mode), False when the stored data
    is at fault; the command line exits 2 for the first, 1 for the second.
    """

    def __init__(self, message: str, *, usage: bool = True) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True)
class Profile:
    """One saved connection; ``client_secret`` is never shown (``repr`` leaves it out)."""

    name: str
    url: str
    client_id: str | None
    secret_store: str  # "file", "keyring" or "none"
    client_secret: str | None = field(default=None, repr=False)


class ProfileStore:
    """The profiles file in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / _FILE

    # -- reading --------------------------------------------------------------------------------------

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return {}
        if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ProfileError(
                f"{self.path} can be read by other users (mode {stat.S_IMODE(info.st_mode):o}); "
                f"it holds client secrets: run chmod 600 {self.path}"
            )
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ProfileError(f"cannot read {self.path}: {exc}", usage=False) from None
        profiles = data.get("profiles") if isinstance(data, dict) else None
        if not isinstance(profiles, dict):
            raise ProfileError(f"{self.path} is not a profiles file (no 'profiles' object)", usage=False)
        return profiles

    def names(self) -> list[str]:
        return sorted(self._load())

    def get(self, name: str) -> Profile:
        """The profile, its secret read from the file or the keyring; a ``ProfileError`` when there is none."""
        entry = self._load().get(name)
        if entry is None:
            known = ", ".join(self.names()) or "none saved yet: threecx-xapi profile add NAME --url URL --client-id ID"
            raise ProfileError(f"no profile {name!r} (profiles: {known})")
        store = str(entry.get("secret_store") or ("file" if entry.get("client_secret") else "none"))
        secret = entry.get("client_secret") if store == "file" else None
        if store == "keyring":
            secret = _keyring().get_password(KEYRING_SERVICE, name)
            if secret is None:
                raise ProfileError(
                    f"profile {name!r}: the keyring holds no secret for it; add the profile again", usage=False
                )
        return Profile(name, str(entry["url"]), entry.get("client_id"), store, secret)

    # -- writing --------------------------------------------------------------------------------------

    def add(
        self, name: str, *, url: str, client_id: str | None, client_secret: str | None, use_keyring: bool, replace: bool
    ) -> Profile:
        if not _NAME.fullmatch(name):
            raise ProfileError(
                f"profile name {name!r}: use letters, digits, '.', '_' and '-' (up to 64, a letter or digit first)"
            )
        profiles = self._load()
        if name in profiles and not replace:
            raise ProfileError(f"profile {name!r} exists; pass --replace to overwrite it")
        entry: dict[str, Any] = {"url": url, "client_id": client_id}
        store = "none"
        if client_secret and use_keyring:
            _keyring().set_password(KEYRING_SERVICE, name, client_secret)
            store = "keyring"
        elif client_secret:
            entry["client_secret"] = client_secret
            store = "file"
        entry["secret_store"] = store
        profiles[name] = entry
        self._write(profiles)
        return Profile(name, url, client_id, store, client_secret)

    def remove(self, name: str) -> None:
        profiles = self._load()
        entry = profiles.pop(name, None)
        if entry is None:
            raise ProfileError(f"no profile {name!r}")
        if entry.get("secret_store") == "keyring":
            keyring = _keyring()
            with contextlib.suppress(Exception):  # removed from the keyring by hand: nothing left to delete
                keyring.delete_password(KEYRING_SERVICE, name)
        self._write(profiles)

    def _write(self, profiles: dict[str, dict[str, Any]]) -> None:
        """Atomically, owner-only: a 0600 temporary file in the 0700 folder, then renamed over the old one."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = json.dumps({"profiles": profiles}, indent=2, sort_keys=True) + "\n"
        fd, temporary = tempfile.mkstemp(prefix=".profiles-", suffix=".json", dir=self.folder)  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def config_folder() -> Path:
    """``THREECX_XAPI_CONFIG_DIR``, else the per-user folder ``click.get_app_dir("threecx-xapi")`` names."""
    folder = os.environ.get(CONFIG_DIR_ENV)
    if folder:
        return Path(folder)
    if sys.platform.startswith("win"):
        return Path(os.environ.get("APPDATA") or os.path.expanduser("~"), APP_NAME)
    if sys.platform == "darwin":
        return Path(os.path.expanduser("~/Library/Application Support"), APP_NAME)
    return Path(os.environ.get("XDG_CONFIG_HOME", os.path.expanduser("~/.config")), APP_NAME)


def default_store() -> ProfileStore:
    """The store in :func:`config_folder`."""
    return ProfileStore(config_folder())


def _keyring() -> Any:
    try:
        import keyring
    except ImportError:
        raise ProfileError("the OS keyring needs the keyring package: pip install keyring") from None
    return keyring
