"""Running a lab's checks: calm ones concurrently, disruptive ones after them one at a time;
`eventually` retries, timing, and never an exception."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from sandbox.labs.checks import guard
from sandbox.labs.checks.base import CheckContext, Outcome, Registry, Status
from sandbox.labs.model import CheckSpec, Lab, Step


@dataclass
class CheckResult:
    id: str
    title: str
    step: str
    status: Status
    message: str
    points: int  # awarded, after hint costs
    max_points: int
    duration_s: float
    attempts: int
    waited_s: float = 0.0  # time spent in declared `eventually` waits
    unreachable: str | None = None  # UNKNOWN because this service could not be reached

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "status": str(self.status)}


@dataclass
class LabReport:
    lab_id: str
    title: str
    results: list[CheckResult] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)  # see provenance.stamp

    @property
    def score(self) -> int:
        return sum(r.points for r in self.results)

    @property
    def max_score(self) -> int:
        return sum(r.max_points for r in self.results)

    def count(self, status: Status) -> int:
        return sum(r.status is status for r in self.results)

    @property
    def unreachable(self) -> list[CheckResult]:
        """The checks that could not run because a service was down: not the learner's."""
        return [r for r in self.results if r.unreachable is not None]

    @property
    def exit_code(self) -> int:
        """0 all passed, 1 some failed, 2 could not grade (something unknown)."""
        if any(r.status is Status.UNKNOWN for r in self.results):
            return 2
        return 0 if all(r.status is Status.PASSED for r in self.results) else 1


Listener = Callable[[CheckSpec, CheckResult | None], None]  # None: the check is starting
# Calm checks graded at once. They mostly wait on the network, but right after `sandbox
# deploy` every concurrent Lambda invocation starts a cold worker: 8 at once took 5-6 s each
# on 2 cores (event checks timed out), 3 at once no longer than one at a time (bench/grade.py).
WORKERS = 3


def run_lab(
    lab: Lab,
    registry: Registry,
    ctx: CheckContext,
    step: str | None = None,
    hint_costs: dict[str, int] | None = None,
    listener: Listener | None = None,
) -> LabReport:
    """Grade the calm checks concurrently, then the disruptive ones (their kind says so) one
    at a time, so no check sees a service another one stopped; consecutive checks of a
    `batched` kind run at once. The report lists the results
    in the lab's order. `listener` is called from the grading threads."""
    ctx.nested = lambda spec: evaluate_once(spec, registry, ctx)
    costs = hint_costs or {}
    checks = lab.checks(step)

    def grade_one(pair: tuple[Step, CheckSpec]) -> CheckResult:
        lab_step, check = pair
        if listener:
            listener(check, None)
        result = run_check(check, lab_step.id, registry, ctx, costs.get(check.id, 0))
        if listener:
            listener(check, result)
        return result

    calm = [pair for pair in checks if not disruptive(pair[1], registry)]
    done = _all_at_once(calm, grade_one, WORKERS)
    for batch in batches([pair for pair in checks if pair[1].id not in done], registry):
        done |= _all_at_once(batch, grade_one, len(batch))
    return LabReport(lab.id, lab.title, [done[c.id] for _, c in checks])


def _all_at_once(
    pairs: list[tuple[Step, CheckSpec]],
    grade_one: Callable[[tuple[Step, CheckSpec]], CheckResult],
    workers: int,
) -> dict[str, CheckResult]:
    if len(pairs) <= 1:
        return {check.id: grade_one((step, check)) for step, check in pairs}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="check") as pool:
        return dict(zip([c.id for _, c in pairs], pool.map(grade_one, pairs), strict=True))


def disruptive(check: CheckSpec, registry: Registry) -> bool:
    """Run alone, in the lab's order, after the calm checks: its kind disturbs the stack, or
    the lab says the check needs what the check before it left (`alone: true`)."""
    kind = registry.get(check.kind)
    return check.alone or (kind is not None and kind.disruptive)


def batches(
    pairs: list[tuple[Step, CheckSpec]], registry: Registry
) -> list[list[tuple[Step, CheckSpec]]]:
    """The disruptive checks in the lab's order, one per batch, except that consecutive
    checks of one `batched` kind share a batch (and a check marked `alone` never does)."""
    found: list[list[tuple[Step, CheckSpec]]] = []
    for step, check in pairs:
        previous = found[-1][-1][1] if found else None
        if previous is not None and _batch_with(previous, check, registry):
            found[-1].append((step, check))
        else:
            found.append([(step, check)])
    return found


def _batch_with(previous: CheckSpec, check: CheckSpec, registry: Registry) -> bool:
    kind = registry.get(check.kind)
    together = kind is not None and kind.batched and previous.kind == check.kind
    return together and not (check.alone or previous.alone)


def run_check(
    check: CheckSpec, step: str, registry: Registry, ctx: CheckContext, hint_cost: int = 0
) -> CheckResult:
    started = time.monotonic()
    outcome, attempts, waited = _until_passed(check, registry, ctx)
    awarded = max(0, check.points - hint_cost) if outcome.status is Status.PASSED else 0
    return CheckResult(
        check.id,
        check.title,
        step,
        outcome.status,
        outcome.message,
        points=awarded,
        max_points=check.points,
        duration_s=round(time.monotonic() - started, 3),
        attempts=attempts,
        waited_s=round(waited, 3),
        unreachable=outcome.unreachable,
    )


def _until_passed(
    check: CheckSpec, registry: Registry, ctx: CheckContext
) -> tuple[Outcome, int, float]:
    """Evaluate once, or within `eventually` until it passes: the last outcome, the number of
    attempts and the time spent waiting between them."""
    deadline = time.monotonic() + (check.eventually.timeout if check.eventually else 0)
    attempts, waited = 0, 0.0
    while True:
        attempts += 1
        outcome = evaluate_once({"kind": check.kind, **check.params}, registry, ctx)
        if outcome.status is Status.PASSED or _final(outcome, ctx) or time.monotonic() >= deadline:
            return outcome, attempts, waited
        assert check.eventually is not None
        time.sleep(check.eventually.interval)
        waited += check.eventually.interval


def _final(outcome: Outcome, ctx: CheckContext) -> bool:
    """A service that was down when grading began stays down for this run: waiting is vain.
    (A service that stopped answering during the run may come back: that is retried.)"""
    return outcome.unreachable is not None and outcome.unreachable not in ctx.endpoints


def evaluate_once(spec: dict[str, Any], registry: Registry, ctx: CheckContext) -> Outcome:
    """One evaluation behind the guard (checks/guard.py: an unreachable service is UNKNOWN);
    a kind's own bug becomes an UNKNOWN result, never a traceback."""
    kind = registry.get(str(spec.get("kind")))
    if kind is None:
        return Outcome.unknown(f"unknown check kind {spec.get('kind')!r}")
    try:
        params = kind.params.model_validate({k: v for k, v in spec.items() if k != "kind"})
    except ValidationError as err:
        return Outcome.unknown(f"bad parameters: {err.errors()[0]['msg']}")
    try:
        return guard.run(kind, params, ctx)
    except Exception as err:
        return Outcome.unknown(f"the check could not run: {type(err).__name__}: {err}")
