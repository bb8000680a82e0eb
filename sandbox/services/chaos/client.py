"""A client of the chaos API (what `sandbox chaos` uses), with its errors made SandboxErrors.

Plain HTTP (urllib): the API is a few JSON calls, and the CLI should not pay for boto3.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from sandbox.errors import ConfigError, SandboxError, StackNotRunningError
from sandbox.services.chaos.api import EFFECTS, FAULTS

TIMEOUT = 10.0


class ChaosApiError(SandboxError):
    """The emulator answered the chaos API with an error it should not have."""


class ChaosClient:
    def __init__(self, endpoint: str, timeout: float = TIMEOUT) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    def faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", FAULTS))

    def set_faults(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(self._call("POST", FAULTS, rules))

    def add_faults(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(self._call("PATCH", FAULTS, rules))

    def remove_faults(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(self._call("DELETE", FAULTS, rules))

    def effects(self) -> dict[str, Any]:
        return dict(self._call("GET", EFFECTS))

    def set_latency(self, milliseconds: int) -> dict[str, Any]:
        return dict(self._call("POST", EFFECTS, {"latency": milliseconds}))

    def _call(self, method: str, path: str, body: object = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the emulator's URL, on loopback
            self.endpoint + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as err:
            raise self._refused(err) from None
        except (urllib.error.URLError, OSError) as err:
            raise StackNotRunningError(
                f"the AWS emulator at {self.endpoint} is not answering ({err})",
                "start the stack with `sandbox up`",
            ) from None

    def _refused(self, err: urllib.error.HTTPError) -> SandboxError:
        kind, message = _problem(err)
        if err.code == 404 and kind != "RuleNotFound":
            return ChaosApiError(
                f"the AWS emulator at {self.endpoint} has no chaos API",
                "the sandbox's embedded emulator serves it (`sandbox up`); under compose only "
                "LocalStack with an Enterprise licence has it",
            )
        if 400 <= err.code < 500:
            return ConfigError(message, "`sandbox chaos list` shows the rules in force")
        return ChaosApiError(
            f"the chaos API failed ({err.code}): {message}",
            "read the emulator's log: `sandbox logs aws`",
        )


def _problem(err: urllib.error.HTTPError) -> tuple[str, str]:
    """The API's own (error, message), else ('', the raw body)."""
    text = err.read().decode("utf-8", "replace").strip()
    try:
        answer = json.loads(text)
    except ValueError:
        return "", text[:300] or str(err)
    if isinstance(answer, dict) and isinstance(answer.get("message"), str):
        return str(answer.get("error", "")), answer["message"]
    return "", text[:300]
