"""The client-credentials request to ``/connect/token``, and what its answer means.

The request carries the client secret, so it is never redirected (whatever the ``http_client`` says: a 3xx
is an error naming where it points), and only its own origin sees it. A token request is safe to repeat, so
connection errors and 408/429/502/503/504 are retried under the API calls' policy, within the call's deadline.
Only 400 and 401 mean the credentials were refused; other failures keep their status family.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from ._body_reader import aread_body, read_body
from ._credentials import ClientCredentials, token_url_for
from ._deadline import Deadline
from ._exceptions import APIStatusError
from ._headers import user_agent
from ._jwt import is_sendable
from ._redact import shown
from ._retry import RetryPolicy, asend_with_retries, send_with_retries
from ._status_errors import token_error_from_response

__all__ = ["DEFAULT_TOKEN_TIMEOUT", "TokenAnswer", "TokenEndpoint"]

DEFAULT_TOKEN_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_MAX_ANSWER = 1024 * 1024  # a token answer is a few KB


@dataclass(frozen=True)
class TokenAnswer:
    value: str
    expires_in: object  # as sent: seconds (or, before 3CX 20.0.9, minutes); read by _jwt.token_lifetime


class TokenEndpoint:
    """Fetches tokens for ``credentials`` from ``url`` (default: ``/connect/token`` of the API request's host)."""

    def __init__(
        self,
        credentials: ClientCredentials,
        *,
        url: str | None = None,
        retry: RetryPolicy | None = None,
        path_prefix: str = "",
    ) -> None:
        self.credentials = credentials
        self.url = url
        self.retry = retry or RetryPolicy()
        self.path_prefix = path_prefix

    def url_for(self, api_request: httpx.Request) -> str:
        return self.url or token_url_for(api_request.url)

    def _build(self, http: httpx.Client | httpx.AsyncClient, url: str) -> tuple[httpx.Request, httpx.Auth]:
        credentials = self.credentials
        headers = {"Accept": "application/json", "User-Agent": user_agent()}
        if credentials.basic:
            data = {"client_id": credentials.client_id, "grant_type": "client_credentials"}
            auth: httpx.Auth = httpx.BasicAuth(credentials.client_id, credentials.client_secret)
        else:
            data = {
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret,
                "grant_type": "client_credentials",
            }
            # A no-op Auth, not the client default: the http client may be one that itself uses XAPIAuth.
            auth = httpx.Auth()
        timeout = http.timeout if _has_timeout(http.timeout) else DEFAULT_TOKEN_TIMEOUT
        return http.build_request("POST", url, data=data, headers=headers, timeout=timeout), auth

    def fetch(self, http: httpx.Client, api_request: httpx.Request, deadline: Deadline) -> TokenAnswer:
        url = self.url_for(api_request)
        post, auth = self._build(http, url)
        phases = dict(post.extensions["timeout"])

        def attempt() -> httpx.Response:
            post.extensions["timeout"] = deadline.clip(phases)
            response = http.send(post, auth=auth, follow_redirects=False, stream=True)
            read_body(response, limit=_MAX_ANSWER, deadline=deadline, phases=phases)
            return response

        response = send_with_retries(attempt, method="POST", policy=self.retry, deadline=deadline, idempotent=True)
        return self._accept(url, response)

    async def afetch(self, http: httpx.AsyncClient, api_request: httpx.Request, deadline: Deadline) -> TokenAnswer:
        url = self.url_for(api_request)
        post, auth = self._build(http, url)
        phases = dict(post.extensions["timeout"])

        async def attempt() -> httpx.Response:
            post.extensions["timeout"] = deadline.clip(phases)
            response = await http.send(post, auth=auth, follow_redirects=False, stream=True)
            await aread_body(response, limit=_MAX_ANSWER, deadline=deadline, phases=phases)
            return response

        send: Callable[[], Awaitable[httpx.Response]] = attempt
        response = await asend_with_retries(send, method="POST", policy=self.retry, deadline=deadline, idempotent=True)
        return self._accept(url, response)

    def _accept(self, url: str, response: httpx.Response) -> TokenAnswer:
        secret = self.credentials.client_secret
        if not response.is_success:
            raise token_error_from_response(
                response,
                client_id=self.credentials.client_id,
                url=_display_url(url),
                secrets=(secret,),
                path_prefix=self.path_prefix,
            )
        payload: object = None
        with contextlib.suppress(ValueError, RecursionError):
            payload = json.loads(response.content)
        value = payload.get("access_token") if isinstance(payload, dict) else None
        who = f"token request for client id {shown(repr(self.credentials.client_id))} to {_display_url(url)}"
        if value is None or value == "":
            media = shown(response.headers.get("Content-Type", "no Content-Type"), limit=80)
            raise _unusable(f"{who} answered {response.status_code} ({media}) without an access_token", response)
        if not is_sendable(value):
            size = f"{len(value)} characters" if isinstance(value, str) else type(value).__name__
            raise _unusable(
                f"{who} answered an access_token that cannot be sent in an Authorization header ({size}; not shown)",
                response,
            )
        assert isinstance(payload, dict) and isinstance(value, str)
        return TokenAnswer(value, payload.get("expires_in"))


def _unusable(message: str, response: httpx.Response) -> APIStatusError:
    """A 2xx without a usable token; the body stays behind (it may hold the malformed token)."""
    bodiless = httpx.Response(response.status_code, headers={"Content-Type": response.headers.get("Content-Type", "")})
    with contextlib.suppress(RuntimeError):
        bodiless.request = response.request
    return APIStatusError(f"{message}; is the token URL right?", response=bodiless)


def _has_timeout(timeout: httpx.Timeout) -> bool:
    return any(t is not None for t in (timeout.connect, timeout.read, timeout.write, timeout.pool))


def _display_url(url: str) -> str:
    """The URL without userinfo or query, for messages."""
    try:
        parsed = httpx.URL(url)
    except Exception:
        return "the token endpoint"
    port = f":{parsed.port}" if parsed.port is not None else ""
    return shown(f"{parsed.scheme}://{parsed.host}{port}{parsed.path}", limit=300)
