"""LocalStack's chaos API in front of ministack: faults on AWS API calls, and latency.

ministack is an ASGI app; `middleware.ChaosMiddleware` wraps it in the same process (no extra
hop) and `__main__` serves the wrapped app with ministack's own startup code. Rules and
latency live only in that process's memory, so stopping the emulator (`down`, `reset`, a
restart) clears them: faults never outlive the stack.

    GET|POST|PATCH|DELETE /_localstack/chaos/faults   the rule list (api.py)
    GET|POST              /_localstack/chaos/effects  {"latency": ms}

The parts, one file each: `rules` (a rule, its validation and matching), `catalog` (what
botocore's models say about a service), `calls` (which service, region and operation a request
is), `responses` (an AWS error in each protocol's own shape), `state` (the rules and latency
in force), `api` (the two endpoints), `middleware`, `client` (what `sandbox chaos` uses).
"""
