"""What the sandbox changes in the pinned emulator when it starts it (services/chaos)."""

from __future__ import annotations

import inspect

import ministack.services.lambda_svc as lambda_service

from sandbox.services.chaos.__main__ import STATE_TRANSITION_DELAY_S


def test_the_emulator_still_has_the_state_delay_the_sandbox_shortens() -> None:
    # An upgrade that renames it would make the sandbox's setting a silent no-op, and every
    # deploy half a second slower again.
    assert isinstance(lambda_service._LAMBDA_STATE_TRANSITION_DELAY, float)
    assert 0 < STATE_TRANSITION_DELAY_S < lambda_service._LAMBDA_STATE_TRANSITION_DELAY


def test_the_emulator_still_runs_every_invocation_through_the_function_the_ledger_wraps() -> None:
    # The invocation ledger rebinds this module global; renamed, `sandbox fire` and the
    # event checks would quietly go back to waiting out their timeouts.
    source = inspect.getsource(lambda_service._execute_function_with_config_scope)
    assert "_execute_function," in source
    assert callable(lambda_service._execute_function)


def test_the_emulator_still_has_the_worker_pool_whose_old_versions_the_sandbox_trims() -> None:
    # sandbox/services/lambda_workers.py rebinds acquire_worker and edits the pool; renamed,
    # every published version would again keep a worker process for good.
    import ministack.core.lambda_runtime as runtime

    warm = inspect.getsource(lambda_service._execute_function_warm)
    assert "acquire_worker(func_name, config, code_zip, qualifier=qualifier)" in warm
    assert isinstance(runtime._workers, dict)
    assert callable(runtime.kill_workers)
    pooling = inspect.getsource(runtime.acquire_worker)
    assert "worker.in_use = True" in pooling
    assert "worker.last_used = " in pooling
    assert "aliases" in inspect.getsource(lambda_service._effective_func_record_for_qualifier)
