"""The latency effect delays every AWS call by about the set milliseconds, and goes away."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import pytest

from sandbox.services.chaos.client import ChaosClient
from tests.chaos.conftest import boto

LATENCY_MS = 300
# A loaded 2-core machine: at least most of the delay, and at most a generous margin over it.
AT_LEAST, MARGIN_MS = 0.8 * LATENCY_MS, 700


def median_ms(call: Callable[[], object], repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def test_latency_delays_each_call_by_about_the_set_milliseconds(
    chaos: ChaosClient, endpoint: str
) -> None:
    sqs = boto("sqs", endpoint)
    before = median_ms(sqs.list_queues)
    chaos.set_latency(LATENCY_MS)
    delayed = median_ms(sqs.list_queues)
    assert before + AT_LEAST <= delayed <= before + LATENCY_MS + MARGIN_MS


def test_latency_zero_removes_the_delay(chaos: ChaosClient, endpoint: str) -> None:
    sqs = boto("sqs", endpoint)
    chaos.set_latency(LATENCY_MS)
    sqs.list_queues()
    chaos.set_latency(0)
    assert median_ms(sqs.list_queues) < AT_LEAST


def test_latency_and_a_fault_together_delay_the_error_too(
    chaos: ChaosClient, endpoint: str
) -> None:
    chaos.set_faults([{"service": "sqs"}])
    chaos.set_latency(LATENCY_MS)
    sqs = boto("sqs", endpoint)
    began = time.perf_counter()
    with pytest.raises(sqs.exceptions.ClientError, match="ServiceUnavailable"):
        sqs.list_queues()
    assert (time.perf_counter() - began) * 1000 >= AT_LEAST
