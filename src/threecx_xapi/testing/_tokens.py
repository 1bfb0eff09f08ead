"""``POST /connect/token`` and bearer-token checks, with 3CX's rule of one live token per principal.

Tokens are real JWTs (HS256 under a random key made per server), so a client can read ``exp`` as it would from
a PBX. Each principal (client id) has one current token: issuing a new one revokes the previous, which is
what makes concurrent logins with the same credentials fail against a real PBX. ``expires_in`` is in seconds,
or in minutes to mimic builds before 20.0.9; the ``exp`` claim is the truth either way.

Secrets and tokens never appear in a log line, an exception message or a repr.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CUSTOMER_PORTAL", "TokenIssuer", "TokenRefused"]

CUSTOMER_PORTAL = "customer-portal"
UNAUTHORIZED = {"error": "unauthorized", "error_description": "The request requires valid user authentication."}


class TokenRefused(Exception):
    """The token request is refused: ``status`` and the OAuth error ``body``."""

    def __init__(self, status: int, body: Mapping[str, str]) -> None:
        super().__init__(body.get("error", "refused"))
        self.status = status
        self.body = dict(body)


@dataclass
class _Live:
    token_id: str
    expires_at: float


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Issues and checks tokens for one client id and secret (plus the ``customer-portal`` Basic variant)."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        lifetime: float,
        expires_in_unit: str = "seconds",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if expires_in_unit not in ("seconds", "minutes"):
            raise ValueError("expires_in_unit must be 'seconds' or 'minutes'")
        if not lifetime > 0:
            raise ValueError("token_lifetime must be > 0 seconds")
        self.client_id = client_id
        self._secret = client_secret
        self.lifetime = float(lifetime)
        self.expires_in_unit = expires_in_unit
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._live: dict[str, _Live] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenIssuer(client_id={self.client_id!r}, client_secret=***)"

    def issue(self, form: Mapping[str, str], authorization: str | None) -> dict[str, Any]:
        """The token response for a token request, or :class:`TokenRefused`."""
        grant = form.get("grant_type")
        if not grant:
            raise TokenRefused(400, {"error": "invalid_request", "error_description": "grant_type is missing."})
        if grant != "client_credentials":
            raise TokenRefused(400, {"error": "unsupported_grant_type"})
        principal = self._principal(form, authorization)
        if principal is None:
            raise TokenRefused(401, UNAUTHORIZED)
        now = self._clock()
        token_id = secrets.token_hex(8)
        expires_at = now + self.lifetime
        claims = {
            "sub": principal,
            "client_id": principal,
            "iat": int(now),
            "exp": math.ceil(expires_at),
            "jti": token_id,
        }
        with self._lock:
            self._live[principal] = _Live(token_id, expires_at)  # the previous token of this principal dies here
        return {
            "token_type": "Bearer",
            "expires_in": self._expires_in(),
            "access_token": self._sign(claims),
            "refresh_token": None,
        }

    def check(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header carries the current, unexpired token of its principal."""
        if not authorization:
            return False
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        claims = self._verify(token.strip())
        if claims is None:
            return False
        principal = claims.get("sub")
        with self._lock:
            live = self._live.get(principal) if isinstance(principal, str) else None
            return live is not None and live.token_id == claims.get("jti") and self._clock() < live.expires_at

    def expire(self, client_id: str | None = None) -> None:
        """Make the current token of ``client_id`` (default: every principal) expired, now."""
        now = self._clock()
        with self._lock:
            for principal, live in self._live.items():
                if client_id is None or principal == client_id:
                    live.expires_at = min(live.expires_at, now - 1)

    def reset(self) -> None:
        with self._lock:
            self._live.clear()

    # -- internals -----------------------------------------------------------------------------------------

    def _expires_in(self) -> int:
        if self.expires_in_unit == "minutes":
            return max(1, round(self.lifetime / 60))
        return max(1, round(self.lifetime))

    def _principal(self, form: Mapping[str, str], authorization: str | None) -> str | None:
        """Who asks: form credentials, or HTTP Basic (``customer-portal`` or the client id itself)."""
        if authorization and authorization[:6].lower() == "basic ":
            try:
                user, _, password = _unb64url_std(authorization[6:].strip()).partition(":")
            except ValueError:
                return None
            if user not in (CUSTOMER_PORTAL, self.client_id):
                return None
            if form.get("client_id", user) != user or not _same(password, self._secret):
                return None
            return user
        client_id = form.get("client_id")
        secret = form.get("client_secret")
        if client_id == self.client_id and secret is not None and _same(secret, self._secret):
            return client_id
        return None

    def _sign(self, claims: Mapping[str, Any]) -> str:
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._key, f"{header}.{payload}".encode("ascii"), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64url(signature)}"

    def _verify(self, token: str) -> dict[str, Any] | None:
        parts = token.split(".")
        if len(parts) != 3:
            return None
        header, payload, signature = parts
        expected = hmac.new(self._key, f"{header}.{payload}".encode("ascii", "replace"), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(_unb64url(signature), expected):
                return None
            claims = json.loads(_unb64url(payload))
        except (ValueError, binascii.Error):
            return None
        return claims if isinstance(claims, dict) else None


def _unb64url_std(text: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("not base64") from None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
