"""What a step finds in its environment: the sandbox's endpoints (so the workflow that
deploys to AWS on GitHub deploys to the sandbox here) and the variables GitHub's runner sets.
"""

from __future__ import annotations

import functools
import getpass
import os
import platform
import posixpath
import secrets
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sandbox.aws.names import REGION
from sandbox.config import Settings
from sandbox.stack.specs import port_variables, service_specs

SECRET_PREFIX = "SANDBOX_SECRET_"  # noqa: S105 - a prefix, not a secret; SANDBOX_SECRET_DEPLOY_KEY is secrets.DEPLOY_KEY
VAR_PREFIX = "SANDBOX_VAR_"  # SANDBOX_VAR_STAGE is vars.STAGE
NO_SHA = "0" * 40
# The emulator's test keys: sandbox.aws.clients.CREDENTIALS (a test holds them equal), not
# imported from there, as that module loads boto3, which a run does not need.
TEST_KEYS = {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox"}


def sandbox_variables(settings: Settings, backend: str) -> dict[str, str]:
    """The endpoints of the stack these settings describe (it need not be running): AWS_*
    for the emulator, DATABASE_URL, REDIS_URL, APP_URL and SANDBOX_<SERVICE>_PORT."""
    specs = service_specs(settings)
    external = backend == "external"
    found = {
        "SANDBOX_HOME": str(settings.home),
        "SANDBOX_BACKEND": backend,
        **port_variables(settings.ports),
        **_aws(settings.aws_endpoint if external else specs["aws"].url),
    }
    urls = {
        "DATABASE_URL": settings.postgres_url if external else specs["postgres"].url,
        "REDIS_URL": settings.redis_url if external else specs["redis"].url,
        "APP_URL": settings.app_url if external else specs["app"].url,
    }
    return found | {name: url for name, url in urls.items() if url}


def _aws(endpoint: str | None) -> dict[str, str]:
    """The emulator's endpoint and test keys; none for real AWS (the external backend without
    SANDBOX_AWS_ENDPOINT), where steps use the person's own credentials."""
    if endpoint is None:
        return {}
    return {
        "AWS_ENDPOINT_URL": endpoint,
        **TEST_KEYS,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


def prefixed(env: Mapping[str, str], prefix: str) -> dict[str, str]:
    """SANDBOX_SECRET_X=1 -> {"X": "1"}: the secrets (or vars) given to this run."""
    return {name[len(prefix) :]: value for name, value in env.items() if name.startswith(prefix)}


@dataclass(frozen=True)
class Repository:
    """What git says about the workspace (all optional: it may not be a git checkout)."""

    sha: str
    ref: str
    name: str  # owner/repo
    message: str

    @property
    def ref_name(self) -> str:
        return self.ref.removeprefix("refs/heads/").removeprefix("refs/tags/")

    @property
    def owner(self) -> str:
        return self.name.split("/", 1)[0]


def repository(workspace: Path) -> Repository:
    sha = _git(workspace, "rev-parse", "HEAD") or NO_SHA
    ref = _git(workspace, "symbolic-ref", "-q", "HEAD") or "refs/heads/main"
    remote = _git(workspace, "config", "--get", "remote.origin.url")
    message = _git(workspace, "log", "-1", "--format=%s") if sha != NO_SHA else ""
    return Repository(sha, ref, _repo_name(remote) or f"local/{workspace.name}", message)


def _git(workspace: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(workspace), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _repo_name(remote: str) -> str:
    """owner/repo from git@host:owner/repo.git, https://host/owner/repo(.git) or a local
    path (a clone of `.` records `/path/to/repo/.`: normalised first)."""
    path = remote.rsplit(":", 1)[-1] if remote.startswith("git@") else remote
    parts = [p for p in posixpath.normpath(path.removesuffix(".git")).split("/") if p]
    return "/".join(parts[-2:]) if len(parts) >= 2 else ""


def runner_os() -> tuple[str, str]:
    """RUNNER_OS and RUNNER_ARCH as GitHub spells them."""
    system = {"Darwin": "macOS", "Windows": "Windows"}.get(platform.system(), "Linux")
    machine = platform.machine().lower()
    arch = {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64", "arm64": "ARM64"}
    return system, arch.get(machine, machine.upper())


@dataclass(frozen=True)
class RunInfo:
    """One run's identity: what the github and runner contexts and GITHUB_* say."""

    workflow: str
    event: str
    workspace: Path
    temp: Path
    repo: Repository
    run_id: str

    @functools.cached_property
    def variables(self) -> dict[str, str]:
        """GITHUB_* and RUNNER_* of the run (worked out once: read, never changed)."""
        system, arch = runner_os()
        actor = _actor()
        return {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKFLOW": self.workflow,
            "GITHUB_EVENT_NAME": self.event,
            "GITHUB_EVENT_PATH": str(self.temp / "event.json"),
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_SHA": self.repo.sha,
            "GITHUB_REF": self.repo.ref,
            "GITHUB_REF_NAME": self.repo.ref_name,
            "GITHUB_REF_TYPE": "tag" if self.repo.ref.startswith("refs/tags/") else "branch",
            "GITHUB_REPOSITORY": self.repo.name,
            "GITHUB_REPOSITORY_OWNER": self.repo.owner,
            "GITHUB_RUN_ID": self.run_id,
            "GITHUB_RUN_NUMBER": "1",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_ACTOR": actor,
            "GITHUB_TRIGGERING_ACTOR": actor,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_HEAD_REF": "",
            "GITHUB_BASE_REF": "",
            "RUNNER_OS": system,
            "RUNNER_ARCH": arch,
            "RUNNER_NAME": "sandbox",
            "RUNNER_ENVIRONMENT": "self-hosted",
            "RUNNER_TEMP": str(self.temp),
            "RUNNER_TOOL_CACHE": str(self.temp / "tool-cache"),
        }


def new_run_id() -> str:
    """A number, as GitHub's run ids are, unique among runs started in the same millisecond
    (the grader starts several at once, and deploys are told apart by it: aws/deploylog.py)."""
    return str(int(time.time() * 1000) * 1000 + secrets.randbelow(1000))


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "sandbox")
