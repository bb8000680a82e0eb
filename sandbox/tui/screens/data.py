"""The Data screen: DynamoDB tables and items, S3 buckets and objects, SQS queue depths, and
the saved snapshots of the whole stack."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import ContentSwitcher, Input, OptionList, Static

from sandbox.errors import SandboxError
from sandbox.tui.commands import bindings
from sandbox.tui.messages import TaskDone
from sandbox.tui.models import QueueRow
from sandbox.tui.screens.base import SandboxScreen
from sandbox.tui.widgets.item_table import ItemTable
from sandbox.tui.widgets.name_list import NameList
from sandbox.tui.widgets.queue_table import QueueTable
from sandbox.tui.widgets.section_bar import SectionBar
from sandbox.tui.widgets.snapshot_table import SnapshotTable

SECTIONS = [("ddb", "DynamoDB"), ("s3", "S3"), ("sqs", "SQS"), ("snapshots", "Snapshots")]


@dataclass(frozen=True)
class Listing:
    tables: list[str]
    buckets: list[str]


class DataScreen(SandboxScreen):
    MODE = "data"
    AUTO_FOCUS = "#tables"
    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings("data"), Binding("escape", "clear_filter", show=False),
    ]  # fmt: skip

    def compose(self) -> ComposeResult:
        yield from self.frame_top()
        summary = Static("", id="data-summary")  # shown only to say what went wrong
        summary.display = False
        yield summary
        yield SectionBar(SECTIONS, id="data-sections")
        with ContentSwitcher(initial="ddb", id="data-switcher"):
            with Horizontal(classes="browser", id="ddb"):
                yield NameList("Tables", id="tables")
                yield ItemTable(id="items")
            with Horizontal(classes="browser", id="s3"):
                yield NameList("Buckets", id="buckets")
                yield ItemTable(id="objects")
            yield QueueTable()
            yield SnapshotTable()
        field = Input(placeholder="filter items/objects: type text, Esc clears", id="data-filter")
        field.cursor_blink = self.sandbox.cursor_blink
        yield field
        yield from self.frame_bottom()

    def on_mount(self) -> None:
        self.action_refresh()
        self.start_polling()

    # -- loading --------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.background("list AWS resources", self._listing, self._show_listing, quiet=True)
        self.background("list snapshots", self.source.snapshots,
                        self.query_one(SnapshotTable).show, quiet=True)  # fmt: skip

    def _listing(self) -> Listing:
        return Listing(self.source.tables(), self.source.buckets())

    def _show_listing(self, listing: Listing) -> None:
        self.query_one("#data-summary", Static).display = False
        self.query_one("#tables", NameList).show(listing.tables)
        self.query_one("#buckets", NameList).show(listing.buckets)
        self._load_items()
        self._load_objects()

    def task_failed(self, label: str, error: SandboxError) -> None:
        summary = self.query_one("#data-summary", Static)
        summary.update(Content.styled(f" {error.render()}", "$text-error"))
        summary.display = True

    def poll(self) -> None:
        try:
            rows = self.source.queues()
        except Exception:  # the summary line says why, from the listing
            return
        self.post_message(TaskDone("queues", rows, self._show_queues))

    def _show_queues(self, rows: list[QueueRow]) -> None:
        self.query_one(QueueTable).show(rows)
        if self.query_one("#data-summary", Static).display:  # the emulator is back: reload
            self.action_refresh()

    @on(OptionList.OptionHighlighted, "#tables")
    def _load_items(self) -> None:
        table = self.query_one("#tables", NameList).selected
        if table:
            self.background(f"scan {table}", lambda: self.source.items(table),
                            lambda items: self.query_one("#items", ItemTable).show(items, table),
                            quiet=True)  # fmt: skip

    @on(OptionList.OptionHighlighted, "#buckets")
    def _load_objects(self) -> None:
        bucket = self.query_one("#buckets", NameList).selected
        if bucket:
            self.background(f"list {bucket}", lambda: self.source.objects(bucket),
                            lambda rows: self.query_one("#objects", ItemTable).show(rows, bucket),
                            quiet=True)  # fmt: skip

    # -- the filter -----------------------------------------------------------------------

    def action_filter(self) -> None:
        field = self.query_one("#data-filter", Input)
        field.add_class("-open")
        field.focus()

    @on(Input.Changed, "#data-filter")
    def _filter(self, event: Input.Changed) -> None:
        for table in self.query(ItemTable):
            table.set_filter(event.value)

    def action_clear_filter(self) -> None:
        field = self.query_one("#data-filter", Input)
        field.value = ""
        field.remove_class("-open")
