"""``POST /connect/token`` and bearer-token checks, with 3CX's rule of one live token per principal.

Tokens are real JWTs (HS256 under a random key made per server), so a client can read ``exp`` as it would from
a PBX. Each principal (client id) has one current token: issuing a new one revokes the previous, which is
what makes concurrent logins with the same credentials fail against a real PBX. ``expires_in`` is in seconds,
or in minutes to mimic builds before 20.0.9; the ``exp`` claim is the truth either way.

Each principal has a role (``system_owner`` unless told otherwise; see :mod:`._roles`), carried in the token's
``role`` claim and checked on every API request. Secrets and tokens never appear in a log line, an exception
message or a repr.
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
from urllib.parse import unquote_plus

__all__ = ["CUSTOMER_PORTAL", "Principal", "TokenIssuer", "TokenRefused", "invalid_request"]

CUSTOMER_PORTAL = "customer-portal"
UNAUTHORIZED = {"error": "unauthorized", "error_description": "The request requires valid user authentication."}


def invalid_request(description: str) -> TokenRefused:
    """The PBX's 400 for a token request it cannot read."""
    return TokenRefused(400, {"error": "invalid_request", "error_description": description})


@dataclass(frozen=True)
class Principal:
    """Who a valid token belongs to: the client id and its role."""

    client_id: str
    role: str


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


@dataclass(frozen=True)
class _Client:
    secret: str
    role: str


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
        role: str = "system_owner",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if expires_in_unit not in ("seconds", "minutes"):
            raise ValueError("expires_in_unit must be 'seconds' or 'minutes'")
        if not lifetime > 0:
            raise ValueError("token_lifetime must be > 0 seconds")
        self.client_id = client_id
        self._secret = client_secret
        self._clients: dict[str, _Client] = {client_id: _Client(client_secret, role)}
        self.lifetime = float(lifetime)
        self.expires_in_unit = expires_in_unit
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._live: dict[str, _Live] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenIssuer(client_id={self.client_id!r}, client_secret=***)"

    def add_client(self, client_id: str, client_secret: str, role: str) -> None:
        """Another principal (a second API client with its own role)."""
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret must be non-empty")
        if client_id == CUSTOMER_PORTAL:
            raise ValueError(f"{CUSTOMER_PORTAL!r} is the multi-company variant of the default client")
        with self._lock:
            self._clients[client_id] = _Client(client_secret, role)

    def secrets(self) -> list[str]:
        """Every client secret, for the request log to scrub."""
        with self._lock:
            return [client.secret for client in self._clients.values()]

    def issue(self, form: Mapping[str, str], authorization: str | None) -> dict[str, Any]:
        """The token response for a token request, or :class:`TokenRefused`."""
        grant = form.get("grant_type")
        if not grant:
            raise invalid_request("The mandatory 'grant_type' parameter is missing.")
        if grant != "client_credentials":
            raise TokenRefused(400, {"error": "unsupported_grant_type"})
        principal = self._principal(form, authorization)
        if principal is None:
            raise TokenRefused(401, UNAUTHORIZED)
        role = self._role_of(principal)
        now = self._clock()
        token_id = secrets.token_hex(8)
        expires_at = now + self.lifetime
        claims = {
            "sub": principal,
            "client_id": principal,
            "role": role,
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

    def check(self, authorization: str | None) -> Principal | None:
        """The principal whose current, unexpired token the ``Authorization`` header carries, or None."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        claims = self._verify(token.strip())
        if claims is None:
            return None
        principal = claims.get("sub")
        with self._lock:
            live = self._live.get(principal) if isinstance(principal, str) else None
            if live is None or live.token_id != claims.get("jti") or self._clock() >= live.expires_at:
                return None
        return Principal(str(principal), self._role_of(str(principal)))

    def _role_of(self, principal: str) -> str:
        with self._lock:
            client = self._clients.get(self.client_id if principal == CUSTOMER_PORTAL else principal)
        return client.role if client is not None else "system_owner"

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
                raise invalid_request("The specified client credentials are not valid Basic credentials.") from None
            if "client_secret" in form:
                raise invalid_request("Client credentials were sent both in the header and in the body.")
            # RFC 6749 2.3.1 form-encodes both; most clients send them as they are. Either is accepted.
            for name, given in {(user, password), (unquote_plus(user), unquote_plus(password))}:
                known = self._secret if name == CUSTOMER_PORTAL else self._secret_of(name)
                if form.get("client_id", name) == name and known is not None and _same(given, known):
                    return name
            return None
        client_id = form.get("client_id")
        secret = form.get("client_secret")
        if not client_id:
            raise invalid_request("The mandatory 'client_id' parameter is missing.")
        expected = self._secret_of(client_id)
        if expected is not None and secret is not None and _same(secret, expected):
            return client_id
        return None

    def _secret_of(self, client_id: str) -> str | None:
        with self._lock:
            client = self._clients.get(client_id)
        return client.secret if client is not None else None

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
