"""The faults in force, as the Stack screen lists them, and clearing them all at once: the
toxics on the faults server's proxies and the chaos rules on the AWS emulator."""

from __future__ import annotations

from typing import Any

from sandbox.faults.client import FaultsClient
from sandbox.services.chaos.client import ChaosClient


def active(faults_url: str | None, aws_url: str | None) -> list[str]:
    """One line per toxic ('redis: latency_downstream latency=200 jitter=50') and per chaos
    rule; services that are not up are skipped."""
    lines = []
    if faults_url:
        for name, proxy in sorted(FaultsClient(faults_url).proxies().items()):
            lines += [f"{name}: {_toxic(toxic)}" for toxic in proxy.get("toxics", [])]
    if aws_url:
        chaos = ChaosClient(aws_url)
        lines += [f"aws: {_rule(rule)}" for rule in chaos.faults()]
        latency = chaos.effects().get("latency") or 0
        lines += [f"aws: every call delayed {latency} ms"] if latency else []
    return lines


def clear(faults_url: str | None, aws_url: str | None) -> str:
    """Remove every toxic (the proxies stay) and every chaos rule and delay."""
    cleared = len(active(faults_url, aws_url))
    if faults_url:
        FaultsClient(faults_url).reset()
    if aws_url:
        ChaosClient(aws_url).set_faults([])
        ChaosClient(aws_url).set_latency(0)
    return f"cleared {cleared} fault(s)" if cleared else "no fault was in force"


def _toxic(toxic: dict[str, Any]) -> str:
    attributes = " ".join(f"{k}={v}" for k, v in sorted(toxic.get("attributes", {}).items()))
    share = toxic.get("toxicity", 1.0)
    odds = f" ({share:.0%} of connections)" if share < 1 else ""
    return f"{toxic.get('name')} {attributes}{odds}".strip()


def _rule(rule: dict[str, Any]) -> str:
    error = rule.get("error") or {}
    where = " ".join(str(rule[k]) for k in ("service", "operation", "region") if rule.get(k))
    odds = rule.get("probability", 1)
    answer = f"{error.get('statusCode', 503)} {error.get('code', 'ServiceUnavailable')}"
    return f"{where} -> {answer} ({float(odds):.0%} of calls)"
