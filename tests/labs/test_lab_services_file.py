"""A lab's `lab_services:` are checked when the lab loads: a wrong name, dependency,
placeholder or folder is reported as file:line, before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.config import Settings
from sandbox.labs import services
from sandbox.labs.loader import LabFileError, load
from sandbox.labs.model import Lab
from tests.labs.test_loader import GOOD, write_lab

SERVICE = """\
lab_services:
  - name: {name}
    dir: orders
    command: ["{{python}}", "app.py", "{placeholder}"]
    port: 18100
    proxy: 18101
    depends_on: [{depends}]
"""


def lab_with(tmp_path: Path, name: str = "orders", placeholder: str = "{users_port}",
             depends: str = "app", folders: bool = True) -> Path:  # fmt: skip
    text = GOOD + SERVICE.format(name=name, placeholder=placeholder, depends=depends)
    folder = write_lab(tmp_path, text)
    if folders:
        for variant in ("starter", "solution"):
            (folder / variant / "orders").mkdir(parents=True)
    return folder


def problem(folder: Path) -> str:
    with pytest.raises(LabFileError) as caught:
        load(folder)
    return caught.value.message


def test_a_lab_service_cannot_take_a_stack_services_name(tmp_path: Path) -> None:
    message = problem(lab_with(tmp_path, name="redis"))
    assert "lab.yaml:18: lab_services[0]" in message
    assert "'redis' is a stack service" in message


def test_a_dependency_on_an_unknown_service_is_named(tmp_path: Path) -> None:
    message = problem(lab_with(tmp_path, depends="users"))
    assert "depends on users: not a service" in message


def test_an_unknown_placeholder_is_named_with_the_ones_that_exist(tmp_path: Path) -> None:
    message = problem(lab_with(tmp_path, placeholder="{users_port}"))
    assert "lab.yaml:20: lab_services[0].command: unknown placeholder {users_port}" in message
    assert "orders_proxy_port" in message


def test_a_workspace_service_needs_its_folder_in_the_starter_and_the_solution(
    tmp_path: Path,
) -> None:
    message = problem(lab_with(tmp_path, placeholder="{port}", folders=False))
    assert "starter/orders is not a folder of the lab" in message
    assert "solution/orders is not a folder of the lab" in message


def test_resolving_fills_placeholders_ports_and_the_workspace_folder(tmp_path: Path) -> None:
    lab: Lab = load(lab_with(tmp_path, placeholder="{app_port}:{orders_proxy_port}"))[0]
    settings = Settings.from_env(
        {"SANDBOX_HOME": str(tmp_path / "home"), "SANDBOX_APP_PORT": "9000"}
    )
    env = {"SANDBOX_ORDERS_PORT": "19000"}

    [spec] = services.resolve(lab, tmp_path / "ws", settings, env)

    assert spec.port == 19000
    assert spec.proxy_port == 18101
    assert spec.command[-1] == "9000:18101"
    assert spec.cwd == str(tmp_path / "ws" / "orders")
    assert spec.depends_on == ("app",)


def test_stacks_side_by_side_get_every_port_and_share_none(tmp_path: Path) -> None:
    lab: Lab = load(lab_with(tmp_path, placeholder="{app_port}"))[0]

    solution, starter = services.free_port_sets(lab, 2)

    assert solution.keys() == starter.keys() == services.free_port_variables(lab).keys()
    assert {"SANDBOX_APP_PORT", "SANDBOX_ORDERS_PORT", "SANDBOX_ORDERS_PROXY_PORT"} <= set(solution)
    ports = [*solution.values(), *starter.values()]
    assert len(set(ports)) == len(ports)
