"""threecx_xapi: the hand-written facade over the generated 3CX XAPI client (``threecx_xapi_client``).

Available so far: token handling for one-live-token-per-principal PBXs (``XAPIAuth``), the error hierarchy,
and the ``$filter`` builder ``F`` whose literals are always escaped. The ``XAPI``/``AsyncXAPI`` clients
come next (see the project's issues).
"""

from ._auth import AsyncTokenProvider, ClientCredentials, TokenProvider, XAPIAuth, token_url_for
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

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncTokenProvider",
    "AuthenticationError",
    "BadRequestError",
    "ClientCredentials",
    "ConflictError",
    "ErrorDetail",
    "F",
    "Filter",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "Raw",
    "TokenProvider",
    "UnprocessableEntityError",
    "XAPIAuth",
    "XAPIError",
    "status_error_from_response",
    "token_url_for",
]
