"""A click group that imports a command's module only when that command is used.

click documents the pattern ("Lazily Loading Subcommands"). Every `sandbox` call used to
import every command module (boto3, the lab engine, jsonschema: half a second), and a lab's
CI pipeline calls `sandbox check ...` several times per grading. `--help` lists the table's
help instead of importing every module; a test holds the table to the commands' own help.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, NamedTuple

import click


class Lazy(NamedTuple):
    """Where a command lives ("module:attribute"), and its help's first sentence for the list."""

    target: str
    help: str


class LazyGroup(click.Group):
    def __init__(self, *args: Any, lazy: Mapping[str, Lazy], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            self.add_command(load(self.lazy[cmd_name].target), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's list of commands, without importing the commands not loaded yet."""
        listed = [(name, self._listed(ctx, name)) for name in self.list_commands(ctx)]
        shown = [(name, cmd) for name, cmd in listed if cmd is not None and not cmd.hidden]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        with formatter.section("Commands"):
            formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in shown])

    def _listed(self, ctx: click.Context, name: str) -> click.Command | None:
        """The command if loaded, else a stand-in carrying the table's help (shortened alike)."""
        if name in self.lazy and name not in self.commands:
            return click.Command(name, help=self.lazy[name].help)
        return self.get_command(ctx, name)


def load(target: str) -> click.Command:
    """Import "module:attribute" and return the click command it names."""
    module, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module), attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{target} is not a click command")
    return command
