"""The emulator in a snapshot: ministack's state files and its S3 object files.

Saving asks the running emulator to write its state now (POST /_sandbox/state/persist,
served in its process by sandbox/services/emulator_state.py), then links the files. An
emulator without that endpoint is stopped gracefully and started again, which is the only
other moment ministack writes its state; the caller is told. Loading needs the emulator
stopped: its files are swapped (the old ones kept aside until it is healthy again) and its
start re-anchors the DynamoDB stream triggers (see services/aws.py), so events fire again
from every source.
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

from sandbox.errors import SnapshotError
from sandbox.services import aws
from sandbox.services.emulator_state import PERSIST_PATH
from sandbox.snapshots.folders import link_tree
from sandbox.snapshots.stackview import StackView

FOLDER = "aws"
PARTS = ("state", "s3")  # under <home>/aws: ministack's STATE_DIR and S3_DATA_DIR
ASIDE = ".before-load"
RESTARTED = "the emulator was stopped and started to write its state (it has no persist endpoint)"


def version() -> str:
    try:
        return f"ministack {package_version('ministack')}"
    except PackageNotFoundError:
        return "ministack unknown"


def save(stack: StackView, staging: Path) -> list[str]:
    """Link the emulator's files at this moment; return notes for the user."""
    notes = []
    if not _persist(stack.aws_url):
        stack.stop(["aws"])
        stack.start(["aws"])
        notes.append(RESTARTED)
    for part in PARTS:
        source = _data_dir(stack) / part
        if source.is_dir():
            link_tree(source, staging / FOLDER / part)
    return notes


def _persist(endpoint: str) -> bool:
    """True when the emulator wrote its state in place; False when it cannot (no endpoint)."""
    request = urllib.request.Request(endpoint + PERSIST_PATH, data=b"", method="POST")  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            json.loads(response.read())
    except urllib.error.HTTPError as err:
        if err.code in (404, 405):
            return False
        detail = err.read().decode(errors="replace")
        raise SnapshotError(
            f"the emulator could not write its state: {detail}", "see `sandbox logs aws`"
        ) from err
    except (OSError, ValueError) as err:
        raise SnapshotError(
            f"the emulator does not answer: {err}", "check `sandbox status`; `sandbox up` starts it"
        ) from err
    return True


def replace_files(stack: StackView, unpacked: Path) -> None:
    """With the emulator stopped: its files become the snapshot's (the old ones aside)."""
    for part in PARTS:
        live = _data_dir(stack) / part
        aside = live.with_name(part + ASIDE)
        shutil.rmtree(aside, ignore_errors=True)
        if live.exists():
            live.rename(aside)
        staged = unpacked / FOLDER / part
        if staged.is_dir():
            shutil.move(str(staged), str(live))
        else:
            live.mkdir(parents=True)


def put_back(stack: StackView) -> None:
    for part in PARTS:
        live = _data_dir(stack) / part
        aside = live.with_name(part + ASIDE)
        if aside.exists():
            shutil.rmtree(live, ignore_errors=True)
            aside.rename(live)


def forget_aside(stack: StackView) -> None:
    for part in PARTS:
        shutil.rmtree(_data_dir(stack) / (part + ASIDE), ignore_errors=True)


def _data_dir(stack: StackView) -> Path:
    return aws.AwsConfig(stack.settings.home).data_dir
