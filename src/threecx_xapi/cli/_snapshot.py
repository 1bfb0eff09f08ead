"""``threecx-xapi snapshot --output DIR`` and ``threecx-xapi snapshot diff A B``: see :mod:`threecx_xapi.snapshot`.

Taking a snapshot exits 0 when anything could be read, denied (403) and failed areas listed on stderr and in
the manifest; when nothing could be read, or the PBX or the credentials fail, it exits with that failure's
code (3 connection, 4 authentication, 5 permission, ...) and writes no folder.

``snapshot diff A B`` compares two snapshot folders, or ``profile:NAME`` read live through a saved profile;
it prints Markdown (``--format json`` for machines) and exits 0 when there are no differences, 10 when there
are (the codes of :mod:`._errors` otherwise: 2 for a folder that is not a snapshot, ...).
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Iterator
from typing import Any

import click

from threecx_xapi import XAPI
from threecx_xapi import snapshot as snapshots

from ._connection import Connection, open_client
from ._errors import DIFFERENT, USAGE, CommandError
from ._fleet import check_fleet_output, fleet_output, run_each
from ._profiles import default_store

__all__ = ["snapshot"]

PROFILE_PREFIX = "profile:"
_EPILOG = """\b
Examples:
  threecx-xapi --profile office snapshot --output snapshots/2026-03-09
  threecx-xapi snapshot diff snapshots/2026-03-02 snapshots/2026-03-09
  threecx-xapi snapshot diff snapshots/2026-03-02 profile:office --format json
  threecx-xapi snapshot diff profile:tenant-a profile:tenant-b --ignore 'SystemStatus' --ignore '*.LastUsed'

