"""threecx-xapi in a few seconds, with no PBX: ``make demo``.

Starts the package's loopback XAPI test server (:class:`threecx_xapi.testing.XAPITestServer`, real HTTP on
127.0.0.1, a seeded office of 100 users and 250 contacts), then walks through what the SDK does on the wire:

1. the five operations this project started from, each with the request as the server received it (decoded
   for reading) and what came back;
2. auto-paging across the Contacts ``$top`` cap of 100;
3. a filtered, selected, ordered query with the ``F`` builder;
4. an error, raised with its OData message.

Every request shown is taken from the server's request log, so it is exactly what a PBX would receive.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import textwrap
from collections.abc import Sequence

from threecx_xapi import _registry as registry
from threecx_xapi import File

from threecx_xapi import XAPI, XAPI_VERSION, APIStatusError, F
from threecx_xapi.testing import RecordedRequest, XAPITestServer

API = "/xapi/v1/"
WIDTH = 100
INDENT = "    "


class Notes(logging.Handler):
    """What the SDK logs (a ``$top`` cap makes it page in smaller pages), kept to be printed where it belongs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self._messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self._messages.append(record.getMessage())

    def take(self) -> list[str]:
        taken, self._messages = self._messages, []
        return taken


class Wire:
    """The XAPI requests the server received since the last look, for printing next to each call."""

    def __init__(self, server: XAPITestServer) -> None:
        self._server = server
        self._seen = len(server.requests)

    def new(self) -> list[RecordedRequest]:
        log = self._server.requests.snapshot()
        fresh, self._seen = log[self._seen :], len(log)
        return [r for r in fresh if r.path.startswith(API)]  # the token request is not part of the story

    def show(self) -> None:
        for request in self.new():
            show_request(request)


def show_request(request: RecordedRequest) -> None:
    """``→ GET /xapi/v1/...`` with the query wrapped at ``&`` and the JSON body, if any, below it."""
    path, _, query = request.decoded_path.partition("?")
    head, parenthesis, parameters = path.rpartition("(")
    if len(path) > WIDTH - 8 and parenthesis:  # a function call: its parameters on a line of their own
        print(f"  → {request.method} {head}(")
        print(f"{INDENT}  {parameters}")
    else:
        print(f"  → {request.method} {path}")
    if query:
        lines = textwrap.wrap("?" + query.replace("&", " &"), WIDTH - len(INDENT) - 2, break_on_hyphens=False)
        for line in lines:
            print(f"{INDENT}  {line.replace(' &', '&')}")
    if request.body:
        print(f"{INDENT}  body {request.body.decode()}")


def answer(text: str) -> None:
    print(f"  ← {text}")


def title(number: int, text: str) -> None:
    print(f"\n{number}. {text}")


