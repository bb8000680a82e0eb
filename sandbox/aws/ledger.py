"""Asks the sandbox's emulator which Lambda invocations carried a text, and how they ended
(the ledger it keeps: sandbox/services/invocation_ledger.py).

Any other endpoint (LocalStack, plain ministack in compose, a real account) has no ledger:
the first answer that is not the ledger's turns the questions off for this client, and the
caller waits as it always did.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from sandbox.aws.clients import is_real_aws
from sandbox.services.invocation_ledger import INVOCATIONS_PATH

TIMEOUT_S = 2.0
# After the last invocation that carried the event returned: long enough for a function that
# hands the event on (a queue, a topic, another function) to have started the next
# invocation, which carries it too (ministack's pollers wake on a send, else within 1 s).
SETTLED_SECONDS = 1.5


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

    def all_handled(self, mark: str) -> bool:
        """True once invocations carried `mark`, each returned without error (no source
        delivers it again), and SETTLED_SECONDS passed since the last one ended; False while
        one runs, after a failure, or when this emulator keeps no ledger."""
        carrying = self.carrying(mark)
        if not carrying or not all(i.ok for i in carrying):
            return False
        return time.time() - max(i.ended or 0.0 for i in carrying) >= SETTLED_SECONDS
