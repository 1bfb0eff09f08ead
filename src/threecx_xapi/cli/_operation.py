"""One command per operation, built from its registry record when it is asked for, and run through the SDK.

Options: the operation's parameters named after the SDK's arguments in kebab case (``--id``,
``--period-from``), its OData options (``--top --skip --filter --search --count --select --orderby
--expand``), a body from ``--data`` / ``--set`` (an action's parameters are options too), and the output
options. Where a parameter takes the name of an output option (``--limit`` and ``--query`` are parameters
of a few operations), the output option is there under its other name only (``--max-items``,
``--jmespath``); the command line's other options step aside the same way (``--data`` to ``--body``,
``--format`` to ``--output-format``, ...), so no parameter of a regenerated client is ever shadowed.
The call goes through the public client: ``getattr(getattr(pbx, resource), method)``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any

import click

from threecx_xapi import XAPI, XAPIError
from threecx_xapi._unsupported import unsupported_operation

from ._catalog import Entry, kebab
from ._connection import Connection, DryRunRequest, print_request
from ._errors import CommandError
from ._files import ChunkReader, save
from ._fleet import Rows, check_fleet_output, fleet_output, for_each_pbx
from ._input import ParamType, action_arguments, entity_body, literal_type, read_data
from ._output import FORMATS, Printer, default_format, odata_collection, to_wire, with_progress

__all__ = ["ALL_PAGE_SIZE", "build_command"]

ALL_PAGE_SIZE = 100  # $top per page when --all or --limit walks a collection without --top
_ODATA: dict[str, tuple[ParamType | None, str]] = {
    "$top": (click.IntRange(min=0), "$top: items per page (with --all, the page size; default 100)"),
    "$skip": (click.IntRange(min=0), "$skip: items to skip"),
    "$search": (click.STRING, "$search: words to search for (quoted for you when they hold spaces)"),
    "$filter": (click.STRING, "$filter: an OData condition, e.g. \"startswith(Number,'1')\""),
    "$count": (None, "$count=true: include the total (@odata.count)"),
    "$select": (click.STRING, "$select: properties to return, comma-separated (also the table's columns)"),
    "$orderby": (click.STRING, "$orderby: e.g. 'Number desc', comma-separated"),
    "$expand": (click.STRING, "$expand: navigation properties to include, comma-separated"),
}
_EXAMPLES = {
    "int": "1",
    "bool": "true",
    "datetime": "2026-03-01T00:00:00Z",
    "uuid": "00000000-0000-4000-8000-000000000001",
    "string": "100",
}


def _is_file(value: object) -> bool:
    return hasattr(value, "payload") and hasattr(value, "file_name")


def _is_page(value: object) -> bool:
    return hasattr(value, "iter_pages") and hasattr(value, "items")


def _describe(param: Mapping[str, Any]) -> str:
    kind = {"key": "key", "alternate-key": "alternate key", "function": "function parameter", "header": "header"}
    text = f"{param['name']}: {kind.get(param['kind'], param['kind'])}, {param.get('literal') or param['type']}"
    return text + ("; omit to send null" if param.get("nullable") else "")


class _Plan:
    """Which option feeds which SDK argument, for one operation."""

    def __init__(self, entry: Entry) -> None:
        record = entry.record
        self.entry = entry
        self.params: list[click.Parameter] = []
        self.arguments: dict[str, str] = {}  # click name -> SDK keyword (path and header parameters)
        self.odata: dict[str, str] = {}  # click name -> SDK keyword ($top -> top)
        self.body_options: dict[str, str] = {}  # click name -> action parameter's Python name
        self.body = record.get("body")
        response = record.get("response") or {}
        self.collection = bool(response.get("collection_item"))
        self.file = bool(response.get("file"))
        taken: set[str] = set()

        def own(flag: str, fallback: str) -> str:
            """The command line's own option name, or its fallback where a parameter already has that name."""
            return fallback if flag in taken else flag

        def option(flag: str, name: str, **attrs: Any) -> None:
            taken.add(flag)
            self.params.append(click.Option([flag, name], **attrs))

        for param in record["parameters"]:
            python = str(param["python_name"])
            if param["location"] == "path":
                name = f"p_{python}"
                option(
                    f"--{kebab(python)}",
                    name,
                    type=literal_type(param.get("literal")),
                    required=not param.get("nullable"),
                    help=_describe(param),
                )
                self.arguments[name] = python
            elif param["location"] == "header":
                name = f"h_{python}"
                option(f"--{kebab(python)}", name, help=_describe(param))
                self.arguments[name] = python
        for wire in record.get("odata_options") or ():
            kind, text = _ODATA[wire]
            keyword = wire[1:]
            name = f"o_{keyword}"
            if kind is None:
                option(f"--{keyword}", name, is_flag=True, default=None, help=text)
            else:
                option(f"--{keyword}", name, type=kind, help=text)
            self.odata[name] = keyword
        if self.body is not None:
            if self.body["kind"] == "parameters":
                for prop in self.body.get("properties") or ():
                    python = prop.get("python_name")
                    if python and f"--{kebab(python)}" not in taken:
                        name = f"b_{python}"
                        option(f"--{kebab(python)}", name, help=f"{prop['name']}: action parameter, {prop['type']}")
                        self.body_options[name] = python
            what = "the action's parameters" if self.body["kind"] == "parameters" else f"the {self.body['model']}"
            option(
                own("--data", "--body"),
                "data",
                metavar="JSON|@FILE|-",
                help=f"{what} as a JSON object (text, @file, - for stdin)",
            )
            option(
                own("--set", "--set-field"),
                "sets",
                multiple=True,
                metavar="FIELD=VALUE",
                help="one field (repeatable): text for text fields, JSON for others (true, 5, [1,2], null)",
            )

        def alias(*flags: str) -> list[str]:
            return [f for f in flags if f not in taken]

        self.params.append(
            click.Option(
                [own("--format", "--output-format"), "-f", "fmt"], type=click.Choice(FORMATS), help="output format"
            )
        )
        self.params.append(
            click.Option(
                [*alias("--query"), "--jmespath", "jmespath"], help="JMESPath expression to reshape the output"
            )
        )
        if self.collection:
            self.params.append(
                click.Option([own("--all", "--all-pages"), "walk"], is_flag=True, help="every page, streamed")
            )
            self.params.append(
                click.Option(
                    [*alias("--limit"), "--max-items", "max_items"],
                    type=click.IntRange(min=1),
                    help="stop after this many items (walks pages as needed)",
                )
            )
        if self.file:
            self.params.append(
                click.Option(
                    [own("--output", "--output-file"), "-o", "output"],
                    metavar="FILE",
                    help="write a file answer here ('-' for stdout); default: its own name, in this folder",
                )
            )
        self.params.append(
            click.Option(
                [own("--dry-run", "--dry-run-request"), "dry_run"],
                is_flag=True,
                help="print the request and send nothing",
            )
        )

    # -- help ---------------------------------------------------------------------------------------------

    def example(self, resource: str) -> str:
        parts = ["threecx-xapi", resource, self.entry.command]
        for param in self.entry.record["parameters"]:
            if param["location"] == "path":
                value = _EXAMPLES.get(param.get("literal") or "string", "1")
                if param.get("literal") == "datetime" and "to" in str(param["name"]).lower().replace("today", ""):
                    value = "2026-03-31T23:59:59Z"
                parts += [f"--{kebab(param['python_name'])}", value]
        if self.collection:
            parts += ["--top", "10"]
        if self.body is not None:
            parts += ["--data", "@body.json"]
        return " ".join(parts)

    def help_text(self, resource: str) -> str:
        record = self.entry.record
        lines = [
            str(record.get("summary") or record["operation_id"]),
            "",
            "\b",
            f"{record['method']} {record['path']}",
            f"operation {record['operation_id']}; SDK: pbx.{self.entry.resource}.{self.entry.method}(...)",
        ]
        if self.body is not None:
            lines += ["", f"Body: {self.body.get('model') or 'JSON object'} from --data or --set."]
        if self.file:
            lines += ["", "May answer with a file: saved under its own name, or where --output says."]
        lines += ["", "\b", "Example:", f"  {self.example(resource)}"]
        return "\n".join(lines)


