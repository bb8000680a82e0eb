"""run: steps on the host: shells, env at three levels, working-directory, the files steps
write ($GITHUB_OUTPUT, $GITHUB_ENV, $GITHUB_PATH, $GITHUB_STEP_SUMMARY), if:,
continue-on-error and timeouts."""

from __future__ import annotations

from pathlib import Path

import psutil

from tests.pipeline.conftest import Runner


def test_env_at_workflow_job_and_step_level_the_nearest_wins(run_yaml: Runner) -> None:
    ran = run_yaml("""
        on: push
        env: {A: workflow, B: workflow, C: workflow}
        jobs:
          build:
            runs-on: ubuntu-latest
            env: {B: job, C: job}
            steps:
              - run: echo "$A $B $C ${{ env.C }}"
                env: {C: step}
    """)
    assert "| workflow job step step" in ran.output
    assert ran.result.ok


def test_working_directory_of_the_step_and_of_defaults(run_yaml: Runner, repo: Path) -> None:
    (repo / "app" / "sub").mkdir(parents=True)
    ran = run_yaml("""
        on: push
        defaults:
          run: {working-directory: app}
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo "in $(basename "$PWD")"
              - run: echo "in $(basename "$PWD")"
                working-directory: app/sub
              - run: echo never
                working-directory: missing
    """)
    assert "| in app" in ran.output
    assert "| in sub" in ran.output
    missing = ran.job("build").steps[2]
    assert missing.message.startswith("working-directory")
    assert "does not exist" in missing.message


def test_outputs_env_path_and_summary_files_reach_later_steps(run_yaml: Runner) -> None:
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - id: make
                run: |
                  echo "version=1.2.3" >> "$GITHUB_OUTPUT"
                  { echo "notes<<EOF"; echo "line one"; echo "line two"; echo "EOF"; } >> "$GITHUB_OUTPUT"
                  echo "DEPLOY_TARGET=staging" >> "$GITHUB_ENV"
                  mkdir -p "$RUNNER_TEMP/tools" && printf '#!/bin/sh\\necho tool ran\\n' > "$RUNNER_TEMP/tools/mytool"
                  chmod +x "$RUNNER_TEMP/tools/mytool" && echo "$RUNNER_TEMP/tools" >> "$GITHUB_PATH"
                  echo "### Built 1.2.3" >> "$GITHUB_STEP_SUMMARY"
              - run: |
                  echo "v=${{ steps.make.outputs.version }} target=$DEPLOY_TARGET env=${{ env.DEPLOY_TARGET }}"
                  echo "${{ steps.make.outputs.notes }}" | tail -1
                  mytool
    """)  # noqa: E501
    assert ran.step("build", 'Run echo "version=1.2.3" >> "$GITHUB_OUTPUT"').outputs == {
        "version": "1.2.3",
        "notes": "line one\nline two",
    }
    assert "| v=1.2.3 target=staging env=staging" in ran.output
    assert "| line two" in ran.output
    assert "| tool ran" in ran.output
    assert ran.job("build").summary.strip() == "### Built 1.2.3"


def test_a_malformed_output_line_fails_the_step_saying_why(run_yaml: Runner) -> None:
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo "just text" >> "$GITHUB_OUTPUT"
    """)
    [step] = ran.job("build").steps
    assert str(step.conclusion) == "failure"
    assert "$GITHUB_OUTPUT line 1: `just text` is neither NAME=value nor NAME<<DELIMITER" in (
        step.message
    )


def test_a_failed_step_skips_the_rest_except_failure_and_always(run_yaml: Runner) -> None:
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: exit 3
              - run: echo after
              - if: failure()
                run: echo cleaning up after a failure
              - if: ${{ always() }}
                run: echo always
              - if: success()
                run: echo only on success
    """)
    steps = ran.job("build").steps
    assert [str(s.conclusion) for s in steps] == [
        "failure",
        "skipped",
        "success",
        "success",
        "skipped",
    ]
    assert steps[0].message == "exit code 3"
    assert ran.conclusions == {"build": "failure"}


def test_continue_on_error_keeps_outcome_failure_and_conclusion_success(run_yaml: Runner) -> None:
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - id: flaky
                run: exit 1
                continue-on-error: true
              - run: echo "outcome=${{ steps.flaky.outcome }} conclusion=${{ steps.flaky.conclusion }}"
    """)  # noqa: E501
    assert "| outcome=failure conclusion=success" in ran.output
    assert ran.result.ok


def test_default_shell_is_bash_without_pipefail_and_shell_bash_adds_it(run_yaml: Runner) -> None:
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: false | true
              - run: false | true
                shell: bash
              - if: always()
                run: print("python", 3 * 7)
                shell: python
              - if: always()
                run: echo "$0" | grep -q '\\.sh$' && echo sh ran
                shell: sh
    """)
    assert [str(s.outcome) for s in ran.job("build").steps] == [
        "success",
        "failure",
        "success",
        "success",
    ]
    assert "| python 21" in ran.output
    assert "| sh ran" in ran.output


def test_a_step_that_times_out_is_killed_with_its_process_group(
    run_yaml: Runner, tmp_path: Path
) -> None:
    pid_file = tmp_path / "background.pid"
    ran = run_yaml(f"""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  sleep 300 &
                  echo $! > {pid_file}
                  sleep 300
                timeout-minutes: 0.02
    """)
    [step] = ran.job("build").steps
    assert str(step.conclusion) == "failure"
    assert step.message == "timed out after 0.02 min: its processes were stopped"
    assert not _alive(int(pid_file.read_text()))


def test_background_processes_a_step_leaves_are_stopped_at_the_end_of_the_job(
    run_yaml: Runner, tmp_path: Path
) -> None:
    pid_file = tmp_path / "server.pid"
    ran = run_yaml(f"""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: (sleep 300 & echo $! > {pid_file})
              - run: kill -0 "$(cat {pid_file})" && echo still serving
    """)
    assert "| still serving" in ran.output
    assert "stopped 1 background process group(s) its steps left" in ran.job("build").notes
    assert not _alive(int(pid_file.read_text()))


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_secrets_come_from_sandbox_secret_variables_and_are_masked(run_yaml: Runner) -> None:
    ran = run_yaml(
        """
        on: push
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - run: echo "token=$TOKEN missing=[${{ secrets.NOT_SET }}]"
                env:
                  TOKEN: ${{ secrets.DEPLOY_TOKEN }}
        """,
        env={"SANDBOX_SECRET_DEPLOY_TOKEN": "s3cr3t-value"},
    )
    assert "| token=*** missing=[]" in ran.output
    assert "s3cr3t-value" not in ran.output


def test_a_run_time_expression_error_fails_the_step_naming_the_line(run_yaml: Runner) -> None:
    ran = run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo ${{ fromJSON('not json') }}
    """)
    [step] = ran.job("build").steps
    assert "/.github/workflows/ci.yml:6: fromJSON(): `not json` is not JSON" in step.message
