"""Versioned deploys on a real emulator, as a person runs them: `sandbox deploy --publish`,
`sandbox release status` and `sandbox rollback`.

One story runs once against an emulator of its own (so that moving the triggers to the
`live` alias touches no other test): build A is released, then build B, then a build whose
handler raises; `live` is rolled back twice; the DynamoDB-stream trigger is re-anchored as
after a restart; finally a plain deploy. Events are fired between the steps, and each build
logs its name, so the log says which code handled an event. Each test checks one part.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sandbox.aws import lambda_logs
from sandbox.aws.clients import client
from sandbox.aws.deploy import code_sha256_of
from sandbox.aws.events import SOURCES, Firer, FireResult
from sandbox.aws.names import Names
from sandbox.services import aws as emulator
from sandbox.services.process import ServerProcess
from tests.external.conftest import external_env, run
from tests.helpers import free_port, wait_for
from tests.serverless.conftest import LAMBDA_DIR

pytestmark = pytest.mark.slow
NAMES = Names()
RECEIVED = 'log_event("received", '


def build(root: Path, name: str) -> Path:
    """The processor, logging `"build": NAME` with every event it receives."""
    folder = root / f"build-{name}"
    shutil.copytree(LAMBDA_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    handler = folder / "handler.py"
    text = handler.read_text()
    assert RECEIVED in text
    handler.write_text(text.replace(RECEIVED, f'{RECEIVED}build="{name}", '))
    return folder


def broken_build(root: Path) -> Path:
    """A processor whose handler raises on every event."""
    folder = build(root, "broken")
    with (folder / "handler.py").open("a") as handler:
        handler.write("\n\ndef handler(event, context):\n    raise RuntimeError('broken build')\n")
    return folder


def builds_that_handled(firer: Firer, sources: tuple[str, ...] = SOURCES) -> dict[str, str]:
    """Fire one event per source; which build's code handled each (from its log)."""
    return {source: build_that_handled(firer, firer.fire(source, timeout=15)) for source in sources}


def build_that_handled(firer: Firer, fired: FireResult) -> str:
    """The build named in the log of the invocation that stored the fired event's item (the
    fire waits a moment for that log; on a busy machine it may come later)."""
    lines = fired.logs
    marks = [fired.fire_id, str((fired.item or {}).get("event_id", ""))]

    def logged() -> bool:
        nonlocal lines
        logs = client("logs", firer.endpoint)
        for invocation in lambda_logs.invocations_since(logs, NAMES.function, 0):
            if any(invocation.mentions(mark) for mark in marks if mark):
                lines = invocation.lines
                return True
        return False

    if not lines:
        wait_for(logged, timeout=15)
    received = [json.loads(line) for line in lines if '"message": "received"' in line]
    return str(received[0].get("build", "?")) if received else "no log"


def live_invoke_version(endpoint: str) -> str:
    """The version Lambda runs for the alias (ExecutedVersion of a direct invoke)."""
    event = json.dumps({"httpMethod": "GET", "resource": "/nothing"}).encode()
    answer = client("lambda", endpoint).invoke(
        FunctionName=NAMES.function, Qualifier="live", Payload=event
    )
    return str(answer["ExecutedVersion"])


@dataclass
class Story:
    sha: dict[str, str]  # build -> the CodeSha256 Lambda reports for it
    published: dict[str, dict[str, Any]] = field(default_factory=dict)
    broken: subprocess.CompletedProcess[str] | None = None
    handled: dict[str, dict[str, str]] = field(default_factory=dict)  # moment -> source -> build
    executed: dict[str, str] = field(default_factory=dict)  # moment -> version live runs
    status: dict[str, Any] = field(default_factory=dict)
    rollbacks: list[subprocess.CompletedProcess[str]] = field(default_factory=list)
    reanchored: int = 0
    stream_trigger_runs: list[str] = field(default_factory=list)
    after_plain_deploy: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def own_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("releases-emulator")
    server = emulator.start(emulator.AwsConfig(home=home, port=free_port()))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, own_emulator: ServerProcess) -> Story:
    root = tmp_path_factory.mktemp("releases")
    builds = {"A": build(root, "A"), "B": build(root, "B"), "broken": broken_build(root)}
    endpoint, firer = own_emulator.url, Firer(own_emulator.url)
    story = Story({name: code_sha256_of(folder) for name, folder in builds.items()})

    def sandbox(*args: str, lambda_dir: str = "A") -> subprocess.CompletedProcess[str]:
        env = external_env(root / "home", SANDBOX_AWS_ENDPOINT=endpoint,
                           SANDBOX_LAMBDA_DIR=str(builds[lambda_dir]))  # fmt: skip
        return run(env, *args)

    for name in ("A", "B"):
        published = sandbox("deploy", "--publish", "--json", lambda_dir=name)
        assert published.returncode == 0, published.stderr
        story.published[name] = json.loads(published.stdout)
        story.handled[f"after {name}"] = builds_that_handled(firer)
        story.executed[f"after {name}"] = live_invoke_version(endpoint)
    story.broken = sandbox("deploy", "--publish", lambda_dir="broken")
    story.handled["after broken"] = builds_that_handled(firer, ("sqs", "api"))
    story.status = json.loads(sandbox("release", "status", "--json").stdout)
    story.rollbacks = [sandbox("rollback", "--json"), sandbox("rollback")]
    story.handled["after rollback"] = builds_that_handled(firer, ("s3", "eventbridge"))
    story.executed["after rollback"] = live_invoke_version(endpoint)
    story.reanchored = emulator.reanchor_stream_mappings(endpoint)
    story.stream_trigger_runs = stream_trigger_functions(endpoint)
    story.handled["after re-anchoring"] = builds_that_handled(firer, ("dynamodb",))
    plain = sandbox("deploy", lambda_dir="B")
    assert plain.returncode == 0, plain.stderr
    story.after_plain_deploy = json.loads(sandbox("release", "status", "--json").stdout)
    return story


