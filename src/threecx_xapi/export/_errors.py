"""What an export raises: every failure is an :class:`~threecx_xapi.XAPIError`."""

from __future__ import annotations

from .._exceptions import XAPIError

__all__ = ["CountMismatchError", "ExportError"]


class ExportError(XAPIError):
    """An export that cannot start (bad operation, window, period, checkpoint) or cannot go on."""


class CountMismatchError(ExportError):
    """A window delivered a different number of rows than its ``@odata.count`` said: rows were lost or doubled.

    ``window`` is its ``(start, end)`` as ISO text, ``expected`` the count, ``received`` the rows that came.
    """

    def __init__(self, message: str, *, window: tuple[str, str], expected: int, received: int) -> None:
        super().__init__(message)
        self.window = window
        self.expected = expected
        self.received = received
