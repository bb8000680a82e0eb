"""Saving and loading the real stack: what was there comes back, in every service, and the
emulator's event sources fire again; the stack runs throughout; a load can be undone."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from sandbox.aws.clients import client
from sandbox.aws.events import SOURCES, Firer
from sandbox.aws.names import Names
from sandbox.errors import SandboxError
from sandbox.snapshots import engine, store
from tests.snapshots.conftest import Stack, counts, labels, listed, put_everything

EVERY = {"rows": {"saved"}, "keys": {"saved"}, "items": {"saved"}, "objects": {"saved"}}


def fire_every_source(stack: Stack) -> dict[str, str]:
    """Fire one event from each source at once; the sources that failed, with why."""
    firer = Firer(stack.aws)

    def fire(source: str) -> str:
        try:
            firer.fire(source, timeout=15.0)
        except SandboxError as err:
            return err.message
        return ""

    with ThreadPoolExecutor(len(SOURCES)) as pool:
        outcomes = dict(zip(SOURCES, pool.map(fire, SOURCES), strict=True))
    return {source: why for source, why in outcomes.items() if why}


@pytest.fixture(scope="module")
def saved(stack: Stack) -> str:
    """Data labelled "saved" everywhere, events fired once (so the stream triggers have read
    records before the save), then the snapshot "base"."""
    put_everything(stack, "saved")
    assert fire_every_source(stack) == {}
    answer = stack.run("snapshot", "save", "base", "--json")
    assert answer.returncode == 0, answer.stderr
    return "base"


def test_saving_keeps_every_service_running_with_the_same_processes(
    stack: Stack, saved: str
) -> None:
    before = stack.pids()
    answer = stack.run("snapshot", "save", "again")
    assert answer.returncode == 0, answer.stderr
    assert "Saved again" in answer.stdout
    assert "stopped and started" not in answer.stdout  # the emulator wrote its state in place
    assert stack.pids() == before
    assert stack.backend.status().all_healthy


def test_a_load_brings_back_rows_keys_items_and_objects(stack: Stack, saved: str) -> None:
    put_everything(stack, "changed", count=5)
    assert labels(stack) == {key: {"changed"} for key in EVERY}

    answer = stack.run("snapshot", "load", saved)

    assert answer.returncode == 0, answer.stderr
    assert "Loaded base" in answer.stdout
    assert labels(stack) == EVERY
    assert counts(stack) == {"rows": 20, "keys": 20, "items": 20, "objects": 20}
    assert stack.backend.status().all_healthy


def test_a_load_brings_back_the_deployed_function_with_its_triggers(
    stack: Stack, saved: str
) -> None:
    lam, names = client("lambda", stack.aws), Names()
    lam.delete_function(FunctionName=names.function)
    for mapping in lam.list_event_source_mappings()["EventSourceMappings"]:
        lam.delete_event_source_mapping(UUID=mapping["UUID"])

    assert stack.run("snapshot", "load", saved).returncode == 0

    assert lam.get_function(FunctionName=names.function)["Configuration"]["State"] == "Active"
    sources = {m["EventSourceArn"].split(":")[2]
               for m in lam.list_event_source_mappings()["EventSourceMappings"]}  # fmt: skip
    assert sources == {"sqs", "dynamodb"}  # the others reach it by subscription, rule, API


def test_after_a_load_an_event_fires_from_every_source(stack: Stack, saved: str) -> None:
    assert stack.run("snapshot", "load", saved).returncode == 0
    assert fire_every_source(stack) == {}


def test_a_load_is_undone_by_loading_its_before_load_snapshot(stack: Stack, saved: str) -> None:
    put_everything(stack, "mine", count=3)

    loaded = json.loads(stack.run("snapshot", "load", saved, "--json").stdout)
    assert labels(stack) == EVERY
    undo = stack.run("snapshot", "load", loaded["before_load"])

    assert undo.returncode == 0, undo.stderr
    assert labels(stack) == {key: {"mine"} for key in EVERY}
    assert counts(stack)["rows"] == 3


def test_the_list_shows_each_snapshot_with_its_time_size_kind_and_versions(
    stack: Stack, saved: str
) -> None:
    row = listed(stack)[saved]
    assert row["kind"] == "user"
    assert row["size"] > 0
    assert row["data_size"] > row["size"]
    assert row["created"] > 0
    assert set(row["versions"]) == {"sandbox", "ministack", "postgres", "redis"}
    assert row["versions"]["ministack"].startswith("ministack ")
    text = stack.run("snapshot", "list").stdout
    assert saved in text
    assert "ministack" in text


def test_export_then_import_under_another_name_gives_the_same_snapshot(
    stack: Stack, saved: str, tmp_path: pytest.TempPathFactory
) -> None:
    file = f"{tmp_path}/shipped.snapshot"
    assert stack.run("snapshot", "export", saved, file).returncode == 0
    assert stack.run("snapshot", "export", saved, file).returncode == 1  # never overwritten

    imported = stack.run("snapshot", "import", file, "--name", "shipped", "--json")

    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["name"] == "shipped"
    assert listed(stack)["shipped"]["versions"] == listed(stack)[saved]["versions"]
    assert stack.run("snapshot", "load", file).returncode == 0  # a file loads as it is
    assert labels(stack) == EVERY


def test_a_name_in_use_is_refused_unless_forced_and_rm_asks_for_yes(stack: Stack) -> None:
    assert stack.run("snapshot", "save", "twice").returncode == 0
    again = stack.run("snapshot", "save", "twice")
    assert again.returncode == 1
    assert "exists already" in again.stderr
    assert "--force" in again.stderr
    assert stack.run("snapshot", "save", "twice", "--force").returncode == 0

    unconfirmed = stack.run("snapshot", "rm", "twice")
    assert unconfirmed.returncode != 0
    assert "--yes" in unconfirmed.stderr
    assert stack.run("snapshot", "rm", "twice", "--yes").returncode == 0
    assert "twice" not in listed(stack)


def test_automatic_snapshots_rotate_keeping_the_last_few(stack: Stack) -> None:
    snapshots = store.Store(stack.settings)
    names = [snapshots.automatic_name(store.BEFORE_LOAD) + f"-{n}" for n in range(4)]
    for name in names:
        engine.save(stack.settings, stack.backend, name, store.BEFORE_LOAD)
    kept = [n for n, row in listed(stack).items() if row["kind"] == store.BEFORE_LOAD]
    assert len(kept) == store.KEEP[store.BEFORE_LOAD]
    assert names[-1] in kept
    assert names[0] not in kept


def test_a_bad_name_is_refused_with_what_a_name_may_hold(stack: Stack) -> None:
    answer = stack.run("snapshot", "save", "../escape")
    assert answer.returncode == 1
    assert "not a usable snapshot name" in answer.stderr
    assert "Traceback" not in answer.stderr
