"""``File``: what a download or export returns when the PBX answers with a file instead of JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

__all__ = ["File"]


@dataclass
class File:
    """A file received from the PBX (a recording, a backup, a CSV export): bytes, name and content type."""

    payload: BinaryIO = field(repr=False)
    file_name: str | None = None
    mime_type: str | None = None

    def read(self) -> bytes:
        """The whole content (from the current position)."""
        return self.payload.read()
