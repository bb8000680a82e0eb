"""actions/checkout with `path:` and `repository:`, offline: this repository is copied into
the path for the run (linked, so nothing of yours is written over), another repository is a
local copy linked at its path: a clone under <state dir>/repositories, or the running
sandbox's own source when the workflow names it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sandbox.config import Settings
from sandbox.pipeline.actions.checkout import SANDBOX_SOURCE
from sandbox.pipeline.environment import repository
from tests.pipeline.conftest import Runner


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Learner", "-c", "user.email=learner@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        timeout=30,
    )


def committed(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "work")


CHECKOUT_INTO_LAB = """
    on: push
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
            with:
              path: workspace/lab
          - run: find -L workspace/lab -type f | sort && cat workspace/lab/app.py
"""


def test_a_path_gets_the_tracked_files_as_they_are_now(run_yaml: Runner, repo: Path) -> None:
    committed(repo, {"app.py": "print('committed')\n", "docs/notes.md": "notes\n"})
    (repo / "app.py").write_text("print('edited, not committed')\n")
    (repo / "scratch.txt").write_text("untracked: not part of a clone\n")
    ran = run_yaml(CHECKOUT_INTO_LAB)
    assert str(ran.result.conclusion) == "success"
    assert "workspace/lab: a copy of the workspace's 2 file(s), made for this run" in ran.output
    assert "| workspace/lab/docs/notes.md" in ran.output
    assert "| print('edited, not committed')" in ran.output
    assert "scratch.txt" not in ran.output  # (nor the workflow: run_yaml writes it after)


def test_the_next_run_checks_out_afresh_and_leaves_your_files_alone(
    run_yaml: Runner, repo: Path
) -> None:
    committed(repo, {"app.py": "print('first push')\n"})
    run_yaml(CHECKOUT_INTO_LAB)
    (repo / "app.py").write_text("print('second push')\n")
    ran = run_yaml(CHECKOUT_INTO_LAB)
    assert "| print('second push')" in ran.output
    assert (repo / "workspace" / "lab").is_symlink()  # the copy was the run's, not yours
    assert (repo / "app.py").read_text() == "print('second push')\n"


def test_outside_git_every_file_but_the_path_itself_is_copied(run_yaml: Runner, repo: Path) -> None:
    (repo / "app.py").write_text("print('no git here')\n")
    ran = run_yaml(CHECKOUT_INTO_LAB)
    assert "| print('no git here')" in ran.output
    assert "workspace/lab/workspace" not in ran.output


def test_another_repository_is_a_local_clone_linked_at_its_path(
    run_yaml: Runner, settings: Settings
) -> None:
    clone = settings.home / "repositories" / "example-school" / "tools"
    clone.mkdir(parents=True)
    (clone / "README.md").write_text("the tools\n")
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                with:
                  repository: example-school/tools
                  ref: v2
                  path: tools
              - run: cat tools/README.md
    """)
    assert str(ran.result.conclusion) == "success"
    assert f"example-school/tools: tools links to the local copy {clone}" in ran.output
    assert "| ref: v2 is not checked out locally" in ran.output
    assert "| the tools" in ran.output


def test_the_running_sandbox_stands_in_for_its_own_repository(run_yaml: Runner) -> None:
    name = repository(SANDBOX_SOURCE).name  # its origin, or local/<folder> without one
    ran = run_yaml(f"""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                with:
                  repository: {name}
                  path: sandbox
              - run: test -f sandbox/sandbox/pipeline/actions/checkout.py
    """)
    assert str(ran.result.conclusion) == "success"
    assert f"links to the local copy {SANDBOX_SOURCE}" in ran.output


def test_an_unknown_repository_says_where_to_put_a_clone(
    run_yaml: Runner, settings: Settings
) -> None:
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                with:
                  repository: someone/elsewhere
                  path: elsewhere
    """)
    message = ran.step("build", "Run actions/checkout@v4").message
    clone = settings.home / "repositories" / "someone" / "elsewhere"
    assert "checkout of another repository (someone/elsewhere) needs the network" in message
    assert f"git clone https://github.com/someone/elsewhere {clone}" in message


def test_paths_outside_the_workspace_and_bad_names_are_refused(run_yaml: Runner) -> None:
    ran = run_yaml("""
        on: push
        jobs:
          outside:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                with:
                  path: ../elsewhere
          bad-name:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                with:
                  repository: ../../etc
                  path: x
          no-path:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                with:
                  repository: example-school/tools
    """)
    messages = {job.name: job.steps[0].message for job in ran.result.jobs}
    assert "path: ../elsewhere is outside the workspace" in messages["outside"]
    assert "repository: '../../etc' is not OWNER/NAME" in messages["bad-name"]
    assert "needs the network" in messages["no-path"]  # no local copy: that comes first