def table(rows: Sequence[Sequence[object]]) -> None:
    """Rows as aligned columns, indented under the answer."""
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(INDENT + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


# -- the walkthrough -------------------------------------------------------------------------------------------


def seed_operations(pbx: XAPI, wire: Wire) -> None:
    """The five operations the project was asked to get right, each with its quirk."""
    title(1, "Users / ExportExtensions with all eight OData options ($search is quoted, it has a space)")
    export = pbx.users.export_extensions(
        top=50,
        skip=0,
        search="Alice Andersen",
        filter=F.Number.startswith("1"),
        count=True,
        select=["Id", "Number", "FirstName"],
        orderby="Number desc",
        expand="Groups",
    )
    wire.show()
    if isinstance(export, File):  # a PBX may answer an export with a file: the SDK hands it over, bytes intact
        data = export.payload.read()
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        count = len(rows) - 1
        plural = "" if count == 1 else "s"
        answer(f"{export.file_name or 'a file'} ({export.mime_type}, {len(data):,} bytes): {count} row{plural}")
        table([rows[0][:4], *(row[:4] for row in rows[1:3])])
    else:
        answer(f"{len(export.items)} of {export.count} users: " + ", ".join(str(u.number) for u in export.items))

    title(2, "Directories / GetDirectoryInfo with a Parameters JSON body")
    directory = pbx.directories.get_directory_info(parameters={"Filesystem": "Local", "Path": "/"})
    wire.show()
    if directory is None:  # the document allows a null answer
        answer("null")
    else:
        answer(f"{type(directory).__name__}: path {directory.path!r}, directories {directory.dirs}")

    title(3, "Backups / GetFailoverScripts with $top, $skip, $search, $filter, $count")
    scripts = pbx.backups.get_failover_scripts(
        top=10, skip=0, search="filename8", filter=F.Filename.endswith(".wav"), count=True
    )
    wire.show()
    answer(f"{len(scripts.items)} of {scripts.count} scripts: " + ", ".join(str(s.filename) for s in scripts.items))

    title(4, "Peers / RetreivePeersByNumbers with DnNumbers given as integers (the document says strings)")
    peers = pbx.peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [100, 101]})
    wire.show()
    found = peers.value or []
    answer(f"{len(found)} peers: " + ", ".join(f"{p.number} {p.name}" for p in found))

    title(5, "ReportExtensionStatisticsByGroup / GetExtensionStatisticsByGroupData: OData function literals")
    stats = pbx.report_extension_statistics_by_group.get_extension_statistics_by_group_data(
        group_number="GRP0000",
        period_from=dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc),
        period_to=dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=dt.timezone.utc),
        call_area=0,
        top=100,
    )
    wire.show()
    answer(f"{len(stats.items)} extensions")
    table(
        [
            ("Dn", "Name", "In answered", "Out answered"),
            *((s.dn, s.display_name, s.inbound_answered_count, s.outbound_answered_count) for s in stats.items),
        ]
    )


def paging(pbx: XAPI, wire: Wire, notes: Notes) -> None:
    title(6, "Auto-paging across the Contacts $top cap: ask for 250, the PBX allows 100 a page")
    page = pbx.contacts.list_contact(top=250, count=True, orderby="Id")
    names = [f"{c.first_name} {c.last_name}" for c in page.auto_paging()]
    first, *rest = wire.new()
    show_request(first)
    answer("400 Bad Request: over the cap. Not an error to the caller: the SDK logs it and goes on")
    for note in notes.take():
        print(f"{INDENT}  {note}")
    for request in rest:
        show_request(request)
    answer(f"{len(names)} contacts of {page.count}, first {names[0]!r}, last {names[-1]!r}")


def query(pbx: XAPI, wire: Wire) -> None:
    title(7, "A filtered, selected, ordered query: F escapes literals, O'Brien arrives as 'O''Brien'")
    users = pbx.users.list_user(
        filter=F.Number.startswith("10") & (F.LastName != "O'Brien") & F.Enabled.eq(True),
        select=["Number", "FirstName", "LastName"],
        orderby="Number desc",
        top=5,
    )
    wire.show()
    answer(f"{len(users.items)} users")
    table([("Number", "First name", "Last name"), *((u.number, u.first_name, u.last_name) for u in users.items)])


def error(pbx: XAPI, wire: Wire, taken_email: str) -> None:
    title(8, "An error: a second user with an e-mail address already in use")
    try:
        pbx.users.create_user(body={"FirstName": "Ada", "LastName": "Lovelace", "EmailAddress": taken_email})
    except APIStatusError as exc:
        wire.show()
        answer(f"{type(exc).__name__} {exc.status_code}: {' '.join((exc.message or '').split())}")
        for detail in exc.details:
            print(f"{INDENT}detail: target {detail.target}, message {detail.message}")
    else:  # pragma: no cover - the server refuses duplicates
        raise SystemExit("the server accepted a duplicate e-mail address")


def main() -> None:
    notes = Notes()
    logging.getLogger("threecx_xapi").addHandler(notes)
    with XAPITestServer() as server, server.xapi() as pbx:
        wire = Wire(server)
        operations = len(registry.operations())
        print(f"threecx-xapi: {operations} operations of XAPI {XAPI_VERSION}, test server at {server.url}")
        seed_operations(pbx, wire)
        paging(pbx, wire, notes)
        query(pbx, wire)
        taken = str(server.state.records("Users")[0]["EmailAddress"])
        error(pbx, wire, taken)
    print("\nserver stopped.")


if __name__ == "__main__":
    main()
