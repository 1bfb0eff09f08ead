"""threecx_xapi: the typed Python SDK for the 3CX XAPI.

    from threecx_xapi import XAPI, F

    pbx = XAPI("https://pbx.example.com:5001", client_id="...", client_secret="...")
    for user in pbx.users.list_user(filter=F.Number.startswith("1"), top=100):   # every page, 100 at a time
        print(user.number, user.first_name)

Every operation of the XAPI document is ``pbx.<tag>.<operation>(...)``; ``AsyncXAPI`` is the same, awaited.
``Fleet`` / ``AsyncFleet`` run a function against many PBXs at once, a value or an error for each.
"""

from typing import TYPE_CHECKING

from ._auth import AsyncTokenProvider, ClientCredentials, TokenProvider, XAPIAuth, token_url_for
from ._bodies import BodyError
from ._body_reader import DEFAULT_MAX_RESPONSE_SIZE
from ._client import DEFAULT_TIMEOUT, XAPI, AsyncXAPI
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ErrorDetail,
    FleetError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseTooLargeError,
    UnprocessableEntityError,
    UnsupportedOperationError,
    XAPIError,
)
from ._files import File
from ._filters import F, Filter, Raw
from ._fleet import AsyncFleet, Fleet
from ._fleet_result import FleetResult, PBXOutcome
from ._paging import AsyncPage, PageDriftWarning, SyncPage, aby_key, by_key
from ._profiles import ProfileError
from ._response import AsyncStreamedResponse, RawResponse, StreamedResponse
from ._status_errors import status_error_from_response
from ._token_store import FileTokenStore
from ._types import NOT_GIVEN, NotGiven, RequestOptions
from ._version import XAPIVersionWarning, check_server_version, warn_once_on_mismatch

if TYPE_CHECKING:
    # Computed on first access by __getattr__ below (installed metadata, the generated registry), not on import.
    __version__: str
    XAPI_VERSION: str
    DOCUMENT_SHA256: str

__all__ = [
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_TIMEOUT",
    "DOCUMENT_SHA256",
    "NOT_GIVEN",
    "XAPI",
    "XAPI_VERSION",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncFleet",
    "AsyncPage",
    "AsyncStreamedResponse",
    "AsyncTokenProvider",
    "AsyncXAPI",
    "AuthenticationError",
    "BadRequestError",
    "BodyError",
    "ClientCredentials",
    "ConflictError",
    "ErrorDetail",
    "F",
    "File",
    "FileTokenStore",
    "Filter",
    "Fleet",
    "FleetError",
    "FleetResult",
    "InternalServerError",
    "NotFoundError",
    "NotGiven",
    "PBXOutcome",
    "PageDriftWarning",
    "PermissionDeniedError",
    "ProfileError",
    "RateLimitError",
    "Raw",
    "RawResponse",
    "RequestOptions",
    "ResponseTooLargeError",
    "StreamedResponse",
    "SyncPage",
    "TokenProvider",
    "UnprocessableEntityError",
    "UnsupportedOperationError",
    "XAPIAuth",
    "XAPIError",
    "XAPIVersionWarning",
    "__version__",
    "aby_key",
    "by_key",
    "check_server_version",
    "status_error_from_response",
    "token_url_for",
    "warn_once_on_mismatch",
]

_LAZY = frozenset({"__version__", "XAPI_VERSION", "DOCUMENT_SHA256"})

if not TYPE_CHECKING:

    def __getattr__(name: str) -> str:
        if name in _LAZY:
            from . import _version

            return getattr(_version, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
