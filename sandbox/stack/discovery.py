"""Service discovery: every running service is registered in the emulator's Cloud Map.

HTTP namespace `sandbox`, one Cloud Map service per stack or lab service, one instance of
ours in each (`<name>-sandbox`) with AWS_INSTANCE_IPV4 and AWS_INSTANCE_PORT. A service
that sits behind a fault proxy is registered at the proxy's port, so a client that finds it
through Cloud Map goes through the faults a lab sets. The instance is HEALTHY while the
service is, UNHEALTHY while it does not answer, and deregistered once it stops.

A client finds one with boto3 (``Config(inject_host_prefix=False)`` against an emulator):
``discover_instances(NamespaceName="sandbox", ServiceName="users", HealthStatus="HEALTHY")``.

The supervisor runs a Registrar. It speaks Cloud Map's JSON protocol with urllib: four
operations do not justify boto3's 40 MB in a process that lives as long as the stack.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.stack.model import StackStatus, State

NAMESPACE = "sandbox"
INSTANCE_SUFFIX = "-sandbox"  # our instances; a lab's own (e.g. a grader's) are left alone
TARGET = "Route53AutoNaming_v20170314"
CHECK_SECONDS = 1.0  # how soon a proxy put in front of a service changes its address
REFRESH_SECONDS = 30.0  # a full resync, to repair what an emulator reset lost

log = logging.getLogger("sandbox.discovery")


class CloudMapError(Exception):
    pass


@dataclass(frozen=True)
class Registration:
    port: int
    healthy: bool


class CloudMap:
    """The few Cloud Map operations the registrar needs, against one endpoint."""

    def __init__(self, endpoint: str, timeout: float = 2.0) -> None:
        self.endpoint = endpoint.rstrip("/") + "/"
        self.timeout = timeout

    def call(self, operation: str, body: Mapping[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - a loopback URL we built
            self.endpoint,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": f"{TARGET}.{operation}",
                # The emulator routes by target; the scope names the service for its logs.
                "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/"
                "servicediscovery/aws4_request, SignedHeaders=host, Signature=0",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as err:
            raise CloudMapError(f"{operation}: {err.code} {err.read()[:200]!r}") from err
        except (urllib.error.URLError, OSError) as err:
            raise CloudMapError(f"{operation}: {err}") from err
        return json.loads(raw) if raw.strip() else {}

    def namespace_id(self, name: str) -> str:
        for namespace in self.call("ListNamespaces", {}).get("Namespaces", []):
            if namespace.get("Name") == name:
                return str(namespace["Id"])
        self.call("CreateHttpNamespace", {"Name": name, "Description": "the sandbox's services"})
        return self.namespace_id(name)

    def service_ids(self, namespace_id: str) -> dict[str, str]:
        services = self.call("ListServices", {}).get("Services", [])
        return {
            str(s["Name"]): str(s["Id"]) for s in services if s.get("NamespaceId") == namespace_id
        }

    def create_service(self, namespace_id: str, name: str) -> str:
        body = {
            "Name": name,
            "NamespaceId": namespace_id,
            "HealthCheckCustomConfig": {"FailureThreshold": 1},
        }
        return str(self.call("CreateService", body)["Service"]["Id"])

    def instances(self, service_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.call("ListInstances", {"ServiceId": service_id}).get(
            "Instances", []
        )
        return found

    def register(self, service_id: str, instance_id: str, port: int) -> None:
        attributes = {"AWS_INSTANCE_IPV4": "127.0.0.1", "AWS_INSTANCE_PORT": str(port)}
        body = {"ServiceId": service_id, "InstanceId": instance_id, "Attributes": attributes}
        self.call("RegisterInstance", body)

    def set_health(self, service_id: str, instance_id: str, healthy: bool) -> None:
        status = "HEALTHY" if healthy else "UNHEALTHY"
        body = {"ServiceId": service_id, "InstanceId": instance_id, "Status": status}
        self.call("UpdateInstanceCustomHealthStatus", body)

    def deregister(self, service_id: str, instance_id: str) -> None:
        self.call("DeregisterInstance", {"ServiceId": service_id, "InstanceId": instance_id})


def instance_id(service: str) -> str:
    return f"{service}{INSTANCE_SUFFIX}"


def wanted(status: StackStatus, proxy_ports: Mapping[int, int]) -> dict[str, Registration]:
    """What Cloud Map should hold: each service that runs, at its proxy's port if a proxy
    forwards to it. The emulator holds the registry, so nothing while it is down."""
    if status.services["aws"].state is not State.HEALTHY:
        return {}
    running = (State.HEALTHY, State.UNHEALTHY)
    return {
        name: Registration(proxy_ports.get(s.port, s.port), s.state is State.HEALTHY)
        for name, s in status.services.items()
        if s.state in running
    }


def proxy_ports(proxies: Mapping[str, Mapping[str, Any]]) -> dict[int, int]:
    """Upstream port -> listen port, for the enabled proxies to 127.0.0.1."""
    found: dict[int, int] = {}
    for proxy in sorted(proxies.values(), key=lambda p: str(p.get("name"))):
        upstream, listen = str(proxy.get("upstream", "")), str(proxy.get("listen", ""))
        if not proxy.get("enabled", True) or not upstream.startswith("127.0.0.1:"):
            continue
        up_port, listen_port = upstream.rsplit(":", 1)[1], listen.rsplit(":", 1)[1]
        if up_port.isdigit() and listen_port.isdigit():
            found.setdefault(int(up_port), int(listen_port))
    return found


class Registrar(threading.Thread):
    """Keeps Cloud Map equal to what runs: woken by every status change, and each second
    for the proxies (one loopback GET); reads Cloud Map back now and then to repair what an
    emulator reset lost."""

    def __init__(
        self,
        snapshot: Callable[[], StackStatus],
        changed: threading.Condition,
        aws_url: Callable[[], str],
        proxies: Callable[[], Mapping[str, Mapping[str, Any]]],
    ) -> None:
        super().__init__(name="cloud-map", daemon=True)
        self.snapshot, self.changed = snapshot, changed
        self.aws_url, self.proxies = aws_url, proxies
        self.stopping = threading.Event()
        self.held: dict[str, Registration] = {}  # what we believe Cloud Map holds
        self.namespace: str | None = None  # None: read Cloud Map back before the next change
        self.ids: dict[str, str] = {}  # service name -> Cloud Map service id
        self.emulator: tuple[int | None, float | None] = (None, None)  # its pid, start

    def run(self) -> None:
        waited = 0.0
        self.sync()
        while not self.stopping.is_set():
            with self.changed:
                woke = self.changed.wait(CHECK_SECONDS)
            waited = 0.0 if woke else waited + CHECK_SECONDS
            if self.stopping.is_set():
                return
            if waited >= REFRESH_SECONDS:
                self.namespace, waited = None, 0.0
            self.sync()  # calls Cloud Map only for what differs from what it holds

    def stop(self) -> None:
        """Deregister everything (the services are about to stop), then end."""
        self.stopping.set()
        if self.held:
            self.apply({})

    def sync(self) -> None:
        status = self.snapshot()
        try:
            ports = proxy_ports(self.proxies()) if _healthy(status, "faults") else {}
        except Exception:  # a faults server that does not answer: no proxies to go through
            ports = {}
        aws = status.services["aws"]
        if (aws.pid, aws.started_at) != self.emulator:  # a new emulator: read it back
            self.emulator, self.namespace = (aws.pid, aws.started_at), None
        self.apply(wanted(status, ports))

    def apply(self, target: dict[str, Registration]) -> None:
        if not target and not self.held:
            return
        try:
            cloud_map = CloudMap(self.aws_url())
            if self.namespace is None:
                self.held = self._read_back(cloud_map)
            for name in [n for n in self.held if n not in target]:
                cloud_map.deregister(self.ids[name], instance_id(name))
                del self.held[name]
            for name, registration in target.items():
                if self.held.get(name) != registration:
                    self._put(cloud_map, name, registration)
        except CloudMapError as err:
            self.namespace = None  # unsure what it holds now: read it back next time
            log.debug("cloud map sync: %s", err)

    def _read_back(self, cloud_map: CloudMap) -> dict[str, Registration]:
        """Our instances as Cloud Map holds them now (after a restart, a reset, a kill -9)."""
        self.namespace = cloud_map.namespace_id(NAMESPACE)
        self.ids = cloud_map.service_ids(self.namespace)
        held = {}
        for name, service_id in self.ids.items():
            for instance in cloud_map.instances(service_id):
                if instance.get("Id") == instance_id(name):
                    port = instance.get("Attributes", {}).get("AWS_INSTANCE_PORT", "0")
                    held[name] = Registration(int(port), healthy=False)  # forces a health put
        return held

    def _put(self, cloud_map: CloudMap, name: str, registration: Registration) -> None:
        if name not in self.ids:
            assert self.namespace is not None  # read back first, in apply()
            self.ids[name] = cloud_map.create_service(self.namespace, name)
        before = self.held.get(name)
        if before is None or before.port != registration.port:
            cloud_map.register(self.ids[name], instance_id(name), registration.port)
        cloud_map.set_health(self.ids[name], instance_id(name), registration.healthy)
        self.held[name] = registration


def _healthy(status: StackStatus, name: str) -> bool:
    service = status.services.get(name)
    return service is not None and service.state is State.HEALTHY
