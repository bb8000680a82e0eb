"""Lab 04's two services run by hand, for tests that do not need the whole stack: gunicorn
on free ports (as lab.yaml's commands say), a faults proxy named users in front of users,
and users registered in Cloud Map the way the stack registers it."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from sandbox.faults.client import FaultsClient
from sandbox.readiness import HttpCheck
from sandbox.services.process import ServerProcess, spawn, wait_until_ready
from tests.helpers import free_port

LAB = Path(__file__).resolve().parents[2] / "labs" / "04-microservices"
NAMESPACE = "sandbox"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
               "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip


def gunicorn(name: str, folder: Path, log_dir: Path, env: Mapping[str, str],
             threads: int = 1) -> ServerProcess:  # fmt: skip
    """`app:app` in `folder` under gunicorn on a free port, ready when /health answers."""
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--threads", str(threads), "--no-control-socket", "app:app"]  # fmt: skip
    popen = spawn(name, argv, log_dir / f"{name}.log", env={**env, "PORT": str(port)}, cwd=folder)
    url = f"http://127.0.0.1:{port}"
    server = ServerProcess(name, popen, port, url, log_dir / f"{name}.log")
    wait_until_ready(server, HttpCheck(url + "/health"), timeout=30)
    return server


def cloudmap(aws_url: str) -> Any:
    return boto3.client("servicediscovery", endpoint_url=aws_url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(inject_host_prefix=False))  # fmt: skip


def register(aws_url: str, service: str, port: int) -> str:
    """Register `service` at 127.0.0.1:`port` (instance `<service>-sandbox`), HEALTHY."""
    sd = cloudmap(aws_url)
    spaces = [n for n in sd.list_namespaces()["Namespaces"] if n["Name"] == NAMESPACE]
    if not spaces:
        sd.create_http_namespace(Name=NAMESPACE)
        spaces = [n for n in sd.list_namespaces()["Namespaces"] if n["Name"] == NAMESPACE]
    known = {s["Name"]: s["Id"] for s in sd.list_services()["Services"]}
    service_id = (
        known.get(service)
        or sd.create_service(
            Name=service,
            NamespaceId=spaces[0]["Id"],
            HealthCheckCustomConfig={"FailureThreshold": 1},
        )["Service"]["Id"]
    )
    attributes = {"AWS_INSTANCE_IPV4": "127.0.0.1", "AWS_INSTANCE_PORT": str(port)}
    sd.register_instance(ServiceId=service_id, InstanceId=f"{service}-sandbox",
                         Attributes=attributes)  # fmt: skip
    sd.update_instance_custom_health_status(
        ServiceId=service_id, InstanceId=f"{service}-sandbox", Status="HEALTHY"
    )
    return str(service_id)


@dataclass
class Lab04:
    """users behind the proxy "users", and orders (one variant) calling it."""

    users: ServerProcess
    orders: ServerProcess
    proxy_port: int

    def stop(self) -> None:
        self.orders.stop(timeout=5)
        self.users.stop(timeout=5)


def start_users(aws_url: str, faults_url: str, log_dir: Path) -> tuple[ServerProcess, int]:
    users = gunicorn("users", LAB / "services" / "users", log_dir, {}, threads=4)
    faults = FaultsClient(faults_url)
    for name in ("users", "users-moved"):
        if name in faults.proxies():
            faults.delete_proxy(name)
    created = faults.create_proxy("users", "127.0.0.1:0", f"127.0.0.1:{users.port}")
    proxy_port = int(created["listen"].rsplit(":", 1)[1])
    register(aws_url, "users", proxy_port)
    return users, proxy_port


def orders_env(aws_url: str, faults_url: str, proxy_port: int) -> dict[str, str]:
    import os

    return {"PATH": os.environ.get("PATH", ""), **CREDENTIALS, "AWS_ENDPOINT_URL": aws_url,
            "SANDBOX_FAULTS_URL": faults_url, "SANDBOX_NAMESPACE": NAMESPACE,
            "USERS_URL": f"http://127.0.0.1:{proxy_port}", "ORDERS_TABLE": "lab04-orders",
            "USERS_BREAKER_FAIL_MAX": "3", "USERS_BREAKER_COOLDOWN_S": "1"}  # fmt: skip


def start(variant: str, aws_url: str, faults_url: str, log_dir: Path) -> Lab04:
    users, proxy_port = start_users(aws_url, faults_url, log_dir)
    env = orders_env(aws_url, faults_url, proxy_port)
    orders = gunicorn(f"orders-{variant}", LAB / variant / "orders", log_dir, env, threads=16)
    return Lab04(users, orders, proxy_port)
