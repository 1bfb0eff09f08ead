"""Who the SDK authenticates as: an XAPI client id and secret, and where its tokens come from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import httpx

from ._redact import shown

__all__ = ["CUSTOMER_PORTAL", "ClientCredentials", "token_url_for"]

CUSTOMER_PORTAL = "customer-portal"


@dataclass(frozen=True, repr=False)
class ClientCredentials:
    """An XAPI client id and secret, from the 3CX admin console (Integrations > API).

    ``basic=True`` selects the multi-company variant: HTTP Basic on the token endpoint, where the
    client id is ``customer-portal`` (see :meth:`customer_portal`). The secret never appears in ``repr``
    or pickles of errors; ``fingerprint`` tells two secrets apart without holding either.
    """

    client_id: str
    client_secret: str
    basic: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.client_id, str) or not self.client_id:
            raise ValueError("client_id must be a non-empty string")
        if not isinstance(self.client_secret, str) or not self.client_secret:
            raise ValueError("client_secret must be a non-empty string")

    @classmethod
    def customer_portal(cls, secret: str) -> ClientCredentials:
        """Credentials for the multi-company variant: user ``customer-portal``, HTTP Basic."""
        return cls(CUSTOMER_PORTAL, secret, basic=True)

    @property
    def fingerprint(self) -> str:
        """A digest of id, secret and variant: equal for the same principal and secret, and reveals neither."""
        material = f"{self.client_id}\0{self.client_secret}\0{self.basic}".encode("utf-8", "surrogatepass")
        return hashlib.sha256(material).hexdigest()

    def __repr__(self) -> str:
        basic = ", basic=True" if self.basic else ""
        return f"{type(self).__name__}(client_id={shown(repr(self.client_id))}, client_secret=***{basic})"


def token_url_for(url: httpx.URL | str) -> str:
    """The token endpoint of the PBX serving ``url``: ``/connect/token`` at the host root, not under /xapi/v1."""
    url = httpx.URL(url)
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}/connect/token"