\b
Exit codes of snapshot diff: 0 no differences, 10 differences, 2 bad input (see threecx-xapi --help)."""


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def _progress(label: str) -> Iterator[snapshots.Progress | None]:
    """A progress bar of resources read on stderr, on a terminal only."""
    if not _isatty(sys.stderr):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"))
    with Progress(*columns, TimeElapsedColumn(), console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task("", total=None)

        def advance(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=name)

        yield advance


def _read_live(
    connection: Connection, *, include_secrets: bool, concurrency: int, exclude: tuple[str, ...], output: str | None
) -> snapshots.Snapshot:
    try:
        with open_client(connection) as pbx, _progress("resources") as progress:
            return snapshots.take(
                pbx,
                output,
                include_secrets=include_secrets,
                concurrency=concurrency,
                exclude=exclude,
                progress=progress,
            )
    except snapshots.SnapshotError as exc:
        raise CommandError(str(exc), USAGE) from None


def _take_each(
    connection: Connection, *, include_secrets: bool, concurrency: int, exclude: tuple[str, ...], output: str
) -> None:
    """A snapshot of every chosen PBX at once, each into its own folder (``--output`` holds ``{pbx}``)."""
    check_fleet_output(connection, output)

    def take(name: str, pbx: XAPI) -> snapshots.Snapshot:
        folder = fleet_output(output, name)
        return snapshots.take(pbx, folder, include_secrets=include_secrets, concurrency=concurrency, exclude=exclude)

    run_each(connection, take, lambda name, snap: _report(snap, str(fleet_output(output, name)), f"pbx {name}: "),
             sys.stderr)  # fmt: skip


def _report(snap: snapshots.Snapshot, output: str, prefix: str = "") -> None:
    entities = sum(len(data.entities) for data in snap.resources.values() if data.collection)
    secrets = "included" if snap.secrets_included else "blanked"
    lines = [
        f"snapshot of {snap.pbx} (XAPI {snap.xapi_version or 'unknown'}): {len(snap.resources)} resources, "
        f"{entities} entities, secrets {secrets} -> {output}"
    ]
    if snap.denied:
        lines.append(f"denied (403): {', '.join(sorted(snap.denied))}")
    for name, failure in sorted(snap.failed.items()):
        lines.append(f"failed: {name}: {failure.message}")
    if snap.secrets_included:
        lines.append(f"warning: {output} holds secrets (passwords, PINs, keys); it is readable by you only")
    print("\n".join(prefix + line for line in lines), file=sys.stderr)


@click.group(
    "snapshot",
    invoke_without_command=True,
    context_settings={"max_content_width": 120},
    epilog=_EPILOG,
)
@click.option("--output", "-o", metavar="DIR", help="the folder to write the snapshot to (new or empty)")
@click.option("--include-secrets", is_flag=True, help="keep passwords, PINs and keys (blanked as *** otherwise)")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=snapshots.DEFAULT_CONCURRENCY,
    show_default=True,
    help="resources read at a time",
)
@click.option("--exclude", multiple=True, metavar="RESOURCE", help="leave a resource out, by path: CallHistoryView")
@click.pass_context
def snapshot(
    ctx: click.Context, output: str | None, include_secrets: bool, concurrency: int, exclude: tuple[str, ...]
) -> None:
    """Save every readable collection and setting of the PBX, one JSON file each, with a manifest.

    What is read comes from the registry: every entity set, singleton and singleton collection a GET reads
    without parameters. Denied (403) and failed areas are recorded in manifest.json, not fatal.
    `snapshot diff A B` compares two snapshots (folders, or profile:NAME read live).
    """
    if ctx.invoked_subcommand is not None:
        if output or include_secrets or exclude:
            command = ctx.invoked_subcommand
            raise click.UsageError(f"--output, --include-secrets and --exclude take a snapshot; not with {command!r}")
        return
    if not output:
        raise click.UsageError("missing --output DIR: the folder to write the snapshot to (or: snapshot diff A B)")
    connection = ctx.find_object(Connection) or Connection()
    if connection.fleet:
        _take_each(connection, include_secrets=include_secrets, concurrency=concurrency, exclude=exclude, output=output)
        return
    snap = _read_live(
        connection, include_secrets=include_secrets, concurrency=concurrency, exclude=exclude, output=output
    )
    _report(snap, output)


def _side(spec: str) -> tuple[str | None, snapshots.Snapshot | None]:
    """A profile name to read live, or a snapshot loaded from a folder; usage errors before anything is sent."""
    if spec.startswith(PROFILE_PREFIX):
        name = spec[len(PROFILE_PREFIX) :]
        if not name:
            raise CommandError(f"{spec!r}: name the profile, profile:NAME", USAGE)
        default_store().get(name)  # a usage error naming the saved ones when there is no such profile
        return name, None
    try:
        return None, snapshots.load(spec)
    except snapshots.SnapshotError as exc:
        raise CommandError(f"{exc} (give a snapshot folder or profile:NAME)", USAGE) from None


@snapshot.command("diff", epilog=_EPILOG)
@click.argument("a")
@click.argument("b")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="Markdown for people, JSON for machines",
)
@click.option(
    "--ignore",
    multiple=True,
    metavar="PATTERN",
    help="leave out a resource (glob: 'ActiveCalls') or fields ('SystemStatus.*', '*.LastUsed'); repeatable",
)
@click.option(
    "--include-secrets",
    is_flag=True,
    help="read profile: sides with secrets (secrets are compared only when both sides include them)",
)
@click.pass_obj
def diff_command(
    connection: Connection, a: str, b: str, fmt: str, ignore: tuple[str, ...], include_secrets: bool
) -> None:
    """What changed from snapshot A to snapshot B: entities added, removed and changed, field by field.

    A and B are snapshot folders, or profile:NAME to read a PBX live through a saved profile (leaving out
    what a folder side was taken without, --exclude). Exit code 0: no differences; 10: differences.
    """
    sides = [_side(a), _side(b)]
    # a live side leaves out what a folder side left out (--exclude when it was taken): like with like
    known = {resource.name for resource in snapshots.resources()}
    excluded = tuple(sorted({name for _, snap in sides if snap is not None for name in snap.excluded} & known))
    loaded: list[snapshots.Snapshot] = []
    for spec, (profile, snap) in zip((a, b), sides, strict=True):
        if snap is None:
            live = dataclasses.replace(connection, profile=profile, url=None, client_id=None, client_secret=None)
            snap = _read_live(
                live,
                include_secrets=include_secrets,
                concurrency=snapshots.DEFAULT_CONCURRENCY,
                exclude=excluded,
                output=None,
            )
            snap = dataclasses.replace(snap, source=spec)
        loaded.append(snap)
    result = snapshots.diff(loaded[0], loaded[1], ignore=ignore)
    if fmt == "json":
        sys.stdout.write(snapshots.canonical_json(result.to_dict()))
    else:
        sys.stdout.write(result.to_markdown())
    sys.stdout.flush()
    if result.has_differences:
        click.get_current_context().exit(DIFFERENT)
