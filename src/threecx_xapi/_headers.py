"""Request headers: what we send by default (``User-Agent``) and what we accept from callers.

A header value with CR or LF could split the request (header injection); non-ASCII cannot be encoded by
httpx. Both are refused before anything is sent, with a ``ValueError`` that names the header but never
echoes the value (it may be a credential).
"""

from __future__ import annotations

import platform
import re
from collections.abc import Mapping
from functools import cache

import httpx

from ._redact import shown

__all__ = ["check_headers", "user_agent"]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 field-name
_VALUE = re.compile(r"[\t\x20-\x7e]*")  # visible ASCII, space and tab


@cache
def user_agent() -> str:
    """``threecx-xapi/<version> python/<version> httpx/<version>``."""
    from ._version import package_version

    return f"threecx-xapi/{package_version()} python/{platform.python_version()} httpx/{httpx.__version__}"


def check_headers(headers: Mapping[str, str] | None, *, where: str = "headers") -> dict[str, str]:
    """``headers`` as a dict, after checking every name and value; ``where`` names the argument in errors."""
    checked: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise ValueError(f"{where}: {shown(repr(name), limit=80)} is not a valid header name")
        if not isinstance(value, str):
            raise TypeError(f"{where}: header {name!r} must be a str, not {type(value).__name__}")
        if not _VALUE.fullmatch(value):
            broken = "\r" in value or "\n" in value
            problem = "a line break (CR or LF)" if broken else "a control or non-ASCII character"
            raise ValueError(f"{where}: the value of header {name!r} contains {problem}; it was not sent")
        checked[name] = value
    return checked
