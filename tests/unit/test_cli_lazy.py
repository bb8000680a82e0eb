"""`sandbox` imports a command's module only when that command runs, and `--help` still lists
every command with the help click would show (sandbox/cli_lazy.py, the table in sandbox/cli.py).

A lab's CI pipeline calls `sandbox check ...` several times per grading: each call must not
pay for boto3, the lab engine or jsonschema.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest

from sandbox.cli import COMMANDS
from sandbox.cli_lazy import LazyGroup, load

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "labs" / "05-cicd" / "solution" / "app" / "Dockerfile"
FormatCommands = Callable[[click.Group, click.Context, click.HelpFormatter], None]
HEAVY = ("boto3", "botocore.session", "jsonschema", "sandbox.labs", "sandbox.stack", "textual")


def modules_loaded_by(*args: str) -> set[str]:
    """The modules a fresh `sandbox ARGS` process has imported when the command returns."""
    probe = (
        "import sys; from click.testing import CliRunner; from sandbox.cli import cli; "
        f"CliRunner().invoke(cli, {list(args)!r}, catch_exceptions=False); "
        "print(' '.join(sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    return set(done.stdout.split())


def heavy(modules: set[str], among: tuple[str, ...] = HEAVY) -> list[str]:
    return sorted(m for m in modules if m.startswith(among))


def test_check_dockerfile_imports_neither_boto3_nor_jsonschema_nor_the_lab_engine() -> None:
    assert heavy(modules_loaded_by("check", "dockerfile", str(DOCKERFILE))) == []


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_import_no_sdk_stack_or_lab_engine(args: list[str]) -> None:
    assert heavy(modules_loaded_by(*args)) == []


@pytest.mark.parametrize("command", ["deploy", "fire"])
def test_the_help_of_an_aws_command_does_not_import_boto3(command: str) -> None:
    """boto3 comes with the first client: ~0.1 s that --help, or a stopped stack, never needs."""
    assert heavy(modules_loaded_by(command, "--help"), ("boto3", "botocore.session")) == []


def test_sandbox_help_imports_no_command_module_and_lists_every_command() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from sandbox.cli import main; main()", "--help"],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    listed = done.stdout.split("Commands:")[1].split()
    assert set(COMMANDS) <= set(listed)
    commands = {m for m in modules_loaded_by("--help") if m.startswith("sandbox.cli_")}
    assert commands == {"sandbox.cli_lazy"}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_in_the_table_resolves_to_a_click_command_of_that_name(name: str) -> None:
    assert load(COMMANDS[name].target).name == name


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_table_holds_the_first_sentence_of_each_command_help(name: str) -> None:
    command = load(COMMANDS[name].target)
    first_sentence = command.get_short_help_str(limit=10_000)
    assert COMMANDS[name].help == first_sentence, f"the table's help for {name!r}"


def listing(group: LazyGroup, width: int, format_commands: FormatCommands) -> str:
    ctx = click.Context(group, info_name="sandbox", terminal_width=width)
    formatter = ctx.make_formatter()
    format_commands(group, ctx, formatter)
    return formatter.getvalue()


@pytest.mark.parametrize("width", [60, 80, 120])
def test_the_help_lists_commands_exactly_as_click_does_once_they_are_imported(width: int) -> None:
    lazy, loaded = LazyGroup(lazy=COMMANDS), LazyGroup(lazy=COMMANDS)
    # click.Group's own listing calls get_command, which imports every command.
    assert listing(lazy, width, LazyGroup.format_commands) == listing(
        loaded, width, click.Group.format_commands
    )
    assert lazy.commands == {}, "listing the commands imported one"


def test_an_unknown_command_is_still_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from sandbox.cli import main; main()", "nosuch"],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 2
    assert "No such command 'nosuch'" in done.stderr
