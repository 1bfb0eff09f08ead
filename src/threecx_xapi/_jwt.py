"""How long a bearer token lives, read from the token itself (a JWT) or the token endpoint's ``expires_in``.

The claims are read unverified: only ``exp`` and ``iat`` matter here, and the PBX checks the signature.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import time
from collections.abc import Callable

__all__ = ["is_sendable", "jwt_claims", "token_lifetime"]

_SENDABLE = re.compile(r"[\x21-\x7e]+")  # what may follow "Bearer " in a header: visible ASCII, no spaces
_MAX_TOKEN = 64 * 1024


def is_sendable(token: object) -> bool:
    """Whether ``token`` can be sent as ``Authorization: Bearer <token>`` (a non-empty header-safe string)."""
    return isinstance(token, str) and len(token) <= _MAX_TOKEN and _SENDABLE.fullmatch(token) is not None


def token_lifetime(token: str, expires_in: object, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds the token stays valid: the JWT says so best; ``expires_in`` meant minutes before 3CX 20.0.9."""
    claims = jwt_claims(token)
    exp = _number(claims.get("exp")) if claims else None
    if claims and exp is not None:
        remaining = exp - now()
        iat = _number(claims.get("iat"))
        span = exp - iat if iat is not None and exp > iat else None
        # exp - iat is immune to clock skew between us and the PBX; take the smaller, never overstay.
        if span is not None:
            return min(span, remaining) if remaining > 0 else span
        if remaining > 0:
            return remaining
    seconds = _number(expires_in)
    return seconds if seconds is not None and seconds > 0 else None


def jwt_claims(token: str) -> dict[str, object] | None:
    """The payload of a JWT, unverified; None when ``token`` is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            return None
    elif isinstance(value, str) and len(value) <= 64:
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None
