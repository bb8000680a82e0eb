"""actions/checkout: the workspace is used as it is (already checked out, with your
uncommitted changes: that is what you want to test before you push)."""

from __future__ import annotations

from sandbox.pipeline.actions.base import ActionCall, ActionFailed, ActionResult


def checkout(call: ActionCall) -> ActionResult:
    repository = call.input("repository")
    own = call.env.get("GITHUB_REPOSITORY", "")
    if repository and repository.lower() != own.lower():
        raise ActionFailed(
            f"checkout of another repository ({repository}) needs the network: clone it in "
            "a run: step from a local path, or check out only this repository"
        )
    where = call.input("path")
    if where and not (call.workspace / where).is_dir():
        raise ActionFailed(f"path: {where} is not a folder of the workspace {call.workspace}")
    call.log(f"workspace used as it is: {call.workspace / where if where else call.workspace}")
    return ActionResult()
