"""The PBX's addresses, from whatever form of base URL a user gives."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["PBXURL", "parse_base_url"]

API_PATH = "/xapi/v1"


@dataclass(frozen=True)
class PBXURL:
    """``root`` is ``scheme://host[:port]`` (plus any reverse-proxy prefix); the API and token URLs hang off it."""

    root: str

    @property
    def api(self) -> str:
        return self.root + API_PATH

    @property
    def token(self) -> str:
        return self.root + "/connect/token"

    @property
    def prefix(self) -> str:
        """The path in front of ``/xapi/v1`` (a reverse-proxy prefix), usually empty."""
        return urlsplit(self.root).path


def parse_base_url(url: str) -> PBXURL:
    """``https://pbx``, ``https://pbx:5001/`` and ``https://pbx/xapi/v1/`` all mean the same PBX.

    Refused before anything is sent: no scheme or host, a scheme other than http(s), credentials, a query or
    a fragment in the URL, and paths that are clearly a mistake (``/xapi``, ``/xapi/v1/Users``,
    ``/connect/token``). Any other path is kept as a reverse-proxy prefix.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError("base_url is empty: give the PBX address, e.g. https://pbx.example.com:5001")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base_url {url!r} needs a scheme and a host, e.g. https://pbx.example.com:5001")
    if parts.username or parts.password:
        raise ValueError("base_url must not carry credentials; pass client_id and client_secret instead")
    if parts.query or parts.fragment:
        raise ValueError(f"base_url {parts.scheme}://{parts.netloc}{parts.path} must not have a query or fragment")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"base_url {url!r} has an invalid port") from None
    path = parts.path.rstrip("/")
    if path.endswith(API_PATH):
        path = path[: -len(API_PATH)]
    _check_path(path, f"{parts.scheme}://{parts.netloc}")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host + (f":{port}" if port is not None else "")
    return PBXURL(root=f"{parts.scheme}://{netloc}{path}")


def _check_path(path: str, origin: str) -> None:
    lowered = path.lower()
    segments = lowered.split("/")
    if "xapi" in segments or lowered.endswith("/connect/token") or lowered.endswith("/connect"):
        raise ValueError(
            f"base_url path {path[:100]!r} is not where the XAPI lives: give the PBX root ({origin}) or the "
            f"API root ({origin}{API_PATH}); the token endpoint ({origin}/connect/token) is found from it"
        )
