"""service_moved: move a service to a new address the way a redeploy would, and run a check
while it lives there; then put everything back, whatever the check did.

For a service registered in AWS Cloud Map (the sandbox registers each one in the HTTP
namespace "sandbox") behind a faults proxy named after it:

1. a second proxy `<service>-moved` opens on a new port, to the same upstream;
2. it is registered as a new instance of the service, HEALTHY;
3. the instances there before are marked UNHEALTHY, and the old proxy is disabled;
4. the check runs (e.g. orders still takes orders: it found users' new address);
5. the old proxy is enabled, the old instances get their health back, the new instance is
   deregistered and its proxy deleted; then the check waits (a few seconds at most) until
   Cloud Map lists the healthy addresses it listed before. The stack's registrar follows
   proxies (with the old one disabled, it may re-register the service at the new port for
   a moment): the next check must not find a port that is gone.

A client that calls a fixed URL fails step 4; one that discovers healthy instances passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from sandbox.aws.clients import CREDENTIALS, is_real_aws
from sandbox.aws.names import REGION
from sandbox.errors import SandboxError
from sandbox.faults.client import FaultsClient
from sandbox.labs.checks.base import (
    Capability,
    CheckContext,
    CheckKind,
    Outcome,
    Params,
    Status,
)
from sandbox.labs.checks.nesting import retold, run_nested

MOVED = "{service}-moved"
SETTLE_SECONDS = 3.0  # the registrar re-reads the proxies every second


class MovedParams(Params):
    service: str  # its Cloud Map service name, and the name of the proxy in front of it
    namespace: str = "sandbox"
    check: dict[str, Any]  # a nested check: {kind: ..., <its params>}, run while moved


@dataclass
class Move:
    """What was changed, so that exactly that is undone."""

    service_id: str
    listed: dict[str, str] = field(default_factory=dict)  # healthy instance -> port, before
    health: dict[str, str] = field(default_factory=dict)  # old instance -> its status before
    proxy_disabled: bool = False
    moved_proxy: str | None = None
    moved_instance: str | None = None


def cloudmap(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    # DiscoverInstances and friends prefix the host with "data-": broken on an IP endpoint.
    config = Config(inject_host_prefix=False, retries={"mode": "standard", "max_attempts": 2})
    factory: Any = boto3.client  # typed per service by the stubs; here the name is a variable
    return factory("servicediscovery", endpoint_url=endpoint, region_name=REGION, config=config,
                   **CREDENTIALS)  # fmt: skip


def evaluate(params: MovedParams, ctx: CheckContext) -> Outcome:
    endpoint = ctx.endpoints["aws"]
    if is_real_aws(endpoint):
        return Outcome.unknown("moving a service needs the sandbox's own stack, not real AWS")
    sd, faults = cloudmap(endpoint), FaultsClient(ctx.endpoints["faults"])
    try:
        move = Move(_service_id(sd, params))
        move.listed = _listed(sd, params)
    except LookupError as err:
        return Outcome.unknown(str(err))
    except ClientError as err:  # an emulator without Cloud Map (LocalStack's is paid)
        return Outcome.unknown(f"Cloud Map is not available at {endpoint}: {err}")
    try:
        where = _move(sd, faults, params.service, move)
        outcome = run_nested(ctx, params.check)
    except (SandboxError, ClientError, BotoCoreError) as err:
        where, outcome = "", Outcome.unknown(f"could not move {params.service}: {err}")
    finally:
        trouble = _undo(sd, faults, params.service, move) or _settled(sd, params, move.listed)
    if trouble and outcome.status is Status.PASSED:
        return Outcome.unknown(f"the check passed, but {params.service} was not put back: "
                               + trouble)  # fmt: skip
    return retold(outcome, f"with {params.service} moved{where}")


def _service_id(sd: Any, params: MovedParams) -> str:
    spaces = [n for n in sd.list_namespaces()["Namespaces"] if n["Name"] == params.namespace]
    if not spaces:
        raise LookupError(f"no Cloud Map namespace {params.namespace!r}: is the stack up?")
    filters = [{"Name": "NAMESPACE_ID", "Values": [spaces[0]["Id"]], "Condition": "EQ"}]
    services = [s for s in sd.list_services(Filters=filters)["Services"]
                if s["Name"] == params.service]  # fmt: skip
    if not services:
        raise LookupError(f"{params.service} is not registered in Cloud Map namespace "
                          f"{params.namespace!r}: is it running?")  # fmt: skip
    return str(services[0]["Id"])


def _listed(sd: Any, params: MovedParams) -> dict[str, str]:
    """The healthy instances Cloud Map gives a client now: instance -> port."""
    found = sd.discover_instances(NamespaceName=params.namespace, ServiceName=params.service,
                                  HealthStatus="HEALTHY")["Instances"]  # fmt: skip
    return {str(i["InstanceId"]): str(i["Attributes"].get("AWS_INSTANCE_PORT")) for i in found}


def _settled(sd: Any, params: MovedParams, before: dict[str, str]) -> str:
    """Wait until Cloud Map lists what it listed before the move; else why not, in words."""
    deadline = time.monotonic() + SETTLE_SECONDS
    try:
        while (now := _listed(sd, params)) != before and time.monotonic() < deadline:
            time.sleep(0.1)
    except (ClientError, BotoCoreError) as err:
        return f"could not read Cloud Map back: {err}"
    return "" if now == before else f"Cloud Map lists {now}, not {before} as before"


def _move(sd: Any, faults: FaultsClient, service: str, move: Move) -> str:
    """Open the new address, register it, retire the old ones; the new address, in words."""
    old = faults.request("GET", f"/proxies/{quote(service, safe='')}")
    name = MOVED.format(service=service)
    with_suppressed_404(faults.delete_proxy, name)  # a leftover of an interrupted run
    created = faults.create_proxy(name, "127.0.0.1:0", old["upstream"])
    move.moved_proxy = name
    port = created["listen"].rsplit(":", 1)[1]
    address = {"AWS_INSTANCE_IPV4": "127.0.0.1", "AWS_INSTANCE_PORT": port}
    sd.register_instance(ServiceId=move.service_id, InstanceId=name, Attributes=address)
    move.moved_instance = name
    sd.update_instance_custom_health_status(ServiceId=move.service_id, InstanceId=name,
                                            Status="HEALTHY")  # fmt: skip
    move.health = _health(sd, move.service_id, exclude=name)
    for instance in move.health:
        sd.update_instance_custom_health_status(ServiceId=move.service_id, InstanceId=instance,
                                                Status="UNHEALTHY")  # fmt: skip
    faults.update_proxy(service, enabled=False)
    move.proxy_disabled = True
    return f" (from {old['listen']} to 127.0.0.1:{port})"


def _health(sd: Any, service_id: str, exclude: str) -> dict[str, str]:
    statuses = sd.get_instances_health_status(ServiceId=service_id).get("Status", {})
    return {instance: status for instance, status in statuses.items()
            if instance != exclude and status in ("HEALTHY", "UNHEALTHY")}  # fmt: skip


def _undo(sd: Any, faults: FaultsClient, service: str, move: Move) -> str:
    """Undo each change made, each on its own; what could not be undone, in words."""
    steps: list[Callable[[], object]] = []
    if move.proxy_disabled:
        steps.append(lambda: faults.update_proxy(service, enabled=True))
    for instance, status in move.health.items():
        steps.append(_health_setter(sd, move.service_id, instance, status))
    if move.moved_instance:
        moved = move.moved_instance
        steps.append(lambda: sd.deregister_instance(ServiceId=move.service_id, InstanceId=moved))
    if move.moved_proxy:
        proxy = move.moved_proxy
        steps.append(lambda: faults.delete_proxy(proxy))
    troubles = []
    for step in steps:
        try:
            step()
        except (SandboxError, ClientError, BotoCoreError) as err:
            troubles.append(str(err))
    return "; ".join(troubles)


def _health_setter(sd: Any, service_id: str, instance: str, status: str) -> Callable[[], object]:
    def put_back() -> object:
        return sd.update_instance_custom_health_status(
            ServiceId=service_id, InstanceId=instance, Status=status
        )

    return put_back


def with_suppressed_404(call: Any, *args: Any) -> None:
    from sandbox.faults.client import FaultsApiError

    try:
        call(*args)
    except FaultsApiError as err:
        if err.status != 404:
            raise


EXAMPLE = {
    "service": "users",
    "check": {"kind": "http", "service": "orders", "method": "POST", "path": "/orders",
              "body": {"user_id": 7, "item": "pencil"}, "expect": {"status": 201}},
}  # fmt: skip
KIND = CheckKind(
    "service_moved",
    MovedParams,
    evaluate,
    needs=("aws", "faults"),
    requires=(Capability.FAULTS,),
    example=EXAMPLE,
    summary="Move a Cloud Map service to a new address, run a nested check, move it back.",
    disruptive=True,  # moves a service in Cloud Map under every other check
)
