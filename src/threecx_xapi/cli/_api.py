"""``threecx-xapi api METHOD PATH``: any request under ``/xapi/v1``, with the SDK's auth and retries."""

from __future__ import annotations

import email.message
import io
import sys
from typing import Any

import click
import httpx

from threecx_xapi import XAPI, status_error_from_response

from ._connection import Connection, DryRunRequest, print_request
from ._errors import USAGE, CommandError
from ._files import save
from ._fleet import check_fleet_output, fleet_output, for_each_pbx
from ._input import read_data
from ._output import FORMATS, Printer, default_format, odata_collection

__all__ = ["api_command"]

_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


def _relative(path: str) -> str:
    """A path under ``/xapi/v1`` (given with or without that prefix); never another origin."""
    if not path.startswith("/") or path.startswith("//") or "://" in path.split("?", 1)[0]:
        raise CommandError(f"PATH must start with / and stay on the PBX, e.g. '/Users(29)'; got {path!r}", USAGE)
    return path[len("/xapi/v1") :] if path.startswith("/xapi/v1/") else path


def _file_name(response: httpx.Response) -> str | None:
    message = email.message.Message()
    message["content-disposition"] = response.headers.get("content-disposition", "")
    name = message.get_filename()
    return str(name) if name else None


@click.command(
    "api",
    context_settings={"max_content_width": 120},
    epilog="\b\nExamples:\n  threecx-xapi api GET '/Users(29)'\n"
    "  threecx-xapi api GET '/Users?$top=5&$select=Id,Number'\n"
    "  threecx-xapi api PATCH '/Users(29)' --data '{\"FirstName\": \"Ada\"}'",
)
@click.argument("method", type=click.Choice(_METHODS, case_sensitive=False))
@click.argument("path")
@click.option("--data", metavar="JSON|@FILE|-", help="JSON body (text, @file, - for stdin)")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), help="output format")
@click.option("--query", "--jmespath", "jmespath", help="JMESPath expression to reshape the output")
@click.option("--output", "-o", metavar="FILE", help="write a file answer here ('-' for stdout)")
@click.option("--dry-run", is_flag=True, help="print the request and send nothing")
@click.pass_obj
def api_command(
    connection: Connection,
    method: str,
    path: str,
    data: str | None,
    fmt: str | None,
    jmespath: str | None,
    output: str | None,
    dry_run: bool,
) -> None:
    """Any XAPI request: METHOD and a PATH under /xapi/v1, with auth and retries."""
    relative = _relative(path)
    body = read_data(data)
    check_fleet_output(connection, output)
    printer = Printer(fmt or default_format(sys.stdout), sys.stdout, sys.stderr, query=jmespath)

    def work(pbx: XAPI, printer: Printer, name: str) -> None:
        request: dict[str, Any] = {"method": method.upper(), "url": pbx.base_url + relative}
        request["headers"] = {"Accept": "application/json", **dict(connection.headers)}
        if body is not None:
            request["json"] = body
        try:
            # The client has no public raw request: _send is its one send-with-auth-and-retries path.
            response = pbx._send(method.upper(), request)
        except DryRunRequest as captured:
            print_request(captured.request, printer.out)
            return
        if not response.is_success:
            raise status_error_from_response(response, hint_client_id=pbx._client_id)
        _show(response, printer, fleet_output(output, name), prefix=f"{name}-" if name else "")

    for_each_pbx(connection, work, printer, dry_run=dry_run)


def _show(response: httpx.Response, printer: Printer, output: str | None, *, prefix: str) -> None:
    """Print a JSON answer (a collection's items as rows); save anything else, or JSON asked ``--output``."""
    if not response.content:
        return
    kind = response.headers.get("content-type", "")
    if "json" in kind and output is None:
        answer = response.json()
        collection = odata_collection(answer)
        if collection is not None:
            printer.collection(iter([collection[0]]), collection[1])
        else:
            printer.value(answer)
        return
    suggested = _file_name(response)
    where = save(
        io.BytesIO(response.content),
        output=output,
        suggested=prefix + suggested if suggested else None,
        fallback=f"{prefix}answer.bin",
    )
    if where is not None:
        print(f"saved {len(response.content)} bytes to {where}", file=sys.stderr)
