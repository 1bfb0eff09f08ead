"""Saved connections for the command line: the library's profile store (:mod:`threecx_xapi._profiles`), its
errors told as the command line's (exit 2 for a name or file mode to fix, 1 for stored data at fault).

The store itself lives in the library, click-free, because ``Fleet.from_profiles`` reads the same file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from threecx_xapi import _profiles as library
from threecx_xapi._profiles import CONFIG_DIR_ENV, KEYRING_SERVICE, PROFILE_ENV, Profile, ProfileError

from ._errors import ERROR, USAGE, CommandError

__all__ = ["CONFIG_DIR_ENV", "KEYRING_SERVICE", "PROFILE_ENV", "Profile", "ProfileStore", "default_store"]


@contextlib.contextmanager
def _told() -> Iterator[None]:
    try:
        yield
    except ProfileError as exc:
        raise CommandError(str(exc), USAGE if exc.usage else ERROR) from None


class ProfileStore(library.ProfileStore):
    """The profiles file in one folder; failures raise ``CommandError`` with their exit code."""

    def names(self) -> list[str]:
        with _told():
            return super().names()

    def get(self, name: str) -> Profile:
        with _told():
            return super().get(name)

    def add(
        self, name: str, *, url: str, client_id: str | None, client_secret: str | None, use_keyring: bool, replace: bool
    ) -> Profile:
        with _told():
            return super().add(
                name,
                url=url,
                client_id=client_id,
                client_secret=client_secret,
                use_keyring=use_keyring,
                replace=replace,
            )

    def remove(self, name: str) -> None:
        with _told():
            super().remove(name)


def default_store() -> ProfileStore:
    """The store in ``THREECX_XAPI_CONFIG_DIR``, or the user's config folder for ``threecx-xapi``."""
    return ProfileStore(Path(library.config_folder()))
