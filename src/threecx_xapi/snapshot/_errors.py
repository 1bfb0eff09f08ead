"""The one error of the snapshot package: bad input (a folder that is not a snapshot, an unknown resource)."""

from __future__ import annotations

from .._exceptions import XAPIError

__all__ = ["SnapshotError"]


class SnapshotError(XAPIError, ValueError):
    """A snapshot cannot be taken, read or compared as asked; raised before anything is sent or written."""
