"""Which package this is, which XAPI it speaks, and a warning when the PBX speaks another.

Version scheme
--------------
The package version is ``MAJOR.MINOR.PATCH.N``: the first three components are the 3CX XAPI version the
generated client was built from (``xapi_version`` in ``spec/xapi.lock.json``, e.g. ``20.0.10``), the fourth
is our own revision for that XAPI version.

* a fix or feature of ours for the same XAPI bumps ``N``: ``20.0.10.0`` -> ``20.0.10.1``;
* a new XAPI version resets ``N``: ``20.0.10.3`` -> ``20.0.11.0`` (and the lock says ``20.0.11``);
* pre-releases and development builds use PEP 440's suffixes on the revision: ``20.0.10.1rc1``,
  ``20.0.10.1.dev0``; they sort before ``20.0.10.1``, so ``pip`` only picks them when asked (``--pre``).

Why this shape: it is a plain PEP 440 release segment, so it sorts the way people expect (every revision for
20.0.10 sorts before 20.0.11.0) and is accepted by every index; and it makes pinning by XAPI version a
one-liner: ``threecx-xapi~=20.0.10.0`` means ``>=20.0.10.0, ==20.0.10.*`` -- every fix of ours for
the XAPI your PBX runs, never a client for another XAPI. The alternatives fail one of those: a local version
(``20.0.10+1``) is refused by public indexes and ignored by ``==`` pins; post-releases (``20.0.10.post1``) are
meant for metadata-only fixes and cannot carry a pre-release of a fix; putting the XAPI version after our own
(``1.4.0+xapi20.0.10``) hides it from version specifiers.

The fourth component is ours, not the PBX build number: a PBX reporting ``X-3CX-Version: 20.0.10.123`` speaks
XAPI 20.0.10, which every ``20.0.10.N`` of this package targets. Only major.minor.patch are compared.

Run-time values
---------------
``__version__`` comes from the installed distribution's metadata (falling back to ``pyproject.toml`` when
running from a source checkout that is not installed); ``XAPI_VERSION`` and ``DOCUMENT_SHA256`` come from the
generated client's registry. All three are computed on first access (module ``__getattr__``), so importing
the package neither imports ``importlib.metadata`` nor reads the 1 MB ``registry.json``; the client reads that
file anyway on its first call, so a version check after a response costs nothing extra.
"""

from __future__ import annotations

import re
import threading
import warnings
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from . import _redact

__all__ = [
    "DIST_NAME",
    "DOCUMENT_SHA256",
    "VERSION_HEADER",
    "XAPI_VERSION",
    "SeenVersion",
    "XAPIVersionWarning",
    "__version__",
    "check_server_version",
    "document_sha256",
    "is_older_xapi",
    "package_version",
    "parse_xapi_version",
    "warn_once_on_mismatch",
    "xapi_version",
]

DIST_NAME = "threecx-xapi"
VERSION_HEADER = "X-3CX-Version"
UNKNOWN_VERSION = "0+unknown"

if TYPE_CHECKING:
    # Declared for type checkers; at run time these come from __getattr__ below, on first access.
    __version__: str
    XAPI_VERSION: str
    DOCUMENT_SHA256: str


class XAPIVersionWarning(UserWarning):
    """The PBX speaks another XAPI version than the one this client was generated from.

    Operations, fields or enum values may differ; most calls still work, but install the ``threecx-xapi``
    release for the PBX's XAPI (``pip install "threecx-xapi~=X.Y.Z.0"``), or regenerate the client from the
    PBX's document (``make regenerate`` in a checkout).
    """


class _HasHeaders(Protocol):
    @property
    def headers(self) -> Any: ...


# --- the package's own version ---------------------------------------------------------------------------------

_PYPROJECT_VERSION = re.compile(r'^version\s*=\s*"([^"]+)"\s*$', re.MULTILINE)


def _version_from_pyproject(path: Path) -> str | None:
    """The ``[project]`` version of a pyproject.toml, read with a regex (``tomllib`` is not in Python 3.10)."""
    try:
        text = path.read_text("utf-8")
    except OSError:
        return None
    project = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    match = _PYPROJECT_VERSION.search(project.group(1)) if project else None
    return match.group(1) if match else None


@cache
def package_version() -> str:
    """This distribution's version: installed metadata first, then the source checkout's pyproject.toml.

    Metadata wins because it describes the code actually installed; the fallback covers running from a
    checkout put on ``sys.path`` by hand, where there is no metadata. ``0+unknown`` if neither exists.
    """
    from importlib import metadata

    try:
        return metadata.version(DIST_NAME)
    except metadata.PackageNotFoundError:
        pass
    found = _version_from_pyproject(Path(__file__).resolve().parents[2] / "pyproject.toml")
    return found or UNKNOWN_VERSION


# --- the XAPI version the generated client targets ----------------------------------------------------------------


@cache
def _document() -> dict[str, Any]:
    from . import _registry as registry

    return registry.document()


def xapi_version() -> str:
    """The XAPI version of the document the generated client was built from, e.g. ``"20.0.10"``."""
    return str(_document()["xapi_version"])


