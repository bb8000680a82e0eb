"""From a path to a workflow that may run: YAML, then GitHub's schema, then expressions and
`needs`. Every step reports all the problems it finds, each at file:line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sandbox.errors import WorkflowError
from sandbox.pipeline.checks import workflow_problems
from sandbox.pipeline.model import Workflow, build
from sandbox.pipeline.problems import InvalidWorkflowError, fail
from sandbox.pipeline.schema import schema_problems
from sandbox.pipeline.source import read_source

WORKFLOWS_DIR = Path(".github") / "workflows"
SCHEMA_HINT = (
    "the workflow syntax: https://docs.github.com/actions/using-workflows/workflow-syntax-for-"
    "github-actions"
)


def load_workflow(path: Path, shown: str | None = None) -> Workflow:
    """The workflow at `path`, checked; an InvalidWorkflowError lists every problem."""
    shown = shown or display_path(path)
    source = read_source(path, shown)
    if not isinstance(source.data, Mapping):
        raise fail(shown, 1, "this is not a workflow: write a mapping with `on:` and `jobs:`")
    problems = schema_problems(source)
    if problems:
        raise InvalidWorkflowError(problems, SCHEMA_HINT)
    workflow = build(path, source)
    problems = workflow_problems(workflow)
    if problems:
        raise InvalidWorkflowError(problems)
    return workflow


def find_workflow(given: Path | None, folder: Path | None = None) -> Path:
    """The file given, else the only workflow in .github/workflows of `folder` (the cwd)."""
    if given is not None:
        if not given.is_file():
            raise WorkflowError(f"{given}: no such workflow file", "check the path")
        return given
    found = _workflows((folder or Path.cwd()) / WORKFLOWS_DIR)
    if len(found) == 1:
        return found[0]
    if not found:
        raise WorkflowError(
            f"no workflow given, and none in {WORKFLOWS_DIR}/",
            "pass the file: sandbox pipeline run path/to/workflow.yml",
        )
    listed = ", ".join(display_path(p) for p in found)
    raise WorkflowError(f"{len(found)} workflows in {WORKFLOWS_DIR}/: {listed}", "pass one of them")


def _workflows(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yml", ".yaml"))


def display_path(path: Path) -> str:
    """Relative to the current directory when inside it, else absolute."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def default_workspace(workflow_file: Path) -> Path:
    """The repository the workflow belongs to: X for X/.github/workflows/ci.yml, else the
    current directory."""
    folder = workflow_file.resolve().parent
    if folder.name == "workflows" and folder.parent.name == ".github":
        return folder.parent.parent
    return Path.cwd()
