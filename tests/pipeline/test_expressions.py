"""The ${{ }} language with GitHub's semantics: loose equality with type coercion, strings
compared ignoring case, falsy values, and the functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sandbox.pipeline.expressions import ExpressionError, Scope, Status, evaluate, parse, render

CONTEXTS: dict[str, Any] = {
    "github": {
        "ref": "refs/heads/main",
        "event_name": "push",
        "event": {"commits": [{"message": "fix"}, {"message": "docs"}]},
    },
    "matrix": {"python": "3.12", "count": 2, "experimental": False},
    "env": {"STAGE": "dev"},
    "steps": {"build": {"outputs": {"json": '{"a": [1, 2]}'}, "outcome": "success"}},
    "needs": {},
    "vars": {},
    "inputs": {},
    "secrets": {},
    "job": {},
    "runner": {},
    "strategy": {},
}


def value(text: str, status: Status | None = None, workspace: Path | None = None) -> Any:
    scope = Scope(CONTEXTS, status or Status(), workspace or Path.cwd())
    return evaluate(parse(text), scope)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("github.ref == 'REFS/HEADS/MAIN'", True),  # strings ignore case
        ("matrix.count == '2'", True),  # a string and a number compare as numbers
        ("null == 0", True),
        ("'' == false", True),
        ("true == 1", True),
        ("'abc' == 0", False),  # 'abc' is NaN as a number: equal to nothing
        ("matrix.missing == null", True),  # a missing property is null
        ("1 < '2'", True),
        ("'b' > 'A'", True),
        ("0x10 == 16", True),
        ("-1.5e1 <= -15", True),
        ("!matrix.experimental", True),
        ("!''", True),
        ("!0", True),
        ("!fromJSON('[]')", False),  # an empty array is true
        ("matrix.missing || 'fallback'", "fallback"),  # || gives back an operand
        ("env.STAGE && 'yes'", "yes"),
        ("env.stage", "dev"),  # property names ignore case
        ("github['event_name']", "push"),
        ("github.event.commits[1].message", "docs"),
        ("github.event.commits.*.message", ["fix", "docs"]),
        ("contains(github.event.commits.*.message, 'DOCS')", True),
        ("contains(github.ref, 'Heads')", True),
        ("contains(fromJSON('[\"a\", 1]'), '1')", True),
        ("startsWith(github.ref, 'refs/HEADS/')", True),
        ("endsWith(github.ref, '/main')", True),
        ("format('{0}-{1} {{literal}}', matrix.python, matrix.count)", "3.12-2 {literal}"),
        ("join(github.event.commits.*.message, ', ')", "fix, docs"),
        ("join('single')", "single"),
        ("fromJSON(steps.build.outputs.json).a[1]", 2),
        ("toJSON(matrix.count)", "2"),
        ("'it''s'", "it's"),
        ("(1 == 1) && (2 != 3)", True),
    ],
)
def test_expression_value(expression: str, expected: Any) -> None:
    assert value(expression) == expected


def test_to_json_is_indented_json() -> None:
    assert value("toJSON(fromJSON('{\"a\": [1]}'))") == '{\n  "a": [\n    1\n  ]\n}'


def test_status_functions_read_the_run_state() -> None:
    failed = Status(success=False, failure=True)
    assert value("failure() && !success()", failed) is True
    assert value("always()", failed) is True
    assert value("cancelled()", Status(cancelled=True)) is True


def test_status_functions_outside_if_are_an_error() -> None:
    with pytest.raises(ExpressionError, match=r"success\(\) can only be used in `if:`"):
        evaluate(parse("success()"), Scope(CONTEXTS, None))


def test_a_context_not_available_here_is_named() -> None:
    with pytest.raises(ExpressionError, match="the `steps` context is not available here"):
        evaluate(parse("steps.x.outputs.y"), Scope({"github": {}}, None))


def test_from_json_of_text_that_is_not_json_says_so() -> None:
    with pytest.raises(ExpressionError, match=r"fromJSON\(\): `nope` is not JSON"):
        value("fromJSON('nope')")


def test_hash_files_hashes_matching_files_and_is_empty_without_any(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    first = value("hashFiles('**/requirements*.txt')", workspace=tmp_path)
    (tmp_path / "requirements.txt").write_text("flask==3.1\n")
    second = value("hashFiles('**/requirements*.txt')", workspace=tmp_path)
    assert len(first) == 64
    assert first != second
    assert value("hashFiles('*.lock')", workspace=tmp_path) == ""


def test_a_string_that_is_one_expression_keeps_the_value_type() -> None:
    scope = Scope(CONTEXTS, None)
    assert render("${{ matrix.count }}", scope) == 2
    assert render("n=${{ matrix.count }}, x=${{ matrix.experimental }}", scope) == "n=2, x=false"
    assert render("${{ '}}' }} and ${{ matrix.missing }}.", scope) == "}} and ."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a ==", "the expression ends too early"),
        ("github.ref === 'x'", "unexpected `=` at column 14"),
        ('github.ref == "x"', 'unexpected `"`'),
        ("github.", "the expression ends too early"),
        ("contains(github.ref)", "`contains()` takes 2 argument(s), not 1"),
        ("toLower(github.ref)", "`tolower()` is not a function the sandbox supports"),
        ("1 + 2", "unexpected `+"),
    ],
)
def test_syntax_errors_say_where(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert message in str(caught.value)
