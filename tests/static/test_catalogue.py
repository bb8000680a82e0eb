"""The catalogue of rule ids: every rule a finding can carry is in it, and a lab file that
names a rule in no catalogue fails to load, with the file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.labs.loader import LabFileError, load
from sandbox.static import catalogue
from sandbox.static.findings import HADOLINT_MISSING
from tests.static.conftest import BAD

STATIC = Path(catalogue.__file__).parent
RULE_LITERAL = re.compile(r'"((?:K8S|DF)-[A-Z0-9-]+)"')


def rule_ids_in_the_code() -> set[str]:
    found = set()
    for module in STATIC.glob("*.py"):
        if module.name != "catalogue.py":
            found |= set(RULE_LITERAL.findall(module.read_text()))
    return found


def test_every_rule_our_graders_report_is_in_the_catalogue() -> None:
    ours = {rule.id for rule in catalogue.RULES} - {HADOLINT_MISSING}
    assert rule_ids_in_the_code() == ours


def test_hadolint_codes_and_shellcheck_codes_are_known() -> None:
    assert catalogue.known("DL3008")
    assert catalogue.known("SC2086")
    assert not catalogue.known("DL3005")  # retired from hadolint
    assert not catalogue.known("DF-PIN-BSAE")


@pytest.mark.parametrize("pattern", ["K8S-PROBE-*", "k8s-hpa-*", "DF-*", "DL30*", "DF-PIN-BASE"])
def test_a_pattern_that_selects_a_rule_is_accepted(pattern: str) -> None:
    assert catalogue.problem(pattern) is None


def test_an_unknown_rule_says_which_one_it_might_be() -> None:
    assert catalogue.problem("DF-PIN-BSAE") == (
        "no rule 'DF-PIN-BSAE': not one of ours (K8S-*, DF-*) nor hadolint's (DL*, SC*); "
        "did you mean DF-PIN-BASE?"
    )


def test_every_hadolint_code_on_the_bad_fixtures_is_known() -> None:
    from sandbox.static import check_dockerfile

    for dockerfile in (BAD / "dockerfiles").iterdir():
        for finding in check_dockerfile(dockerfile):
            assert catalogue.known(finding.rule), finding.rule


LAB = """\
id: 09-demo
title: Demo
summary: A demo lab.
steps:
  - id: one
    title: First step
    instructions: steps/one.md
    checks:
      - id: base
        kind: dockerfile
        title: The base image is pinned
        rules:
          - DF-PIN-BASE
          - DF-PIN-BSAE
      - id: probes
        kind: manifest
        title: Probes
        rules: [K8S-PROBE-*, K8S-NOPE-*]
"""


def test_a_lab_naming_an_unknown_rule_fails_to_load_with_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "09-demo"
    (folder / "steps").mkdir(parents=True)
    (folder / "steps" / "one.md").write_text("Do it.")
    (folder / "lab.yaml").write_text(LAB)
    with pytest.raises(LabFileError) as caught:
        load(folder)
    lines = caught.value.message.splitlines()
    assert lines[0].startswith(f"{folder / 'lab.yaml'}:14: steps[0].checks[0].rules[1]: ")
    assert "no rule 'DF-PIN-BSAE'" in lines[0]
    assert lines[1].startswith(f"{folder / 'lab.yaml'}:18: steps[0].checks[1].rules[1]: ")
    assert "no rule 'K8S-NOPE-*'" in lines[1]