def document_sha256() -> str:
    """The sha256 of that document, as recorded in the registry (and in ``spec/xapi.lock.json``)."""
    return str(_document()["sha256"])


_LAZY = {"__version__": package_version, "XAPI_VERSION": xapi_version, "DOCUMENT_SHA256": document_sha256}


if not TYPE_CHECKING:

    def __getattr__(name: str) -> str:
        try:
            factory = _LAZY[name]
        except KeyError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        return factory()


# --- comparing with the PBX ------------------------------------------------------------------------------------

# At most 9 digits a component: a hostile header of 5000 digits is no version (and int() would refuse it).
_LEADING_NUMBERS = re.compile(r"\s*v?(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?(?!\d)")
_SHOWN_LIMIT = 64


def parse_xapi_version(value: str | None) -> tuple[int, ...] | None:
    """The leading major.minor[.patch] of a version string as ints, or None when it has fewer than two.

    ``"20.0.10.123"`` -> ``(20, 0, 10)``; ``"20.0"`` -> ``(20, 0)``; ``"Build 123"``, ``""``, None -> None.
    Anything after the third component (the PBX's build number, suffixes) is ignored on purpose.
    """
    if not value or not isinstance(value, str):
        return None
    match = _LEADING_NUMBERS.match(value[:256])
    if match is None or match.group(2) is None:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def check_server_version(header_value: str | None, expected: str | None = None) -> str | None:
    """A warning message when the PBX's ``X-3CX-Version`` is another XAPI version than ours, else None.

    ``expected`` defaults to ``XAPI_VERSION``. Compared on major.minor.patch; a header with only major.minor
    is compared on those. A missing or unparseable header returns None: it says nothing about the XAPI the
    PBX speaks (proxies strip headers), and a warning nobody can act on is noise.
    """
    server = parse_xapi_version(header_value)
    ours_text = expected if expected is not None else xapi_version()
    ours = parse_xapi_version(ours_text)
    if server is None or ours is None or server == ours[: len(server)]:
        return None
    shown = _redact.shown(header_value.strip(), limit=_SHOWN_LIMIT) if header_value else ""
    return (
        f"the PBX reports {VERSION_HEADER}: {shown} but threecx-xapi {package_version()} was generated for "
        f"XAPI {ours_text}; operations, fields and enum values may differ. Install the release for the PBX's "
        f'XAPI if there is one: pip install "threecx-xapi~={".".join(map(str, server))}.0"'
    )


def is_older_xapi(header_value: str | None, expected: str | None = None) -> bool:
    """Whether ``X-3CX-Version`` names an XAPI older than ``expected`` (default ``XAPI_VERSION``).

    Compared on major.minor[.patch] as :func:`parse_xapi_version` reads them; a missing or unparseable
    header is not older (it says nothing).
    """
    server = parse_xapi_version(header_value)
    ours = parse_xapi_version(expected if expected is not None else xapi_version())
    return server is not None and ours is not None and server < ours[: len(server)]


class SeenVersion:
    """The ``X-3CX-Version`` of the latest answer from one PBX; shared by a client and its ``with_options`` copies.

    One attribute assignment per answer (atomic under the GIL), so clients used from several threads need no
    lock; a value never goes back to None once the PBX has sent one.
    """

    __slots__ = ("_raw", "value")

    def __init__(self) -> None:
        self._raw: str | None = None
        self.value: str | None = None  # as it may be shown: escaped and cut to 64 characters

    def saw(self, response: _HasHeaders) -> None:
        raw = response.headers.get(VERSION_HEADER)
        if raw is not None and raw != self._raw:  # the same header as last time costs one comparison
            self.value = _redact.shown(raw.strip(), limit=_SHOWN_LIMIT)
            self._raw = raw


_warn_lock = threading.Lock()
_warned = False
_last_ok: str | None = None


def warn_once_on_mismatch(response: _HasHeaders, *, stacklevel: int = 2) -> str | None:
    """Warn (``XAPIVersionWarning``) the first time a response shows another XAPI version; at most once a process.

    Call it with every ``httpx.Response`` from the PBX (or anything with ``.headers.get``). After the warning,
    and for a header value already found to match, it returns at once without parsing: cheap enough for the
    hot path. Thread-safe: concurrent first responses produce one warning. ``stacklevel`` is ``warnings.warn``'s,
    counted from this function: 2 names the caller, pass more to name your caller's caller. Returns the message
    it warned with, or None.
    """
    global _warned, _last_ok
    if _warned:
        return None
    try:
        value = response.headers.get(VERSION_HEADER)
        if value is None or value == _last_ok:
            return None
        message = check_server_version(value)
    except Exception:  # a check that cannot read the header must never fail the call it rode on
        return None
    with _warn_lock:
        if message is None:
            _last_ok = value
            return None
        if _warned:
            return None
        _warned = True
    warnings.warn(message, XAPIVersionWarning, stacklevel=stacklevel)
    return message


def _reset_warning_state() -> None:
    """For tests: forget that a warning was given and which header value matched."""
    global _warned, _last_ok
    with _warn_lock:
        _warned = False
        _last_ok = None
