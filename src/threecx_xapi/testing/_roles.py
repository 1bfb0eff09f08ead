"""What a principal's role may call: a System Owner everything, a lesser role not the owner's areas.

A PBX gives an API client a role. The default principal of the test server is a System Owner, which may call
every operation; ``role="admin"`` (a System Admin) is refused with 403 on the areas 3CX keeps for owners: call
and chat history, recordings, backups, the call log and audit reports, archiving, API clients and security
tokens. The area of an operation is its tag in the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ROLES", "check_role", "may_call"]

_OWNER_ONLY = frozenset(
    {
        "ActivityLog",
        "Backups",
        "CallHistoryView",
        "ChatHistoryView",
        "ChatMessagesHistoryView",
        "OAuthClients",
        "PurgeSettings",
        "Recordings",
        "RemoteArchivingSettings",
        "ReportAuditLog",
        "ReportCallLogData",
        "ReportChatLog",
        "SecurityTokens",
        "ServicePrincipals",
    }
)

ROLES: Mapping[str, frozenset[str]] = {
    "system_owner": frozenset(),
    "admin": _OWNER_ONLY,
    "system_admin": _OWNER_ONLY,
}
"""Role name -> the tags it may not call."""


def check_role(role: str) -> str:
    """``role`` if the server knows it, else a ``ValueError`` naming the known ones."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: expected one of {', '.join(sorted(ROLES))}")
    return role


def may_call(role: str, operation: Mapping[str, Any]) -> bool:
    """Whether a principal of ``role`` may call ``operation`` (a registry record)."""
    return str(operation.get("tag")) not in ROLES.get(role, frozenset())
