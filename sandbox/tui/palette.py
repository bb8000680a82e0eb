"""The command palette (ctrl+p): every screen and every action of every screen."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from textual.app import App, SystemCommand

from sandbox.tui.commands import ACTIONS, SCREENS, Action, key_label, title_of


def system_commands(app: App[Any]) -> Iterator[SystemCommand]:
    for screen in SCREENS:
        yield SystemCommand(f"Go to {screen.title}", f"key {screen.key}",
                            partial(app.switch_mode, screen.mode))  # fmt: skip
    for action in ACTIONS:
        if action.mode:
            yield SystemCommand(f"{title_of(action.mode)}: {action.description}",
                                _help(action), partial(run, app, action))  # fmt: skip


def _help(action: Action) -> str:
    text = f"key {key_label(action.key)} on {title_of(action.mode)}"
    return f"{text}  ·  CLI: {action.cli}" if action.cli else text


async def run(app: App[Any], action: Action) -> None:
    """Go to the action's screen, then do it there."""
    await app.switch_mode(action.mode)
    await app.screen.run_action(action.action)
