"""A lab's own services (`lab_services:`), resolved for the stack: folders, ports and
placeholders, checked when the lab loads so a typo fails at `lab validate`, not at start."""

from __future__ import annotations

import os
import string
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sandbox.config import Settings, port_setting
from sandbox.labs.model import Lab, LabService
from sandbox.services.process import free_ports
from sandbox.stack.labservices import LabServiceSpec, port_variable
from sandbox.stack.specs import SERVICE_NAMES, port_variables


def ports(lab: Lab, env: Mapping[str, str] | None = None) -> dict[str, tuple[int, int | None]]:
    """Each lab service's port and proxy port: the lab file's, unless SANDBOX_<NAME>_PORT
    (and SANDBOX_<NAME>_PROXY_PORT) say otherwise (tests and validation use free ports)."""
    env = os.environ if env is None else env
    found = {}
    for service in lab.lab_services:
        port = port_setting(env, port_variable(service.name), service.port)
        proxy = None
        if service.proxy is not None:
            proxy = port_setting(env, port_variable(service.name, proxy=True), service.proxy)
        found[service.name] = (port, proxy)
    return found


def resolve(
    lab: Lab, workspace: Path, settings: Settings, env: Mapping[str, str] | None = None
) -> list[LabServiceSpec]:
    """The lab's services as the supervisor runs them: absolute folders, concrete ports,
    every placeholder filled in."""
    chosen = ports(lab, env)
    values = placeholder_values(settings.ports, chosen)
    specs = []
    for service in lab.lab_services:
        port, proxy = chosen[service.name]
        mine = {**values, "port": str(port)}
        specs.append(
            LabServiceSpec(
                name=service.name,
                lab=lab.id,
                cwd=str(folder_of(service, lab, workspace)),
                command=tuple(_fill(part, mine) for part in service.command),
                port=port,
                title=service.title or service.name,
                ready=service.ready,
                proxy_port=proxy,
                env={key: _fill(value, mine) for key, value in service.env.items()},
                depends_on=tuple(service.depends_on),
                start_timeout=service.start_timeout,
            )
        )
    return specs


def folder_of(service: LabService, lab: Lab, workspace: Path) -> Path:
    return (lab.folder if service.root == "lab" else workspace) / service.dir


def placeholder_values(
    stack_ports: Mapping[str, int], lab_ports: Mapping[str, tuple[int, int | None]]
) -> dict[str, str]:
    values = {"python": sys.executable}
    for name, port in stack_ports.items():
        values[f"{_key(name)}_port"] = str(port)
    for name, (port, proxy) in lab_ports.items():
        values[f"{_key(name)}_port"] = str(port)
        if proxy is not None:
            values[f"{_key(name)}_proxy_port"] = str(proxy)
    return values


def problems(lab: Lab) -> list[tuple[tuple[Any, ...], str]]:
    """(field path, problem) for folders that are missing and placeholders nobody fills."""
    known = set(placeholder_values(dict.fromkeys(("postgres", "redis", "aws", "faults", "app"), 0),
                                   ports(lab, env={})))  # fmt: skip
    known.add("port")
    found: list[tuple[tuple[Any, ...], str]] = []
    for index, service in enumerate(lab.lab_services):
        path = ("lab_services", index)
        roots = ["."] if service.root == "lab" else ["starter", "solution"]
        for root in roots:
            if not (lab.folder / root / service.dir).is_dir():
                found.append(((*path, "dir"), f"{root}/{service.dir} is not a folder of the lab"))
        texts = [("command", part) for part in service.command]
        texts += [("env", value) for value in service.env.values()]
        for field, text in texts:
            for name in _placeholders(text) - known:
                found.append(((*path, field), f"unknown placeholder {{{name}}}; use one of: "
                              f"{', '.join(sorted(known))}"))  # fmt: skip
    return found


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        return {"(unbalanced braces)"}


def _fill(text: str, values: Mapping[str, str]) -> str:
    return text.format_map(values)


def _key(name: str) -> str:
    return name.replace("-", "_")


def free_port_variables(lab: Lab) -> dict[str, str]:
    """SANDBOX_<NAME>_PORT for every stack service and lab service (and _PROXY_PORT for each
    lab proxy), each free now and all chosen at once so no two are the same: a stack of its
    own for validation, tests and benchmarks."""
    return free_port_sets(lab, 1)[0]


def free_port_sets(lab: Lab, stacks: int) -> list[dict[str, str]]:
    """free_port_variables for `stacks` stacks that run side by side: every port of every
    stack chosen at once, so no two stacks share one."""
    variables = [*port_variables(dict.fromkeys(SERVICE_NAMES, 0))]
    variables += [port_variable(s.name) for s in lab.lab_services]
    variables += [port_variable(s.name, proxy=True) for s in lab.lab_services if s.proxy]
    ports = [str(port) for port in free_ports(len(variables) * stacks)]
    count = len(variables)
    return [
        dict(zip(variables, ports[n * count : (n + 1) * count], strict=True)) for n in range(stacks)
    ]
