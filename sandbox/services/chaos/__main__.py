"""`python -m sandbox.services.chaos`: ministack, started by its own `main()`, serving its app
wrapped in the chaos middleware.

Why this way: ministack's `main()` does more than call hypercorn (its pid file, a SIGTERM
handler that lets state persist, the fd limit, the health-log filter, TLS, keep-alive 75 s),
and its ASGI lifespan loads the persisted state and starts the pollers. `main()` serves the
module-level `ministack.app.app`, looked up when it runs, so rebinding that one name before
calling it keeps every setting and every environment variable (GATEWAY_PORT, BIND_HOST, ...)
exactly as `python -m ministack` has them, with nothing copied. The lifespan messages pass
through the middleware untouched.
"""

from __future__ import annotations

from sandbox.services.chaos.middleware import ChaosMiddleware
from sandbox.services.emulator_state import StateMiddleware
from sandbox.services.invocation_ledger import Ledger, LedgerMiddleware
from sandbox.services.lambda_workers import alias_targets, bounded

# ministack marks a function Pending/InProgress after CreateFunction, UpdateFunctionCode and
# UpdateFunctionConfiguration and flips it to Active/Successful on a timer of 0.5 s, which
# every deploy waits through (a waiter's poll). The transition stays visible, shorter.
STATE_TRANSITION_DELAY_S = 0.05


def main() -> None:
    import ministack.app as emulator
    import ministack.core.lambda_runtime as lambda_runtime
    import ministack.services.lambda_svc as lambda_service

    lambda_service._LAMBDA_STATE_TRANSITION_DELAY = STATE_TRANSITION_DELAY_S
    aliased = alias_targets(lambda_service._functions)  # old versions' workers do not pile up
    lambda_service.acquire_worker = bounded(lambda_service.acquire_worker, lambda_runtime, aliased)
    ledger = Ledger()  # which invocations carried a fired event, and how they ended
    lambda_service._execute_function = ledger.wrap(lambda_service._execute_function)
    app = StateMiddleware(ChaosMiddleware(emulator.app))  # snapshots: persist now
    emulator.app = LedgerMiddleware(app, ledger)
    emulator.main()


if __name__ == "__main__":
    main()
