"""The rules and the latency in force: the emulator process's memory, and nowhere else."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass

from sandbox.services.chaos.calls import Call, Invocation
from sandbox.services.chaos.rules import Rule

log = logging.getLogger("sandbox.chaos")


@dataclass(frozen=True)
class Fault:
    """A rule that fired on a call: what to answer, and the log line to write."""

    rule: Rule
    number: int  # 1-based, as `sandbox chaos list` shows it
    invocation: Invocation

    def describe(self) -> str:
        call = f"{self.invocation.service.name} {self.invocation.operation}"
        return f"{self.rule.status} {self.rule.code} injected into {call} by rule {self.number}"


class ChaosState:
    """Read by every request, written only by the chaos API (on the same event loop, so a
    request sees the old list or the new one, never half of each)."""

    def __init__(self) -> None:
        self.rules: tuple[Rule, ...] = ()
        self.latency_ms = 0
        self.active = False  # what the middleware's fast path reads: any rule or latency

    def set_rules(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        self._refresh()

    def set_latency(self, milliseconds: int) -> None:
        self.latency_ms = milliseconds
        self._refresh()

    def _refresh(self) -> None:
        self.active = bool(self.rules) or self.latency_ms > 0

    async def fault_for(self, call: Call) -> Fault | None:
        """As in LocalStack, the first rule that selects the call decides; its probability
        says whether the call fails this time (a miss does not try the next rule)."""
        for number, rule in enumerate(self.rules, 1):
            invocation = await rule.match(call)
            if invocation is None:
                continue
            if random.random() < rule.probability:  # noqa: S311 - chaos, not cryptography
                return Fault(rule, number, invocation)
            return None
        return None
