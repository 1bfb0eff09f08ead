"""``threecx-xapi completion bash|zsh|fish``: the script that completes resources, operations and options.

Completion runs the command line itself (click's ``_THREECX_XAPI_COMPLETE`` protocol), so it knows every
operation of the registry and every option of each, without a list kept anywhere.
"""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

__all__ = ["completion"]

_INSTALL = {
    "bash": 'eval "$(threecx-xapi completion bash)"    # in ~/.bashrc',
    "zsh": 'eval "$(threecx-xapi completion zsh)"     # in ~/.zshrc',
    "fish": "threecx-xapi completion fish > ~/.config/fish/completions/threecx-xapi.fish",
}


@click.command("completion", epilog="\b\n" + "\n".join(_INSTALL.values()))
@click.argument("shell", type=click.Choice(sorted(_INSTALL)))
def completion(shell: str) -> None:
    """Print the completion script for SHELL."""
    from ._app import cli

    completer = get_completion_class(shell)
    if completer is None:  # pragma: no cover - click ships all three
        raise click.UsageError(f"no completion for {shell}")
    click.echo(completer(cli, {}, "threecx-xapi", "_THREECX_XAPI_COMPLETE").source())