def stream_trigger_functions(endpoint: str) -> list[str]:
    lam, ddb = client("lambda", endpoint), client("dynamodb", endpoint)
    stream = ddb.describe_table(TableName=NAMES.orders_table)["Table"]["LatestStreamArn"]
    mappings = lam.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]
    return [m["FunctionArn"] for m in mappings]


def test_the_first_publish_releases_version_1_after_a_smoke_test_of_every_source(
    story: Story,
) -> None:
    release = story.published["A"]["release"]
    assert (release["version"], release["live_before"], release["live"]) == ("1", None, "1")
    assert release["released"] is True
    assert release["code_sha256"] == story.sha["A"]
    smoke = {check["source"]: check for check in release["smoke"]}
    assert set(smoke) == set(SOURCES)
    assert {(c["passed"], c["executed_version"]) for c in smoke.values()} == {(True, "1")}


def test_every_trigger_follows_the_live_alias(story: Story) -> None:
    wiring = {r["kind"]: r["detail"] for r in story.published["A"]["resources"]}
    assert wiring["sqs-trigger"] == "runs alias live"
    assert wiring["sns-subscription"] == "delivers to alias live"
    assert story.status["triggers"] == dict.fromkeys(SOURCES, "live")


def test_events_fired_after_a_publish_are_handled_by_the_new_live_version(story: Story) -> None:
    assert story.handled["after A"] == dict.fromkeys(SOURCES, "A")
    assert story.handled["after B"] == dict.fromkeys(SOURCES, "B")
    assert story.executed == {"after A": "1", "after B": "2", "after rollback": "1"}
    assert story.published["B"]["release"]["live_before"] == "1"


def test_a_failing_smoke_test_keeps_live_on_the_previous_version_and_fails(story: Story) -> None:
    assert story.broken is not None
    assert story.broken.returncode == 1
    assert "error: version 3 failed its smoke test, so live stays on version 2:" in (
        story.broken.stderr
    )
    assert "  s3: the function failed: broken build" in story.broken.stderr
    assert "RuntimeError: broken build" in story.broken.stderr  # the end of the function's log
    assert "smoke test of version 3 (invoked by qualifier):" in story.broken.stdout


def test_a_smoke_test_stops_at_the_first_failing_source_and_names_the_others(
    story: Story,
) -> None:
    assert story.broken is not None
    assert "  sqs: the function failed" not in story.broken.stderr  # s3 failed first
    untried = "sqs, sns, eventbridge, dynamodb, api"
    assert f"  not tried after that failure: {untried}" in story.broken.stderr
    assert f"  {untried}: not tried after the failure" in story.broken.stdout
    assert story.handled["after broken"] == {"sqs": "B", "api": "B"}


def test_status_shows_every_version_with_its_code_hash_and_where_live_points(
    story: Story,
) -> None:
    versions = {v["version"]: (v["code_sha256"], v["live"]) for v in story.status["versions"]}
    assert versions == {
        "1": (story.sha["A"], False),
        "2": (story.sha["B"], True),
        "3": (story.sha["broken"], False),
    }
    assert (story.status["live"], story.status["history"]) == ("2", ["1", "2"])


def test_rollback_moves_live_back_to_the_version_live_before(story: Story) -> None:
    first = story.rollbacks[0]
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {
        "function": NAMES.function, "rolled_back_from": "2", "live": "1",
        "triggers_not_on_live": [],
    }  # fmt: skip
    assert story.handled["after rollback"] == {"s3": "A", "eventbridge": "A"}


def test_rolling_back_past_the_first_release_is_a_clear_error(story: Story) -> None:
    second = story.rollbacks[1]
    assert second.returncode == 1
    assert second.stderr == (
        "error: nothing to roll back to: live is on version 1, the first one released\n"
        "  -> release a fixed version with `sandbox deploy --publish` instead\n"
    )


def test_re_anchoring_the_stream_trigger_keeps_it_on_the_alias(story: Story) -> None:
    assert story.reanchored == 1
    assert story.stream_trigger_runs == [NAMES.alias_arn]
    assert story.handled["after re-anchoring"] == {"dynamodb": "A"}


def test_a_plain_deploy_puts_the_triggers_back_on_latest_and_leaves_live(story: Story) -> None:
    status = story.after_plain_deploy
    assert status["triggers"] == dict.fromkeys(SOURCES, "$LATEST")
    assert (status["live"], status["latest_code_sha256"]) == ("1", story.sha["B"])
