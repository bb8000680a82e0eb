"""The run as people see it: live progress while it runs, then a summary table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from sandbox.pipeline.results import Conclusion, JobResult, RunResult, StepResult

MARKS = {
    Conclusion.SUCCESS: "ok",
    Conclusion.FAILURE: "FAILED",
    Conclusion.CANCELLED: "cancelled",
    Conclusion.SKIPPED: "skipped",
}


class TextReporter:
    """Progress lines and each step's output (indented) as they come."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.job = ""

    def _print(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def job_started(self, name: str, notes: Sequence[str]) -> None:
        self.job = name
        self._print(f"== job {name}")
        for note in notes:
            self._print(f"   note: {note}")

    def step_started(self, number: int, total: int, name: str) -> None:
        self._print(f"-- [{self.job} {number}/{total}] {name}")

    def line(self, text: str) -> None:
        self._print(f"   | {text}")

    def step_finished(self, number: int, total: int, result: StepResult) -> None:
        self._print(
            f"-- [{self.job} {number}/{total}] {_verdict(result)}: {result.name}"
            f" ({result.seconds:.2f} s){_why(result.message)}"
        )

    def job_finished(self, result: JobResult) -> None:
        verdict = MARKS[result.conclusion]
        if result.outcome is Conclusion.FAILURE and result.conclusion is Conclusion.SUCCESS:
            verdict = "FAILED, continue-on-error"
        self._print(
            f"== job {result.name}: {verdict} ({result.seconds:.2f} s){_why(result.message)}"
        )


class QuietReporter:
    """Reports nothing (a grader or a benchmark reads the RunResult)."""

    def job_started(self, name: str, notes: Sequence[str]) -> None:
        pass

    def step_started(self, number: int, total: int, name: str) -> None:
        pass

    def line(self, text: str) -> None:
        pass

    def step_finished(self, number: int, total: int, result: StepResult) -> None:
        pass

    def job_finished(self, result: JobResult) -> None:
        pass


def _verdict(step: StepResult) -> str:
    verdict = "NOT RUN LOCALLY" if step.not_run_locally else MARKS[step.outcome]
    if step.outcome is Conclusion.FAILURE and step.conclusion is Conclusion.SUCCESS:
        verdict += ", continue-on-error"
    return verdict


def _why(message: str) -> str:
    return f": {message}" if message else ""


COLUMNS = ("JOB", "STEP", "RESULT", "TIME")


def summary_table(result: RunResult) -> str:
    rows = [COLUMNS]
    for job in result.jobs:
        rows.append((job.name, "", _job_verdict(job), f"{job.seconds:.2f} s"))
        rows += [("", step.name[:50], _verdict(step), _time(step)) for step in job.steps]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines += _problems(result)
    lines.append(_closing(result))
    return "\n".join(lines + _summaries(result))


def _job_verdict(job: JobResult) -> str:
    if job.outcome is Conclusion.FAILURE and job.conclusion is Conclusion.SUCCESS:
        return "FAILED, continue-on-error"
    return MARKS[job.conclusion]


def _time(step: StepResult) -> str:
    return f"{step.seconds:.2f} s" if step.outcome is not Conclusion.SKIPPED else "-"


def _problems(result: RunResult) -> list[str]:
    lines = []
    for job in result.jobs:
        if job.message and job.conclusion is not Conclusion.SUCCESS:
            lines.append(f"{job.name}: {job.message}")
        lines += [
            f"{job.name}: {step.message}"
            for step in job.steps
            if step.not_run_locally and step.conclusion is Conclusion.SUCCESS
        ]
    return lines


def _closing(result: RunResult) -> str:
    counts: dict[str, int] = {}
    for job in result.jobs:
        counts[str(job.conclusion)] = counts.get(str(job.conclusion), 0) + 1
    shown = ", ".join(f"{n} {name}" for name, n in counts.items())
    return f"{result.workflow}: {result.conclusion} ({shown}) in {result.seconds:.1f} s"


def _summaries(result: RunResult) -> list[str]:
    return [
        f"\nSummary of {job.name}:\n{job.summary.rstrip()}"
        for job in result.jobs
        if job.summary.strip()
    ]
