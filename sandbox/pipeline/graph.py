"""The jobs' `needs`: unknown jobs and cycles found before anything runs, and the order
jobs run in (a job after all it needs; otherwise in the order they are written)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sandbox.pipeline.model import Workflow
from sandbox.pipeline.problems import Problem


def needs_problems(workflow: Workflow) -> list[Problem]:
    problems = list(_unknown_needs(workflow))
    if problems:
        return problems
    cycle = find_cycle({job_id: job.needs for job_id, job in workflow.jobs.items()})
    if cycle:
        line = workflow.source.line((*workflow.jobs[cycle[0]].path, "needs"))
        chain = " -> ".join([*cycle, cycle[0]])
        message = f"the jobs' `needs` go round in a circle: {chain}"
        return [Problem(workflow.source.file, line, f"{message}: remove one of these needs")]
    return []


def _unknown_needs(workflow: Workflow) -> Iterator[Problem]:
    known = ", ".join(workflow.jobs)
    for job_id, job in workflow.jobs.items():
        for need in job.needs:
            if need not in workflow.jobs:
                line = workflow.source.line((*job.path, "needs"))
                message = f"job `{job_id}` needs `{need}`, which is not a job here"
                yield Problem(workflow.source.file, line, f"{message}: use one of {known}")


def find_cycle(needs: Mapping[str, tuple[str, ...]]) -> list[str]:
    """One cycle of jobs (each needing the next, the last the first), or [] when none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(job: str, path: list[str]) -> list[str]:
        state[job] = 1
        for need in needs.get(job, ()):
            if state.get(need) == 1:
                return path[path.index(need) :] if need in path else [need]
            if need not in state and (found := visit(need, [*path, need])):
                return found
        state[job] = 2
        return []

    for job in needs:
        if job not in state and (found := visit(job, [job])):
            return found
    return []


def run_order(needs: Mapping[str, tuple[str, ...]], wanted: str | None = None) -> list[str]:
    """Every job (or `wanted` and all it needs, transitively) in an order that runs each
    job after the jobs it needs."""
    chosen = set(needs) if wanted is None else _with_needs(needs, wanted)
    order: list[str] = []
    while len(order) < len(chosen):
        ready = next(j for j in needs if j in chosen and j not in order and _met(needs[j], order))
        order.append(ready)
    return order


def _met(required: tuple[str, ...], done: list[str]) -> bool:
    return all(need in done for need in required)


def _with_needs(needs: Mapping[str, tuple[str, ...]], job: str) -> set[str]:
    found, todo = set(), [job]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(needs[current])
    return found


def ancestors(needs: Mapping[str, tuple[str, ...]], job: str) -> set[str]:
    """Every job `job` needs, directly or through others."""
    return _with_needs(needs, job) - {job}
