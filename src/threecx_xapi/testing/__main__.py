"""``python -m threecx_xapi.testing`` (or ``threecx-xapi-testserver``): a test PBX until Ctrl-C.

Prints the base URL and the credentials to use (they are test credentials: printing them is the point).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ._app import DEFAULT_MAX_BODY_SIZE
from ._log import DEFAULT_LOG_SIZE
from ._roles import ROLES
from ._server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, XAPITestServer

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="threecx-xapi-testserver", description="Serve a faithful fake 3CX XAPI on loopback until Ctrl-C."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default 0: a free port)")
    parser.add_argument("--swagger", metavar="FILE", help="document to serve at /xapi/v1/swagger.yaml")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated data (default 0)")
    parser.add_argument("--token-lifetime", type=float, default=3600, help="token lifetime in seconds")
    parser.add_argument(
        "--expires-in-unit", choices=("seconds", "minutes"), default="seconds", help="unit of expires_in"
    )
    parser.add_argument("--keep-empty", action="store_true", help="send null and zero values (default: left out)")
    parser.add_argument(
        "--latency", type=_non_negative_float, default=0.0, metavar="SECONDS", help="delay of every response"
    )
    parser.add_argument(
        "--call-log-rows", type=_non_negative_int, default=0, metavar="N", help="call log rows over March 2026"
    )
    parser.add_argument("--role", choices=sorted(ROLES), default="system_owner", help="role of the client")
    parser.add_argument(
        "--max-body-size", type=_non_negative_int, default=DEFAULT_MAX_BODY_SIZE, metavar="BYTES",
        help="larger request bodies answer 413",
    )  # fmt: skip
    parser.add_argument(
        "--request-log-size", type=_positive_int, default=DEFAULT_LOG_SIZE, metavar="N", help="requests kept"
    )
    return parser


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server in the foreground; returns the exit status."""
    args = _parser().parse_args(argv)
    server = XAPITestServer(
        host=args.host,
        port=args.port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        seed=args.seed,
        token_lifetime=args.token_lifetime,
        expires_in_unit=args.expires_in_unit,
        omit_empty=not args.keep_empty,
        swagger=args.swagger,
        latency=args.latency,
        call_log_rows=args.call_log_rows,
        role=args.role,
        max_body_size=args.max_body_size,
        request_log_size=args.request_log_size,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    server.start()
    try:
        print(f"3CX XAPI test server at {server.url}  (API: {server.url}/xapi/v1)", flush=True)
        print(f"client_id={server.client_id}  client_secret={server.client_secret}", flush=True)
        print("Ctrl-C to stop.", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
