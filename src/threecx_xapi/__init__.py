"""threecx_xapi: the typed Python SDK for the 3CX XAPI.

    from threecx_xapi import XAPI, F

    pbx = XAPI("https://pbx.example.com:5001", client_id="...", client_secret="...")
    for user in pbx.users.list_user(filter=F.Number.startswith("1")).auto_paging():
        print(user.number, user.first_name)

Every operation of the XAPI document is ``pbx.<tag>.<operation>(...)``; ``AsyncXAPI`` is the same, awaited.
"""

from ._auth import AsyncTokenProvider, ClientCredentials, TokenProvider, XAPIAuth, token_url_for
from ._client import DEFAULT_TIMEOUT, XAPI, AsyncXAPI
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ErrorDetail,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    XAPIError,
    status_error_from_response,
)
from ._filters import F, Filter, Raw
from ._paging import AsyncPage, SyncPage
from ._response import RawResponse
from ._types import NOT_GIVEN, NotGiven, RequestOptions

__all__ = [
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "XAPI",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncPage",
    "AsyncTokenProvider",
    "AsyncXAPI",
    "AuthenticationError",
    "BadRequestError",
    "ClientCredentials",
    "ConflictError",
    "ErrorDetail",
    "F",
    "Filter",
    "InternalServerError",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "RateLimitError",
    "Raw",
    "RawResponse",
    "RequestOptions",
    "SyncPage",
    "TokenProvider",
    "UnprocessableEntityError",
    "XAPIAuth",
    "XAPIError",
    "status_error_from_response",
    "token_url_for",
]
