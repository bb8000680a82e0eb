"""The selected check: its title, step and points, its last result, and the hints revealed."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from sandbox.labs.runner import CheckResult
from sandbox.tui.models import CheckRow
from sandbox.tui.widgets.check_table import MARKS


class CheckDetail(Static):
    def __init__(self) -> None:
        super().__init__("", id="check-detail")
        self.border_title = "Check"

    def show(self, check: CheckRow, state: str, result: CheckResult | None,
             hints: tuple[str, ...]) -> None:  # fmt: skip
        self.update(describe(check, state, result, hints))


def describe(check: CheckRow, state: str, result: CheckResult | None,
             hints: tuple[str, ...]) -> Content:  # fmt: skip
    symbol, colour = MARKS.get(state, ("·", ""))
    style = f"${colour}" if colour else ""
    lines = [
        Content.assemble((check.id, "bold"), f"  ·  {check.step_title}  ·  {check.points} pts"),
        Content(check.title),
        Content.assemble((f"{symbol} {state}", style),
                         (f": {result.message}" if result and result.message else "", style)),
    ]  # fmt: skip
    lines += [Content.styled(f"hint {n}: {text}", "$text-accent") for n, text in
              enumerate(hints, 1)]  # fmt: skip
    if len(hints) < check.hints:
        lines.append(Content.styled(f"h reveals hint {len(hints) + 1} of {check.hints}",
                                    "$text-muted"))  # fmt: skip
    return Content("\n").join(lines)
