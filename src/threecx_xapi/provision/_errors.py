"""The one error provisioning raises itself: bad input, told before anything is sent."""

from __future__ import annotations

from .._exceptions import XAPIError

__all__ = ["ProvisionError"]


class ProvisionError(XAPIError, ValueError):
    """A file, a column, a key or an entity set that cannot be provisioned; raised before any request."""
