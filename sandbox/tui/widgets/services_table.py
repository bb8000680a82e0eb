"""The services of the stack: state (with its health colour), pid, port, uptime, restarts, URL."""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.widgets import DataTable

from sandbox.stack.model import ServiceStatus, StackStatus, State
from sandbox.tui.fmt import duration
from sandbox.tui.theme import Palette, palette, plain, styled

COLUMNS = ("service", "state", "pid", "port", "uptime", "restarts", "url")
MARKS = {
    State.HEALTHY: ("● healthy", "text-success"),
    State.STARTING: ("◌ starting", "text-warning"),
    State.UNHEALTHY: ("▲ unhealthy", "text-warning"),
    State.STOPPED: ("○ stopped", "text-muted"),
    State.FAILED: ("✗ failed", "text-error"),
    State.UNSUPERVISED: ("▲ unsupervised", "text-error"),
}


class ServicesTable(DataTable[Text]):
    def __init__(self) -> None:
        super().__init__(id="services", cursor_type="row")

    def on_mount(self) -> None:
        for column in COLUMNS:
            self.add_column(column.upper(), key=column)

    def show(self, status: StackStatus, now: float) -> None:
        colours = palette(self.app)
        for name, service in status.services.items():
            cells = row(service, now, colours)
            if name in self.rows:
                for column, value in zip(COLUMNS, cells, strict=True):
                    self.update_cell(name, column, value, update_width=True)
            else:
                self.add_row(*cells, key=name)

    @property
    def selected(self) -> str | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None


def row(service: ServiceStatus, now: float, colours: Palette) -> tuple[Text, ...]:
    text, colour = MARKS[service.state]
    uptime = service.uptime(now)
    return (
        plain(service.name),
        styled(colours, text, colour),
        plain(str(service.pid or "-")),
        plain(str(service.port or "-")),
        plain(duration(uptime) if uptime is not None else "-"),
        plain(str(service.restarts)),
        plain(service.url),
    )


def notes(status: StackStatus) -> list[Content]:
    """A service's error and last exit, the way `sandbox status` prints them."""
    found = []
    for service in status.services.values():
        if service.error:
            found.append(Content.styled(f"{service.name}: {service.error}", "$text-error"))
        if service.last_exit:
            reason = service.last_exit.reason or f"exit code {service.last_exit.code}"
            found.append(Content.styled(f"{service.name}: last exit: {reason}", "$text-warning"))
    if status.lost_supervisor_pid is not None:
        found.append(Content.styled("the supervisor died: press u (up) to take the services "
                                    "over", "$text-error"))  # fmt: skip
    return found
