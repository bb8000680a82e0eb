"""The Labs screen: the labs with their scores, a lab's instructions beside its checks, live
grading, a watch toggle (check again whenever a workspace file changes, and say only what
changed), hints, start, undo (back to the start of the current step) and reset."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import DataTable, Markdown, OptionList

from sandbox.errors import SandboxError
from sandbox.labs.checks.base import Status
from sandbox.labs.engine import LabStart
from sandbox.labs.lifecycle import Switch
from sandbox.labs.runner import CheckResult, LabReport
from sandbox.tui.commands import bindings
from sandbox.tui.labview import changes_note, left_note, started_note
from sandbox.tui.messages import CheckProgress
from sandbox.tui.models import HintView, LabDetail, LabRow
from sandbox.tui.screens.base import SandboxScreen
from sandbox.tui.screens.confirm import ConfirmScreen
from sandbox.tui.widgets.check_detail import CheckDetail
from sandbox.tui.widgets.check_table import CheckTable
from sandbox.tui.widgets.lab_list import LabList


class LabsScreen(SandboxScreen):
    MODE = "labs"
    AUTO_FOCUS = "#checks"
    BINDINGS: ClassVar[list[BindingType]] = bindings("labs")

    WATCH_EVERY = 1.0  # seconds between looks at the workspace while watching

    def __init__(self) -> None:
        super().__init__()
        self.detail: LabDetail | None = None
        self.grading = False
        self.watching: str | None = None  # the lab whose workspace is watched
        self._watch_timer: Timer | None = None
        self._stamp: str | None = None  # the workspace as last graded
        self._last: LabReport | None = None  # the last grading while watching

    def compose(self) -> ComposeResult:
        yield from self.frame_top()
        with Horizontal(id="labs-body"):
            with Vertical(id="labs-left"):
                yield LabList()
                yield CheckTable()
                yield CheckDetail()
            with VerticalScroll(id="lab-doc"):
                yield Markdown("", id="lab-markdown")
        yield from self.frame_bottom()

    def on_mount(self) -> None:
        self.reload()

    @property
    def lab_id(self) -> str | None:
        return self.query_one(LabList).selected

    @property
    def checks(self) -> CheckTable:
        return self.query_one(CheckTable)

    # -- loading --------------------------------------------------------------------------

    def reload(self) -> None:
        self.background("load the labs", self.source.labs, self._show_labs)

    def _show_labs(self, rows: list[LabRow]) -> None:
        self.query_one(LabList).show(rows)
        self._load_detail()

    @on(OptionList.OptionHighlighted, "#lab-list")
    def _load_detail(self) -> None:
        lab_id = self.lab_id
        if lab_id and (self.detail is None or self.detail.id != lab_id):
            self.background(f"load {lab_id}", lambda: self.source.lab_detail(lab_id),
                            self._show_detail)  # fmt: skip

    def _show_detail(self, detail: LabDetail) -> None:
        self.detail = detail
        self.checks.show(detail.checks)
        self.query_one("#lab-markdown", Markdown).update(detail.markdown)
        self._describe()

    @on(DataTable.RowHighlighted, "#checks")
    def _describe(self) -> None:
        check_id = self.checks.selected
        if self.detail is None or check_id is None:
            return
        check = self.checks.checks[check_id]
        self.query_one(CheckDetail).show(check, self.checks.states[check_id],
                                         self.checks.results.get(check_id),
                                         self.detail.revealed.get(check_id, ()))  # fmt: skip

    # -- grading --------------------------------------------------------------------------

    def action_check_all(self) -> None:
        self._grade(None)

    def action_check_step(self) -> None:
        check_id = self.checks.selected
        if self.detail is not None and check_id is not None:
            self._grade(self.detail.step_of(check_id))

    def _grade(self, step: str | None) -> None:
        lab_id = self.lab_id
        if self.grading:
            self.notify("The checks are already running.")
            return
        if lab_id is None or self.detail is None:
            return
        self.grading = True
        for check in self.detail.checks:
            if step in (None, check.step):
                self.checks.set_state(check.id, "waiting")
        self._describe()

        def listener(check_id: str, result: CheckResult | None) -> None:
            self.post_message(CheckProgress(check_id, result))

        def waiting(message: str) -> None:  # another grading of the stack runs: say so
            self.app.call_from_thread(self.notify, message, markup=False)

        def work() -> LabReport:
            return self.source.grade(lab_id, step, listener, waiting)

        label = f"check {lab_id}" + (f" step {step}" if step else "")
        self.background(label, work, self._graded)

    @on(CheckProgress)
    def _progress(self, message: CheckProgress) -> None:
        result = message.result
        self.checks.set_state(message.check_id, result.status if result else "running", result)
        if message.check_id == self.checks.selected:
            self._describe()

    def _graded(self, report: LabReport) -> None:
        self.grading = False
        if self.watching == report.lab_id and self.detail and self.detail.id == report.lab_id:
            self._watch_graded(report)
            return
        passed = report.count(Status.PASSED)
        total = len(report.results)
        text = f"{report.lab_id}: {report.score}/{report.max_score} points, {passed}/{total} passed"
        if report.unreachable:
            down = len(report.unreachable)
            text += f"; {down} could not run (a service is down): check again once it is up"
        self.notify(text, markup=False, severity="warning" if report.unreachable else "information")
        self.background("load the labs", self.source.labs, self.query_one(LabList).show)

    def task_failed(self, label: str, error: SandboxError) -> None:
        if label.startswith("check "):
            self.grading = False
            for check_id, state in self.checks.states.items():
                if state in ("waiting", "running"):
                    self.checks.set_state(check_id, "not run")

    # -- watching -------------------------------------------------------------------------

    def action_toggle_watch(self) -> None:
        if self.watching is not None:
            self._stop_watching()
            self.notify("stopped watching the workspace")
            return
        lab_id = self.lab_id
        if lab_id is None:
            return
        self.watching, self._stamp, self._last = lab_id, None, None
        self.query_one(LabList).border_subtitle = f"watching {lab_id}: w stops"
        self._watch_timer = self.set_interval(self.WATCH_EVERY, self._watch_tick)
        self._watch_tick()

    def _stop_watching(self) -> None:
        if self._watch_timer is not None:
            self._watch_timer.stop()
        self.watching, self._watch_timer = None, None
        self.query_one(LabList).border_subtitle = ""

    def _watch_tick(self) -> None:
        if self.watching is not None and not self.grading:
            self._look(self.watching)

    @work(thread=True, group="watch", exclusive=True)
    def _look(self, lab_id: str) -> None:
        try:
            stamp = self.source.workspace_stamp(lab_id)
        except Exception:  # a workspace that went away: the next grading says why
            return
        self.app.call_from_thread(self._looked, lab_id, stamp)

    def _looked(self, lab_id: str, stamp: str) -> None:
        if lab_id != self.watching or stamp == self._stamp or self.grading:
            return
        if self.detail is None or self.detail.id != lab_id:
            return  # another lab is shown: its check table cannot show this grading
        self._stamp = stamp
        self._grade(None)

    def _watch_graded(self, report: LabReport) -> None:
        note = changes_note(self._last, report)
        self._last = report
        self.notify(note, title=f"watching {report.lab_id}", markup=False)
        self.background("load the labs", self.source.labs, self.query_one(LabList).show)

    # -- hints, start, reset --------------------------------------------------------------

    def action_hint(self) -> None:
        lab_id, check_id = self.lab_id, self.checks.selected
        if lab_id is not None:
            self.background("reveal a hint", lambda: self.source.hint(lab_id, check_id),
                            self._hint_shown)  # fmt: skip

    def _hint_shown(self, hint: HintView | None) -> None:
        if hint is None or self.detail is None:
            self.notify("No more hints for this check.")
            return
        revealed = self.detail.revealed.get(hint.check_id, ())
        self.detail.revealed[hint.check_id] = (*revealed, hint.text)
        cost = f" (costs {hint.cost} point(s))" if hint.cost else ""
        self.notify(f"hint {hint.number} for {hint.check_id}{cost}", markup=False)
        self._describe()

    def action_start_lab(self) -> None:
        lab_id = self.lab_id
        if lab_id is not None:
            self.background(f"start {lab_id}", lambda: self.source.start_lab(lab_id),
                            self._started)  # fmt: skip

    def _started(self, started: LabStart) -> None:
        self.notify(started_note(started), title="lab started", markup=False, timeout=8)
        self.reload()

    def action_leave_lab(self) -> None:
        self.background("leave the lab", self.source.stop_lab, self._left)

    def _left(self, switch: Switch) -> None:
        self.notify(left_note(switch), title="lab", markup=False, timeout=8)
        self.reload()

    def action_undo_step(self) -> None:
        lab_id = self.lab_id
        if lab_id is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.background(f"undo {lab_id}", lambda: self.source.undo_lab(lab_id),
                                self._undone)  # fmt: skip

        question = (f"Put the stack's data back as it was when you started your current step "
                    f"of {lab_id}? Your files are not touched, and what is there now is saved "
                    "first, so this can be undone too.")  # fmt: skip
        self.app.push_screen(ConfirmScreen(f"Undo step of {lab_id}", question), answered)

    def _undone(self, note: str) -> None:
        self.notify(note, title="undo", markup=False, timeout=10)
        self.reload()

    def action_reset_lab(self) -> None:
        lab_id = self.lab_id
        if lab_id is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.background(f"reset {lab_id}", lambda: self.source.reset_lab(lab_id),
                                lambda _: self._after_reset())  # fmt: skip

        question = f"Delete your workspace copy of {lab_id} and your progress (score, hints)?"
        self.app.push_screen(ConfirmScreen(f"Reset {lab_id}", question), answered)

    def _after_reset(self) -> None:
        self.detail = None
        self.notify("lab reset: press o to start it again")
        self.reload()
