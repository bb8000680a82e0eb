"""The seam between the screens and the core: what the TUI asks for, in one place.

`DataSource` is the whole contract (one small protocol per screen); `RealSource` implements
it over the same core functions the CLI calls. Every method may block: screens call them
from thread workers only. Every failure is a SandboxError whose `render()` is what the CLI
prints. (The snapshot tests use a fixed fake, tests/tui/fake_source.py.)
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sandbox.aws import browse, inventory
from sandbox.aws.clients import is_real_aws
from sandbox.aws.deploy import DeployResult, deploy
from sandbox.aws.events import Firer, FireResult
from sandbox.aws.inventory import Deployment
from sandbox.aws.package import fingerprint
from sandbox.aws.samples import sample
from sandbox.config import BACKENDS, Settings
from sandbox.errors import SandboxError
from sandbox.labs import engine
from sandbox.labs.engine import LabStart
from sandbox.labs.lifecycle import Switch
from sandbox.labs.runner import CheckResult, LabReport
from sandbox.stack import choose_backend, get_backend, healthy_endpoint, remember_backend
from sandbox.stack.backend import Backend
from sandbox.stack.model import StackStatus, State
from sandbox.tui import faultview, labview, metrics
from sandbox.tui.models import HintView, LabDetail, LabRow, QueueRow, SnapshotRow

CheckListener = Callable[[str, CheckResult | None], None]  # check id; None: it started
Notice = Callable[[str], None]  # a message for the learner, from a worker thread


class StackSource(Protocol):
    @property
    def backend_name(self) -> str: ...
    def use_backend(self, name: str) -> None: ...
    def now(self) -> float: ...
    def status(self) -> StackStatus: ...
    def start(self, progress: Callable[[StackStatus], None]) -> StackStatus: ...
    def stop(self) -> StackStatus: ...
    def start_service(self, name: str) -> None: ...
    def stop_service(self, name: str) -> None: ...
    def restart_service(self, name: str) -> None: ...
    def log_tail(self, service: str, lines: int) -> list[str]: ...
    def faults(self) -> list[str]: ...
    def clear_faults(self) -> str: ...
    def follow_logs(self, service: str, stop: Callable[[], bool]) -> Iterator[str]: ...


class ServerlessSource(Protocol):
    def lambda_fingerprint(self) -> str: ...
    def deployment(self) -> Deployment: ...
    def deploy(self) -> DeployResult: ...
    def fire(self, source: str, data: dict[str, Any]) -> FireResult: ...
    def invoke(self, event: dict[str, Any]) -> dict[str, Any]: ...
    def sample_event(self, source: str) -> dict[str, Any]: ...


class BrowseSource(Protocol):
    def tables(self) -> list[str]: ...
    def items(self, table: str) -> list[dict[str, Any]]: ...
    def buckets(self) -> list[str]: ...
    def objects(self, bucket: str) -> list[dict[str, Any]]: ...
    def queues(self) -> list[QueueRow]: ...
    def snapshots(self) -> list[SnapshotRow]: ...


class MetricsSource(Protocol):
    def metrics(self) -> metrics.MetricsView: ...


class LabsSource(Protocol):
    def labs(self) -> list[LabRow]: ...
    def lab_detail(self, lab_id: str) -> LabDetail: ...
    def grade(
        self, lab_id: str, step: str | None, listener: CheckListener, on_wait: Notice
    ) -> LabReport: ...
    def hint(self, lab_id: str, check_id: str | None) -> HintView | None: ...
    def start_lab(self, lab_id: str) -> LabStart: ...
    def stop_lab(self) -> Switch: ...
    def reset_lab(self, lab_id: str) -> None: ...
    def workspace_stamp(self, lab_id: str) -> str: ...
    def undo_lab(self, lab_id: str) -> str: ...


class DataSource(StackSource, ServerlessSource, BrowseSource, MetricsSource, LabsSource,
                 Protocol):  # fmt: skip
    """Everything the TUI reads and does."""


class HasSource(Protocol):
    """The app, as the screens see it."""

    source: DataSource


class RealSource:
    """The data source over the core: the stack backend, the emulator, the app, the labs."""

    def __init__(self, env: Mapping[str, str] | None = None, backend: str | None = None) -> None:
        self.env = env  # None: the process environment, read afresh on every call
        self._backend = choose_backend(self.settings(), backend, env)
        self._tracker = metrics.Tracker()

    def settings(self) -> Settings:
        """Fresh each time: a started lab changes where the stack's code lives."""
        return Settings.from_env(self.env)

    def backend(self) -> Backend:
        return get_backend(self.settings(), self._backend)

    # -- the stack ------------------------------------------------------------------------

    @property
    def backend_name(self) -> str:
        return self._backend

    def use_backend(self, name: str) -> None:
        if name not in BACKENDS:
            raise SandboxError(
                f"there is no backend {name!r}", f"use one of: {', '.join(BACKENDS)}"
            )
        self._backend = name

    def now(self) -> float:
        return time.time()

    def status(self) -> StackStatus:
        return self.backend().status()

    def start(self, progress: Callable[[StackStatus], None]) -> StackStatus:
        backend = self.backend()
        result = backend.start(progress=progress)
        remember_backend(self.settings(), backend.name)
        return result.status

    def stop(self) -> StackStatus:
        return self.backend().stop()

    def start_service(self, name: str) -> None:
        self.backend().start_service(name)

    def stop_service(self, name: str) -> None:
        self.backend().stop_service(name)

    def restart_service(self, name: str) -> None:
        backend = self.backend()
        backend.stop_service(name)
        backend.start_service(name)

    def faults(self) -> list[str]:
        return faultview.active(*self._fault_endpoints())

    def clear_faults(self) -> str:
        return faultview.clear(*self._fault_endpoints())

    def _fault_endpoints(self) -> tuple[str | None, str | None]:
        """The faults server and the emulator, each only when it is up here."""
        services = self.backend().status().services

        def healthy(name: str) -> str | None:
            service = services.get(name)
            return service.url if service and service.state is State.HEALTHY else None

        aws = healthy("aws")
        return healthy("faults"), aws if aws and aws.startswith("http") else None  # not real AWS

    def log_tail(self, service: str, lines: int) -> list[str]:
        return list(self.backend().logs(service))[-lines:]

    def follow_logs(self, service: str, stop: Callable[[], bool]) -> Iterator[str]:
        """Only lines written from now on (a `since` in the future skips the old ones)."""
        future = datetime.now(UTC) + timedelta(days=365)
        return self.backend().logs(service, since=future, follow=True, stop=stop)

    # -- serverless -----------------------------------------------------------------------

    def aws_endpoint(self) -> str:
        """The emulator's URL, or the CLI's own error when it is not up."""
        return healthy_endpoint(self.backend(), "aws")

    def lambda_fingerprint(self) -> str:
        return repr(fingerprint(self.settings().lambda_dir))

    def deployment(self) -> Deployment:
        """What the emulator has, whoever deployed it."""
        return inventory.deployment(self.aws_endpoint())

    def deploy(self) -> DeployResult:
        endpoint = self.aws_endpoint()
        if is_real_aws(endpoint):  # the CLI names the account and asks; the TUI cannot ask yet
            raise SandboxError(
                "the TUI does not deploy to a real AWS account",
                "run `sandbox deploy` in a terminal: it names the account and asks first",
            )
        return deploy(endpoint, self.settings().lambda_dir)

    def fire(self, source: str, data: dict[str, Any]) -> FireResult:
        return Firer(self.aws_endpoint()).fire(source, data, timeout=10.0)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        return Firer(self.aws_endpoint()).invoke(event)

    def sample_event(self, source: str) -> dict[str, Any]:
        return sample(source)

    # -- data -----------------------------------------------------------------------------

    def tables(self) -> list[str]:
        return browse.ddb_tables(self.aws_endpoint())

    def items(self, table: str) -> list[dict[str, Any]]:
        return browse.ddb_scan(self.aws_endpoint(), table, limit=200)

    def buckets(self) -> list[str]:
        return [row["bucket"] for row in browse.s3_list(self.aws_endpoint())]

    def objects(self, bucket: str) -> list[dict[str, Any]]:
        return browse.s3_list(self.aws_endpoint(), bucket)

    def queues(self) -> list[QueueRow]:
        return queue_rows(browse.sqs_depths(self.aws_endpoint()))

    def snapshots(self) -> list[SnapshotRow]:
        return labview.snapshot_rows(self.settings())

    # -- metrics --------------------------------------------------------------------------

    def metrics(self) -> metrics.MetricsView:
        try:
            text = _fetch(healthy_endpoint(self.backend(), "app") + "/metrics")
        except SandboxError as err:
            return self._tracker.unavailable(err.render())
        return self._tracker.add(metrics.parse(text, time.time()))

    # -- labs -----------------------------------------------------------------------------

    def labs(self) -> list[LabRow]:
        return engine.lab_rows(self.settings())

    def lab_detail(self, lab_id: str) -> LabDetail:
        return labview.detail(lab_id, self.settings().home)

    def grade(
        self, lab_id: str, step: str | None, listener: CheckListener, on_wait: Notice
    ) -> LabReport:
        return labview.grade(lab_id, step, listener, self.settings(), self._backend, on_wait)

    def hint(self, lab_id: str, check_id: str | None) -> HintView | None:
        return labview.hint(lab_id, check_id, self.settings().home)

    def start_lab(self, lab_id: str) -> LabStart:
        return engine.start(lab_id, self.settings(), self.backend)

    def stop_lab(self) -> Switch:
        return engine.leave(self.settings(), self.backend)

    def reset_lab(self, lab_id: str) -> None:
        engine.reset(lab_id, self.settings(), self.backend)

    def workspace_stamp(self, lab_id: str) -> str:
        return labview.workspace_stamp(lab_id)

    def undo_lab(self, lab_id: str) -> str:
        return labview.undo(lab_id, self.settings(), self.backend())


def queue_rows(depths: list[dict[str, Any]]) -> list[QueueRow]:
    """Each queue with its dead-letter queue's depth beside it (a `<name>-dlq` queue)."""
    visible = {row["queue"]: int(row["visible"]) for row in depths}
    return [
        QueueRow(row["queue"], int(row["visible"]), int(row["in_flight"]),
                 bool(row["dead_letter"]), visible.get(f"{row['queue']}-dlq"))
        for row in depths
    ]  # fmt: skip


def _fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - the app, loopback
            return str(response.read().decode())
    except (urllib.error.URLError, OSError) as err:
        raise SandboxError(f"cannot read {url}: {err}", "see `sandbox logs app`") from None
