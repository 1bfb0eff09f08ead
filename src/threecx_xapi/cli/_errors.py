"""Exit codes by class of failure, and how a failure is told on stderr.

=====  =============================================================================================
code   meaning
=====  =============================================================================================
0      success
1      any other error of the SDK or the command line (a file that cannot be written, a bad answer)
2      usage: unknown command or option, a bad value, a body that does not fit the schema (nothing sent)
3      connection: the PBX could not be reached, or did not answer in time
4      authentication: 401, or the token endpoint refused the credentials
5      permission: 403 (System Owner role, console IP restrictions)
6      not found: 404
7      conflict or validation: 400, 409, 422
8      rate limit: 429 (after the SDK's retries)
9      server: 5xx (after the SDK's retries)
10     differences: ``snapshot diff`` found the two snapshots differ (0: the same)
130    interrupted (Ctrl-C)
=====  =============================================================================================
"""

from __future__ import annotations

from typing import TextIO

from threecx_xapi._exceptions import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)

__all__ = [
    "AUTH",
    "CONFLICT",
    "CONNECTION",
    "DIFFERENT",
    "ERROR",
    "INTERRUPTED",
    "NOT_FOUND",
    "OK",
    "PERMISSION",
    "RATE_LIMIT",
    "SERVER",
    "USAGE",
    "CommandError",
    "exit_code_for",
    "report",
]

OK = 0
ERROR = 1
USAGE = 2
CONNECTION = 3
AUTH = 4
PERMISSION = 5
NOT_FOUND = 6
CONFLICT = 7
RATE_LIMIT = 8
SERVER = 9
DIFFERENT = 10
INTERRUPTED = 130


class CommandError(Exception):
    """A failure of the command line itself, with the exit code it ends with."""

    def __init__(self, message: str, exit_code: int = ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def exit_code_for(error: BaseException) -> int:
    """The exit code of an error the SDK (or the command line) raised."""
    if isinstance(error, CommandError):
        return error.exit_code
    if isinstance(error, APIConnectionError):
        return CONNECTION
    if isinstance(error, AuthenticationError):
        return AUTH
    if isinstance(error, PermissionDeniedError):
        return PERMISSION
    if isinstance(error, NotFoundError):
        return NOT_FOUND
    if isinstance(error, (BadRequestError, ConflictError, UnprocessableEntityError)):
        return CONFLICT
    if isinstance(error, RateLimitError):
        return RATE_LIMIT
    if isinstance(error, APIStatusError):
        return SERVER if error.status_code >= 500 else CONFLICT  # 405, 410, 412, ...: the request was refused
    if isinstance(error, (ValueError, TypeError)):
        return USAGE  # the SDK's argument and body checks: raised before anything was sent
    return ERROR


def report(error: BaseException, stream: TextIO) -> int:
    """Tell ``error`` on ``stream`` (summary, then OData code, message, target and details); its exit code."""
    lines = [f"error: {error}"]
    if isinstance(error, APIStatusError):
        lines.append(f"  status: {error.status_code} ({type(error).__name__})")
        for label, value in (("code", error.code), ("message", error.message), ("target", error.target)):
            if value:
                lines.append(f"  {label}: {value}")
        for detail in error.details:
            parts = [p for p in (detail.target, detail.code, detail.message) if p]
            if parts:
                lines.append(f"  detail: {' | '.join(parts)}")
    print("\n".join(lines), file=stream)
    return exit_code_for(error)
