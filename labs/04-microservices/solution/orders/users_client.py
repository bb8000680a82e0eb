"""How orders talks to the users service, without letting users take orders down:

- discovery: the address comes from Cloud Map (healthy instances only), not a fixed URL;
- timeouts: each attempt gives up after READ_TIMEOUT, the whole call after DEADLINE;
- retries: a failed attempt (connection error, timeout, 5xx) is tried again after a short
  random (jittered) exponential backoff, at most ATTEMPTS times and within DEADLINE;
- circuit breaker: after FAIL_MAX calls in a row failed (each with all its retries), calls
  fail at once, without touching users, for COOLDOWN seconds; then a trial call decides.
  (circuitbreaker, not pybreaker: pybreaker holds a lock while the call runs, so under
  gunicorn's threads every call to users would wait for the one before.)

Every way of failing ends in UsersUnavailable, which the app answers with a 503.
"""

from __future__ import annotations

import os
from typing import Any

import discovery
import requests
from botocore.exceptions import BotoCoreError, ClientError
from circuitbreaker import CircuitBreaker, CircuitBreakerError
from tenacity import (
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

SERVICE = "users"
CONNECT_TIMEOUT, READ_TIMEOUT = 0.2, 0.25  # seconds; users answers in a few milliseconds
ATTEMPTS, DEADLINE = 8, 0.4  # the bound: whichever comes first
FAIL_MAX = int(os.environ.get("USERS_BREAKER_FAIL_MAX", "3"))
COOLDOWN = float(os.environ.get("USERS_BREAKER_COOLDOWN_S", "30"))


class UsersUnavailable(Exception):
    """users could not answer in time; the message says why."""


class UsersError(Exception):
    """users answered with a server error (5xx): worth another attempt."""


class UnknownUser(Exception):
    """users has no such user: an answer, not a failure (the breaker does not count it)."""


RETRYABLE = (requests.ConnectionError, requests.Timeout, UsersError)
# Only these count as failures: an UnknownUser is users answering, and closes the breaker.
breaker = CircuitBreaker(
    failure_threshold=FAIL_MAX,
    recovery_timeout=COOLDOWN,
    expected_exception=(*RETRYABLE, discovery.NoHealthyInstance),
    name=SERVICE,
)


def fetch_user(user_id: int) -> dict[str, Any] | None:
    """The user, None when users has no such user, or UsersUnavailable."""
    try:
        user: dict[str, Any] = _fetch_guarded(user_id)
    except UnknownUser:
        return None
    except CircuitBreakerError:
        raise UsersUnavailable(
            f"users failed {FAIL_MAX} times in a row: not calling it for {COOLDOWN:g} s"
        ) from None
    except (*RETRYABLE, discovery.NoHealthyInstance) as err:
        raise UsersUnavailable(f"users did not answer: {err}") from None
    except (BotoCoreError, ClientError) as err:  # Cloud Map itself did not answer
        raise UsersUnavailable(f"could not look users up in Cloud Map: {err}") from None
    return user


def _forget_address(_state: Any) -> None:
    discovery.forget(SERVICE)  # it may have moved: look it up again before the next attempt


@retry(
    retry=retry_if_exception_type(RETRYABLE),
    stop=stop_after_attempt(ATTEMPTS) | stop_after_delay(DEADLINE),
    wait=wait_random_exponential(multiplier=0.01, max=0.1),  # full jitter, 10 ms .. 100 ms
    before_sleep=_forget_address,
    reraise=True,
)
def _fetch_with_retries(user_id: int) -> dict[str, Any]:
    url = f"{discovery.base_url(SERVICE)}/users/{user_id}"
    response = requests.get(url, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
    if response.status_code == 404:
        raise UnknownUser(user_id)
    if response.status_code >= 500:
        raise UsersError(f"users answered {response.status_code}")
    response.raise_for_status()
    user: dict[str, Any] = response.json()
    return user


# The retried call behind the breaker: one order is one success or one failure for it.
_fetch_guarded = breaker(_fetch_with_retries)
