"""Base classes of the generated resources (``pbx.users``, ``pbx.backups``, ...).

The resource classes themselves are generated from the registry (``threecx_xapi_client.resources``): one
typed method per operation that names its operation and hands its arguments to the client. The raw variants
(``pbx.users.with_raw_response``) return a ``RawResponse`` with the ``httpx.Response`` beside the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ._types import NOT_GIVEN, RequestOptions

__all__ = ["AsyncAPIResource", "SyncAPIResource"]


class SyncAPIResource:
    """A group of operations (one XAPI tag) on an ``XAPI`` client."""

    _raw: ClassVar[bool] = False

    def __init__(self, client: Any) -> None:
        self._client = client

    def _request(
        self,
        operation_id: str,
        args: Mapping[str, object],
        *,
        options: RequestOptions,
        body_args: Mapping[str, object] | None = None,
        body: object = NOT_GIVEN,
    ) -> Any:
        return self._client._request(operation_id, args, options=options, body_args=body_args, body=body, raw=self._raw)

    def _page(self, operation_id: str, args: Mapping[str, object], *, options: RequestOptions) -> Any:
        return self._client._page(operation_id, args, options=options, raw=self._raw)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


class AsyncAPIResource:
    """A group of operations (one XAPI tag) on an ``AsyncXAPI`` client."""

    _raw: ClassVar[bool] = False

    def __init__(self, client: Any) -> None:
        self._client = client

    async def _request(
        self,
        operation_id: str,
        args: Mapping[str, object],
        *,
        options: RequestOptions,
        body_args: Mapping[str, object] | None = None,
        body: object = NOT_GIVEN,
    ) -> Any:
        return await self._client._request(
            operation_id, args, options=options, body_args=body_args, body=body, raw=self._raw
        )

    async def _page(self, operation_id: str, args: Mapping[str, object], *, options: RequestOptions) -> Any:
        return await self._client._page(operation_id, args, options=options, raw=self._raw)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"
