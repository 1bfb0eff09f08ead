"""The files download operations answer: CSV reports, WAV audio, ZIP archives, an XML trunk template.

The document declares JSON for these operations, but a PBX sends files, with a ``Content-Disposition`` naming
them; a client that decodes them as JSON fails, which is exactly what a test server must show. The contents
are small and valid of their kind (a WAV with a real RIFF header, a ZIP that opens, a CSV with a header row).
"""

from __future__ import annotations

import csv
import io
import struct
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

__all__ = ["Download", "content_disposition", "content_for", "media_type_for"]


@dataclass(frozen=True)
class Download:
    """A file answer: its bytes, media type and file name."""

    content: bytes
    media_type: str
    filename: str

    @property
    def disposition(self) -> str:
        """``Content-Disposition`` per RFC 6266: an ASCII ``filename`` and, when that loses anything, the exact
        name as RFC 5987's ``filename*`` (UTF-8, percent-encoded). CR, LF and quotes cannot break the header."""
        return content_disposition(self.filename)


def content_disposition(filename: str) -> str:
    """``attachment; filename="..."[; filename*=UTF-8''...]`` for any file name."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in filename) or "download"
    header = f'attachment; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe=_ATTR_CHAR)}"
    return header


# RFC 5987 attr-char, less the characters quote() always keeps
_ATTR_CHAR = "!#$&+^`|~"


_AUDIO_WORDS = ("Recording", "Greeting", "Playlist", "Prompt")


def media_type_for(operation_id: str) -> str:
    """The media type a PBX sends for a download operation, by what the operation downloads."""
    if any(word in operation_id for word in _AUDIO_WORDS):
        return "audio/wav"
    if "Backup" in operation_id:
        return "application/zip"
    if operation_id == "ExportTrunk":
        return "application/xml"
    return "text/csv"


def content_for(operation_id: str, args: Mapping[str, object], rows: Sequence[Mapping[str, Any]]) -> Download:
    """The file for ``operation_id``; ``rows`` are the report rows a CSV holds (sampled from its schema)."""
    media = media_type_for(operation_id)
    stem = _stem(operation_id)
    if media == "audio/wav":
        name = str(args.get("fileName") or args.get("FileName") or f"{stem}.wav")
        return Download(_wav(), media, name if name.endswith(".wav") else f"{name}.wav")
    if media == "application/zip":
        return Download(_zip(stem), media, f"{stem}.zip")
    if media == "application/xml":
        return Download(_trunk_xml(args), media, "trunk.xml")
    return Download(_csv(rows), "text/csv", f"{stem}.csv")


def _stem(operation_id: str) -> str:
    for prefix in ("Download", "Export"):
        if operation_id.startswith(prefix) and len(operation_id) > len(prefix):
            return operation_id[len(prefix) :]
    return operation_id


def _wav(seconds: float = 0.25, rate: int = 8000) -> bytes:
    """A mono 16-bit PCM WAV of silence: what a greeting or recording download starts with, and playable."""
    frames = int(seconds * rate)
    data = b"\x00\x00" * frames
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + fmt + b"data" + struct.pack("<I", len(data)) + data


def _zip(stem: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("backup.xml", f"<backup name='{stem}' version='20.0.10'/>\n")
    return buffer.getvalue()


def _trunk_xml(args: Mapping[str, object]) -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?>\n<Trunk Id="{args.get("Id", 1)}"/>\n'.encode()


def _csv(rows: Sequence[Mapping[str, Any]]) -> bytes:
    columns: list[str] = []
    for row in rows:
        for name, value in row.items():
            if name not in columns and not isinstance(value, (dict, list)):
                columns.append(name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return buffer.getvalue().encode("utf-8")