def build_command(resource: str, entry: Entry) -> click.Command:
    """The click command of one operation (built on demand: 601 of them are never built at once)."""
    plan = _Plan(entry)

    @click.pass_obj
    def callback(connection: Connection, /, **values: Any) -> None:
        run(plan, connection, values)

    return click.Command(
        entry.command,
        callback=callback,
        params=plan.params,
        help=plan.help_text(resource),
        short_help=str(entry.record.get("summary") or ""),
        context_settings={"max_content_width": 120},
    )


# -- running --------------------------------------------------------------------------------------------


def _arguments(plan: _Plan, values: Mapping[str, Any]) -> dict[str, Any]:
    """The SDK method's keyword arguments; bodies converted and checked before any connection is made."""
    kwargs: dict[str, Any] = {}
    for name, python in plan.arguments.items():
        value = values.get(name)
        if value is not None or name.startswith("p_"):  # an omitted nullable parameter is sent as null
            kwargs[python] = value
    for name, keyword in plan.odata.items():
        value = values.get(name)
        if value is not None and value is not False:  # --count is a flag: absent means no $count at all
            kwargs[keyword] = value
    body = plan.body
    if body is not None:
        data = read_data(values.get("data"))
        sets = values.get("sets") or ()
        if body["kind"] == "entity":
            wire = entity_body(body, data, sets)
            if wire is not None:
                kwargs["body"] = wire
        else:
            options = {python: values.get(name) for name, python in plan.body_options.items()}
            arguments, extra = action_arguments(body, data, sets, options)
            kwargs.update(arguments)
            if extra:
                kwargs["extra_body"] = extra
    return kwargs


