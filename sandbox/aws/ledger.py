"""Asks the sandbox's emulator which Lambda invocations carried a text, and how they ended
(the ledger it keeps: sandbox/services/invocation_ledger.py).

Any other endpoint (LocalStack, plain ministack in compose, a real account) has no ledger:
the first answer that is not the ledger's turns the questions off for this client, and the
caller waits as it always did.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from sandbox.aws.clients import is_real_aws
from sandbox.services.invocation_ledger import INVOCATIONS_PATH

TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Carried:
    function: str
    started: float
    ended: float | None
    ok: bool | None


class InvocationLedger:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.available = not is_real_aws(endpoint)

    def carrying(self, mark: str) -> list[Carried]:
        """The invocations, of any function, whose event contained `mark`; [] when unknown."""
        if not self.available:
            return []
        query = urllib.parse.urlencode({"mark": mark})
        try:
            with urllib.request.urlopen(  # noqa: S310 - the sandbox's emulator on loopback
                f"{self.endpoint}{INVOCATIONS_PATH}?{query}", timeout=TIMEOUT_S
            ) as response:
                answer = json.loads(response.read())
            return [Carried(**i) for i in answer["invocations"]]
        except (OSError, ValueError, KeyError, TypeError):  # no ledger here (or not ours)
            self.available = False
            return []
