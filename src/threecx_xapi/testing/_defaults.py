"""The fields a PBX fills in for a new entity: what ``Init*`` proposes and what a create adds to the body.

A PBX answers ``GET /Fax/Pbx.InitFax()`` with a complete entity to start from (the next free number, empty
texts, switches off, the first value of each enum) and fills the same defaults into a created entity whose
body left them out. :func:`blank` builds that from the item schema; :data:`EXTRAS` adds what a PBX sets for
particular kinds (a new user is in the DEFAULT group, speaks English, has SIP credentials).

Texts with a format (date-times, durations, uuids) have no neutral value and are left out, as a PBX leaves
them null.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["EXTRAS", "blank"]

_MAX_DEPTH = 2


def blank(schema: str, schemas: Mapping[str, Any], *, depth: int = 0) -> dict[str, Any]:
    """Every property of object schema ``schema`` at its neutral value (nested objects to a bounded depth)."""
    out: dict[str, Any] = {}
    for name, descriptor in ((schemas.get(schema) or {}).get("properties") or {}).items():
        if name.startswith("@"):
            continue
        value = _neutral(descriptor, schemas, depth)
        if value is not _NONE:
            out[name] = value
    return out


class _Missing:
    pass


_NONE: Any = _Missing()


def _neutral(descriptor: Mapping[str, Any], schemas: Mapping[str, Any], depth: int) -> Any:
    if "one_of" in descriptor:
        return _neutral(descriptor["one_of"][0], schemas, depth)
    ref = descriptor.get("ref")
    if ref is not None:
        target = schemas.get(ref) or {}
        if "enum" in target:
            return target["enum"][0]
        if "properties" not in target or depth >= _MAX_DEPTH or f"{ref}CollectionResponse" in schemas:
            return None if descriptor.get("nullable") else _NONE  # entities are navigation: not filled in
        return blank(ref, schemas, depth=depth + 1)
    if "enum" in descriptor:
        return descriptor["enum"][0]
    kind = descriptor.get("type")
    if kind == "array":
        return []
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return 0
    if kind == "string":
        return "" if not descriptor.get("format") else _NONE
    return _NONE


def _sip_credentials(rng: random.Random) -> dict[str, Any]:
    return {"AuthID": f"{rng.getrandbits(40):010x}", "AuthPassword": f"{rng.getrandbits(64):016x}"}


def _user(rng: random.Random) -> dict[str, Any]:
    return {
        **_sip_credentials(rng),
        "Enabled": True,
        "Language": "EN",
        "PrimaryGroupId": 1,
        "CurrentProfileName": "Available",
        "SendEmailMissedCalls": True,
        "VMEnabled": True,
        "VMPIN": f"{rng.randrange(10**6):06d}",
        "Groups": [{"GroupId": 1, "Name": "DEFAULT", "Number": "GRP0000", "Rights": {"RoleName": "users"}}],
    }


EXTRAS: Mapping[str, Callable[[random.Random], dict[str, Any]]] = {
    "Users": _user,
    "Fax": _sip_credentials,
}
"""Entity set -> the values a PBX sets on a new entity besides the neutral ones (only where the schema has them);
random where a PBX makes them up, from a generator the caller seeds."""