def run(plan: _Plan, connection: Connection, values: Mapping[str, Any]) -> None:
    kwargs = _arguments(plan, values)
    walk = bool(values.get("walk"))
    limit: int | None = values.get("max_items")
    if (walk or limit) and "o_top" in plan.odata and kwargs.get("top") is None:
        kwargs["top"] = min(limit or ALL_PAGE_SIZE, ALL_PAGE_SIZE)
    output = values.get("output")
    check_fleet_output(connection, output)
    fmt = values.get("fmt") or ("json" if output not in (None, "-") else default_format(sys.stdout))
    query = values.get("jmespath")
    select = str(kwargs.get("select") or "")
    printer = Printer(
        fmt, sys.stdout, sys.stderr, query=query, columns=[c.strip() for c in select.split(",") if c.strip()]
    )
    method = plan.entry.method

    def work(pbx: XAPI, printer: Printer, name: str) -> None:
        resource = getattr(pbx, plan.entry.resource)
        target = fleet_output(output, name)
        prefix = f"{name}-" if name else ""  # with several PBXs, files saved under their own name get the PBX's
        try:
            if plan.entry.record["response"].get("file"):  # a download: a file answer streams to disk
                with getattr(resource.with_streaming_response, method)(**kwargs) as answer:
                    if not answer.http_response.is_stream_consumed:
                        save_stream(answer, output=target, name=method, prefix=prefix)
                        return
                    result = answer.parse()
            else:
                result = getattr(resource, method)(**kwargs)
        except DryRunRequest as captured:
            print_request(captured.request, printer.out)
            return
        except XAPIError as error:
            if name:  # one of several PBXs: an operation its XAPI lacks is said so, with its version
                raise unsupported_operation(error, operation=plan.entry.record["operation_id"]) from None
            raise
        emit(result, printer, walk=walk, limit=limit, output=target, name=method, prefix=prefix)

    for_each_pbx(connection, work, printer, dry_run=bool(values.get("dry_run")))


def save_stream(answer: Any, *, output: str | None, name: str, prefix: str = "") -> None:
    """Write a file answer still on the wire chunk by chunk (memory stays flat whatever its size)."""
    reader = ChunkReader(answer.iter_bytes())
    suggested = prefix + answer.file_name if answer.file_name else None
    where = save(reader, output=output, suggested=suggested, fallback=f"{prefix}{name}.bin")
    if where is not None:
        print(f"saved {reader.size} bytes to {where}", file=sys.stderr)


def emit(
    result: Any, printer: Printer, *, walk: bool, limit: int | None, output: str | None, name: str, prefix: str = ""
) -> None:
    """Print (or save) what the SDK returned; ``--output`` takes a JSON answer as well as a file."""
    if _is_file(result):
        suggested = prefix + result.file_name if result.file_name else None
        where = save(result.payload, output=output, suggested=suggested, fallback=f"{prefix}{name}.bin")
        if where is not None:
            size = result.payload.tell()
            print(f"saved {size} bytes to {where}", file=sys.stderr)
        return
    if output is None or output == "-":
        _print(result, printer, walk=walk, limit=limit)
        return
    try:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            _print(result, printer.to(handle), walk=walk, limit=limit)
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from None
    print(f"wrote the answer ({printer.fmt}) to {output}", file=sys.stderr)


def _print(result: Any, printer: Printer, *, walk: bool, limit: int | None) -> None:
    if _is_page(result):
        pages: Iterator[Any] = result.iter_pages() if (walk or limit) else iter([result])
        shown = walk and _tty(sys.stderr) and not isinstance(printer, Rows)  # no bars racing for one PBX of many
        stream = with_progress(_items(pages, limit), result.count, enabled=shown)
        printer.collection(stream, result.count)
        return
    if result is None:
        return
    wire = to_wire(result)
    if isinstance(wire, dict):
        wire.pop("@odata.context", None)  # metadata, not data: the entity can go back as --data as printed
    collection = odata_collection(wire)  # an action answering a collection (retreive_peers_by_numbers)
    if collection is not None:
        items, count = collection
        printer.collection(iter([items[:limit] if limit else items]), count)
        return
    printer.value(wire)


def _items(pages: Iterator[Any], limit: int | None) -> Iterator[list[Any]]:
    """Each page's items as wire dicts, cut off after ``limit`` (no further page is requested then)."""
    left = limit
    for page in pages:
        items = [to_wire(item) for item in page.items]
        if left is not None:
            items = items[:left]
            left -= len(items)
        yield items
        if left is not None and left <= 0:
            return


def _tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
