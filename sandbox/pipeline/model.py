"""A validated workflow as the runner reads it: jobs, their steps and where each is written.

The classes wrap the YAML's data (already checked against the schema) and add the paths
that `Source.line` turns into line numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.pipeline.source import Source
from sandbox.yaml_nodes import Key

Path_ = tuple[Key, ...]


@dataclass(frozen=True)
class Step:
    job_id: str
    index: int
    data: Mapping[str, Any]

    @property
    def path(self) -> Path_:
        return ("jobs", self.job_id, "steps", self.index)

    @property
    def id(self) -> str | None:
        value = self.data.get("id")
        return None if value is None else str(value)

    @property
    def uses(self) -> str | None:
        value = self.data.get("uses")
        return None if value is None else str(value)

    def default_name(self) -> str:
        if self.uses is not None:
            return f"Run {self.uses}"
        script = str(self.data.get("run", "")).strip()
        first = script.splitlines()[0] if script else ""
        return f"Run {first[:60]}" if first else f"Step {self.index + 1}"


@dataclass(frozen=True)
class Job:
    id: str
    data: Mapping[str, Any]
    steps: tuple[Step, ...]

    @property
    def path(self) -> Path_:
        return ("jobs", self.id)

    @property
    def needs(self) -> tuple[str, ...]:
        return names(self.data.get("needs"))

    @property
    def calls_workflow(self) -> bool:
        """A reusable-workflow call (`jobs.<id>.uses`), which the sandbox does not run."""
        return "uses" in self.data


@dataclass(frozen=True)
class Workflow:
    file: Path
    source: Source
    jobs: Mapping[str, Job]

    @property
    def data(self) -> Mapping[str, Any]:
        data: Mapping[str, Any] = self.source.data
        return data

    @property
    def name(self) -> str:
        return str(self.data.get("name") or self.source.file)

    @property
    def events(self) -> tuple[str, ...]:
        """The events that trigger it (`on:` as a name, a list, or a mapping)."""
        trigger = self.data.get("on")
        return tuple(trigger) if isinstance(trigger, Mapping) else names(trigger)

    def event_inputs(self, event: str) -> Mapping[str, Any]:
        """The declared inputs of workflow_dispatch / workflow_call, by name."""
        trigger = self.data.get("on")
        config = trigger.get(event) if isinstance(trigger, Mapping) else None
        inputs = config.get("inputs") if isinstance(config, Mapping) else None
        return inputs if isinstance(inputs, Mapping) else {}


def names(value: Any) -> tuple[str, ...]:
    """A string or a list of strings as a tuple (`needs: build` or `needs: [a, b]`)."""
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return (str(value),)


def build(file: Path, source: Source) -> Workflow:
    jobs = {}
    for job_id, data in source.data["jobs"].items():
        raw_steps = data.get("steps") or []
        steps = tuple(Step(str(job_id), i, step) for i, step in enumerate(raw_steps))
        jobs[str(job_id)] = Job(str(job_id), data, steps)
    return Workflow(file, source, jobs)
