"""Snapshots of a PBX's configuration, and what changed between two of them.

    from threecx_xapi import XAPI, snapshot

    pbx = XAPI("https://pbx.example.com:5001", client_id="...", client_secret="...")
    monday = snapshot.take(pbx, "snapshots/monday")     # every entity set and singleton, one JSON file each
    today = snapshot.take(pbx)                          # in memory only
    changes = snapshot.diff(snapshot.load("snapshots/monday"), today)
    print(changes.to_markdown())                         # or changes.to_dict() for machines

What is read comes from the registry (:func:`resources`): every entity set, singleton and singleton navigation
collection that a GET reads without parameters; functions are left out. A snapshot folder holds
``manifest.json`` (the PBX, its XAPI version, when, whether secrets are included, what was read, denied and
failed) and one file per resource, in a stable order: two snapshots of the same state differ only in the
manifest's ``taken_at``.
"""

from __future__ import annotations

from ._diff import EntityChange, NotCompared, ResourceDiff, Side, SnapshotDiff, diff
from ._errors import SnapshotError
from ._fields import MISSING, FieldChange
from ._files import MANIFEST, load
from ._model import FORMAT, Failure, ResourceData, Snapshot, canonical_json
from ._resources import Resource, resources
from ._take import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE, Progress, take

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PAGE_SIZE",
    "FORMAT",
    "MANIFEST",
    "MISSING",
    "EntityChange",
    "Failure",
    "FieldChange",
    "NotCompared",
    "Progress",
    "Resource",
    "ResourceData",
    "ResourceDiff",
    "Side",
    "Snapshot",
    "SnapshotDiff",
    "SnapshotError",
    "canonical_json",
    "diff",
    "load",
    "resources",
    "take",
]
