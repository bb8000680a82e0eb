"""Versioned deploys: publish a version, smoke-test it, then move the `live` alias to it.

`sandbox deploy --publish` runs the deploy with every trigger on the alias `live`, so a code
change reaches no event until the alias moves:

1. the tables, topic (and on a real account, role) as a plain deploy makes them;
2. if the function exists but has no `live` yet, the code it runs now is published and
   becomes `live` (the baseline), so a failing release leaves that code serving;
3. the triggers are put on `live` before the code changes;
4. the new code goes to $LATEST and is published as version N;
5. the smoke stage (smoke.py) invokes version N with one event per source, up to the first
   that fails;
6. only if every event succeeds, `live` moves to N. Otherwise `live` stays, and the result
   says `released: false` with each failure.

Where `live` pointed before is kept in the alias's description ("sandbox releases: 1 2 4"),
so `sandbox rollback` moves it back to the version that was live before, skipping versions
that never passed their smoke test. An alias moved by other means (the console, the CLI)
rolls back to the highest version below the one it is on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from sandbox.aws import deploylog
from sandbox.aws.clients import client, error_code, translated
from sandbox.aws.deploy import Deployer, DeployResult
from sandbox.aws.deploylock import one_at_a_time
from sandbox.aws.deploylog import Entry
from sandbox.aws.names import LIVE_ALIAS, Names
from sandbox.aws.smoke import SmokeCheck, smoke_test, untried
from sandbox.errors import ReleaseError

HISTORY_PREFIX = "sandbox releases:"
HISTORY_KEPT = 40  # versions; an alias's description holds at most 256 characters


@dataclass
class ReleaseResult:
    deploy: DeployResult
    version: str = ""
    code_sha256: str = ""  # as Lambda reports it for the version (base64 SHA-256)
    live_before: str | None = None
    live: str | None = None
    smoke: list[SmokeCheck] = field(default_factory=list)

    @property
    def released(self) -> bool:
        return self.live == self.version

    @property
    def failures(self) -> list[SmokeCheck]:
        return [check for check in self.smoke if not check.passed]

    def to_dict(self) -> dict[str, Any]:
        release = {
            "version": self.version, "code_sha256": self.code_sha256, "released": self.released,
            "live_before": self.live_before, "live": self.live,
            "smoke": [check.to_dict() for check in self.smoke],
        }  # fmt: skip
        return {**self.deploy.to_dict(), "release": release}


class Releaser:
    def __init__(
        self,
        endpoint: str,
        source: Path,
        names: Names | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint
        self.names = names or Names()
        self.deployer = Deployer(endpoint, source, self.names, LIVE_ALIAS, sleep)
        self.result = ReleaseResult(self.deployer.result)

    def lam(self) -> Any:
        return client("lambda", self.endpoint)

    def run(self) -> ReleaseResult:
        d = self.deployer
        d.run_steps(d.prepare_steps())
        with translated("look up the live alias", self.endpoint):
            alias = live_alias(self.lam(), self.names) or self._baseline()
        self.result.live_before = self.result.live = _version(alias)
        if alias is not None:
            d.run_steps(d.wiring_steps())  # before the code changes, so no trigger sees it
        d.run_steps([("deploy the function", d.ensure_function)])
        with translated("publish and smoke-test a version", self.endpoint):
            self._publish_and_try(alias)
        if alias is None and self.result.released:
            d.run_steps(d.wiring_steps())
        return self.result

    def _baseline(self) -> dict[str, Any] | None:
        """The code the function runs now, published and made `live`, or None when there is
        no function yet."""
        try:
            self.lam().get_function(FunctionName=self.names.function)
        except ClientError as err:
            if error_code(err) != "ResourceNotFoundException":
                raise
            return None
        published = self.lam().publish_version(
            FunctionName=self.names.function, Description="baseline: the code running before"
        )
        version = str(published["Version"])
        self.deployer.wait_for("function_active_v2", version)
        alias = point_live(self.lam(), self.names, version, history=[version], exists=False)
        self.deployer.note("lambda-alias", LIVE_ALIAS, "created",
                           f"version {version}: the code that was running")  # fmt: skip
        return alias

    def _publish_and_try(self, alias: dict[str, Any] | None) -> None:
        lam, name = self.lam(), self.names.function
        published = lam.publish_version(FunctionName=name)
        version = self.result.version = str(published["Version"])
        self.result.code_sha256 = str(published.get("CodeSha256", ""))
        self.deployer.wait_for("function_active_v2", version)
        if alias is not None and _version(alias) == version:
            same = f"version {version} is live already: the code did not change"
            self.deployer.note("lambda-alias", LIVE_ALIAS, "unchanged", same)
            return
        self.deployer.note("lambda-version", f"{name}:{version}", "created",
                           f"code {self.result.code_sha256[:12]}")  # fmt: skip
        self.result.smoke = smoke_test(lam, self.names, version)
        if self.result.failures:
            return
        history = [*_history_or_now(alias), version] if alias else [version]
        point_live(lam, self.names, version, history, exists=alias is not None)
        self.result.live = version
        moved = f"version {version} (was {self.result.live_before or 'none'})"
        self.deployer.note("lambda-alias", LIVE_ALIAS, "created" if alias is None else "updated",
                           moved)  # fmt: skip


def publish(
    endpoint: str,
    source: Path,
    names: Names | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_wait: Callable[[str], None] | None = None,
) -> ReleaseResult:
    """A release, once no other deploy of the function runs (deploylock.py)."""
    releaser = Releaser(endpoint, source, names, sleep)
    releaser.deployer.make_clients()
    with one_at_a_time(endpoint, releaser.names.function, on_wait):
        result = releaser.run()
        moved = result.released and result.live != result.live_before
        entry = Entry("release", result.code_sha256, result.version, result.live_before,
                      result.live if moved else None)  # fmt: skip
        deploylog.record(endpoint, releaser.names.function, entry)
    return result


def not_released(result: ReleaseResult) -> ReleaseError:
    """The error a failed smoke stage ends the command with."""
    where = (f"live stays on version {result.live}" if result.live
             else "nothing is live: this was the first version")  # fmt: skip
    failures = result.failures
    lines = [f"  {check.source}: {check.detail}" for check in failures]
    lines += [f"    | {line}" for line in failures[0].log]
    skipped = untried(result.smoke)
    if skipped:
        lines.append(f"  not tried after that failure: {', '.join(skipped)}")
    return ReleaseError(
        f"version {result.version} failed its smoke test, so {where}:\n" + "\n".join(lines),
        "fix the processor and run `sandbox deploy --publish` again",
    )


# -- rollback -------------------------------------------------------------------------------


@dataclass
class Rollback:
    function: str
    rolled_back_from: str
    live: str

    def to_dict(self) -> dict[str, str]:
        return {"function": self.function, "rolled_back_from": self.rolled_back_from,
                "live": self.live}  # fmt: skip


def rollback(
    endpoint: str, names: Names | None = None, on_wait: Callable[[str], None] | None = None
) -> Rollback:
    """Move `live` to the version that was live before the one it is on."""
    names = names or Names()
    with (
        one_at_a_time(endpoint, names.function, on_wait),
        translated("roll back the live alias", endpoint),
    ):
        lam = client("lambda", endpoint)
        alias = live_alias(lam, names)
        if alias is None:
            raise ReleaseError(
                f"nothing to roll back: {names.function} has no alias {LIVE_ALIAS}",
                "release a version first with `sandbox deploy --publish`",
            )
        current, history = _version(alias) or "", history_of(alias)
        target, kept = _previous(lam, names, current, history)
        point_live(lam, names, target, kept, exists=True)
        deploylog.record(endpoint, names.function, Entry("rollback", live_from=current,
                                                         live_to=target))  # fmt: skip
    return Rollback(names.function, current, target)


def _previous(lam: Any, names: Names, current: str, history: list[str]) -> tuple[str, list[str]]:
    if history[-1:] == [current] and len(history) > 1:
        return history[-2], history[:-1]
    if history[-1:] != [current]:  # moved by hand: the highest version below it
        lower = [v for v in published_versions(lam, names) if _below(v, current)]
        if lower:
            target = max(lower, key=int)
            return target, [target]
    raise ReleaseError(
        f"nothing to roll back to: live is on version {current}, the first one released",
        "release a fixed version with `sandbox deploy --publish` instead",
    )


def _below(version: str, current: str) -> bool:
    return version.isdigit() and current.isdigit() and int(version) < int(current)


# -- the alias and its history --------------------------------------------------------------


def live_alias(lam: Any, names: Names) -> dict[str, Any] | None:
    try:
        return dict(lam.get_alias(FunctionName=names.function, Name=LIVE_ALIAS))
    except ClientError as err:
        if error_code(err) != "ResourceNotFoundException":
            raise
        return None


def point_live(
    lam: Any, names: Names, version: str, history: list[str], exists: bool
) -> dict[str, Any]:
    """Create or move `live` to `version`, recording where it has pointed."""
    description = " ".join([HISTORY_PREFIX, *history[-HISTORY_KEPT:]])
    call = lam.update_alias if exists else lam.create_alias
    return dict(call(FunctionName=names.function, Name=LIVE_ALIAS, FunctionVersion=version,
                     Description=description))  # fmt: skip


def history_of(alias: dict[str, Any]) -> list[str]:
    """The versions `live` has pointed at, oldest first (from the alias's description)."""
    description = str(alias.get("Description") or "")
    if not description.startswith(HISTORY_PREFIX):
        return []
    return description.removeprefix(HISTORY_PREFIX).split()


def _history_or_now(alias: dict[str, Any]) -> list[str]:
    """The alias's history; for an alias made by other means, the version it is on."""
    return history_of(alias) or [str(alias["FunctionVersion"])]


def published_versions(lam: Any, names: Names) -> list[str]:
    return [v["Version"] for v in all_versions(lam, names) if v["Version"] != "$LATEST"]


def all_versions(lam: Any, names: Names) -> list[dict[str, Any]]:
    """Every version's configuration, $LATEST included, page after page."""
    versions: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"FunctionName": names.function}
    while True:
        page = lam.list_versions_by_function(**kwargs)
        versions += page.get("Versions", [])
        if not page.get("NextMarker"):
            return versions
        kwargs["Marker"] = page["NextMarker"]


def _version(alias: dict[str, Any] | None) -> str | None:
    return str(alias["FunctionVersion"]) if alias else None
