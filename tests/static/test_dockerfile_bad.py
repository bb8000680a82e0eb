"""Every planted mistake of the bad Dockerfiles is caught by our own rules, and hadolint's
codes pass through."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from sandbox.static import Finding, Severity, check_dockerfile
from tests.static.conftest import BAD

DOCKERFILES = BAD / "dockerfiles"
# (id, file, rule, line): one row per planted mistake ("MISTAKE:" in the fixtures).
PLANTED = [
    ("unpinned-base", "Dockerfile", "DF-PIN-BASE", 6),
    ("secret-in-env", "Dockerfile", "DF-SECRET", 8),
    ("secret-in-arg", "Dockerfile", "DF-SECRET", 10),
    ("add-from-url", "Dockerfile", "DF-ADD-URL", 12),
    ("copy-from-unknown-stage", "Dockerfile", "DF-COPY-FROM", 14),
    ("bind-loopback", "Dockerfile", "DF-BIND", 18),
    ("user-root", "Dockerfile", "DF-ROOT-USER", 20),
    ("healthcheck-path", "Dockerfile", "DF-HEALTHCHECK-PATH", 22),
    ("cmd-shell-form", "Dockerfile", "DF-CMD-EXEC", 24),
    ("single-stage", "Dockerfile.bare", "DF-SINGLE-STAGE", 3),
    ("no-user", "Dockerfile.bare", "DF-ROOT-USER", 3),
    ("no-healthcheck", "Dockerfile.bare", "DF-NO-HEALTHCHECK", 3),
    ("no-bind", "Dockerfile.bare", "DF-BIND", 3),
    ("latest-base", "Dockerfile.bare", "DF-PIN-BASE", 3),
    ("flask-dev-server", "Dockerfile.bare", "DF-CMD-GUNICORN", 8),
    ("no-cmd", "Dockerfile.nocmd", "DF-NO-CMD", 8),
    ("instruction-before-from", "Dockerfile.broken", "DF-PARSE", 2),
    ("misspelled-instruction", "Dockerfile.broken", "DF-PARSE", 5),
]


@cache
def ours(name: str) -> tuple[Finding, ...]:
    return tuple(check_dockerfile(DOCKERFILES / name, hadolint=False))


@pytest.mark.parametrize(
    ("name", "rule", "line"), [pytest.param(*row[1:], id=row[0]) for row in PLANTED]
)
def test_planted_dockerfile_mistake_is_caught(name: str, rule: str, line: int) -> None:
    assert (rule, line) in {(f.rule, f.line) for f in ours(name)}


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.bare", "Dockerfile.nocmd"])
def test_nothing_but_the_planted_mistakes_is_reported(name: str) -> None:
    planted = sorted((row[2], row[3]) for row in PLANTED if row[1] == name)
    assert sorted((f.rule, f.line) for f in ours(name)) == planted


def test_final_stage_inherits_user_and_healthcheck_from_its_base_stage() -> None:
    assert {f.rule for f in ours("Dockerfile.nocmd")} == {"DF-NO-CMD"}


def test_findings_name_the_stage_and_say_what_to_change() -> None:
    user = next(f for f in ours("Dockerfile") if f.rule == "DF-ROOT-USER")
    assert (user.resource, user.path) == ("stage runtime", "USER")
    assert "USER 10001:10001" in user.message
    copy = next(f for f in ours("Dockerfile") if f.rule == "DF-COPY-FROM")
    assert "did you mean --from=build?" in copy.message


@pytest.mark.parametrize(
    ("name", "code", "line"), [("Dockerfile", "DL3064", 10), ("Dockerfile", "DL3066", 20)]
)
def test_hadolint_codes_pass_through(name: str, code: str, line: int) -> None:
    found = {(f.rule, f.line): f for f in check_dockerfile(DOCKERFILES / name)}
    assert (code, line) in found
    assert f"hadolint/wiki/{code}" in found[(code, line)].message


@pytest.mark.parametrize(
    ("name", "ours", "theirs", "line"),
    [
        ("Dockerfile", "DF-PIN-BASE", "DL3006", 6),
        ("Dockerfile.bare", "DF-PIN-BASE", "DL3007", 3),
        ("Dockerfile", "DF-COPY-FROM", "DL3022", 14),
        ("Dockerfile", "DF-ROOT-USER", "DL3002", 20),
        ("Dockerfile", "DF-CMD-EXEC", "DL3025", 24),
    ],
)
def test_a_mistake_both_linters_see_is_one_finding(
    name: str, ours: str, theirs: str, line: int
) -> None:
    found = check_dockerfile(DOCKERFILES / name)
    on_line = [f for f in found if f.line == line and theirs in (f.rule, *f.also)]
    assert [(f.rule, f.also) for f in on_line] == [(ours, (theirs,))]
    assert [f.rule for f in check_dockerfile(DOCKERFILES / name, rules=[theirs])] == [ours]


def test_a_build_stage_running_as_root_is_not_a_finding(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12.8-slim AS build\nUSER root\nRUN pip --version\n"
        "FROM python:3.12.8-slim\nUSER 10001:10001\nCOPY --from=build /x /x\n"
        'CMD ["gunicorn", "app:create_app()"]\n'
    )
    assert [f for f in check_dockerfile(tmp_path) if "DL3002" in (f.rule, *f.also)] == []
    assert [f.rule for f in check_dockerfile(tmp_path) if f.rule == "DF-ROOT-USER"] == []


def test_hadolint_parse_error_is_reported_as_an_error() -> None:
    found = check_dockerfile(DOCKERFILES / "Dockerfile.broken", rules=["DL1000"])
    assert [(f.rule, f.severity) for f in found if f.rule == "DL1000"] == [
        ("DL1000", Severity.ERROR)
    ]


def test_require_digest_flags_a_tag_only_base() -> None:
    found = check_dockerfile(DOCKERFILES / "Dockerfile.nocmd", require_digest=True, hadolint=False)
    assert [f.rule for f in found if "digest" in f.message] == ["DF-PIN-BASE"]
