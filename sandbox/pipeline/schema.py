"""The workflow checked against GitHub's workflow schema (SchemaStore's, vendored in the
check-jsonschema wheel, so no network is needed), each violation told at its line with what
to change.

The schema says "one of" often (a job is a normal job or a reusable-workflow call; a value
is a number or an expression). jsonschema then reports every branch's errors; the branch
that fits the value best is the one explained, or, when the value fits no branch at all,
the alternatives are listed.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from sandbox.errors import WorkflowError
from sandbox.pipeline.problems import Problem
from sandbox.pipeline.source import Source
from sandbox.yaml_nodes import Key

SCHEMA_PACKAGE = "check_jsonschema"
SCHEMA_FILE = ("builtin_schemas", "vendor", "github-workflows.json")
WRONG_KIND = frozenset({"type", "enum", "const", "pattern"})
Explained = tuple[tuple[Key, ...], str, bool]  # path, message, whether the line is the key's


def schema_path() -> Path:
    """Where the wheel keeps the schema (found without importing the package)."""
    spec = importlib.util.find_spec(SCHEMA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise WorkflowError(
            "the GitHub workflow schema is missing: check-jsonschema is not installed",
            "install the sandbox's dependencies again: pip install -e .",
        )
    return Path(next(iter(spec.submodule_search_locations)), *SCHEMA_FILE)


@functools.cache
def _validator() -> Any:
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


KNOWN_VALID = 64  # workflows remembered as valid (by their data)
_known_valid: dict[str, None] = {}


def schema_problems(source: Source) -> list[Problem]:
    """Every schema violation in the workflow, in file order, each once. Validity depends on
    the data alone, so data found valid once is not validated again: a lab 05 grading loads
    one workflow a dozen times (once per check, once per planted copy), and validating it
    costs more than all the rest of loading it."""
    key = repr(source.data)  # YAML's values (str, int, bool, dates...) repr faithfully
    if key in _known_valid:
        return []
    problems = _problems(source)
    if not problems:
        if len(_known_valid) >= KNOWN_VALID:
            _known_valid.clear()
        _known_valid[key] = None
    return problems


def _problems(source: Source) -> list[Problem]:
    validator = _validator()
    seen: dict[tuple[int, str], Problem] = {}
    for error in validator.iter_errors(source.data):
        for path, message, at_key in _explain(error, validator.schema):
            line = source.key_line(path) if at_key and path else source.line(path)
            seen.setdefault((line, message), Problem(source.file, line, message))
    return sorted(seen.values(), key=lambda p: (p.line or 0, p.message))


def _explain(error: ValidationError, root: dict[str, Any]) -> Iterator[Explained]:
    path = tuple(error.absolute_path)
    if error.validator in ("oneOf", "anyOf"):
        yield from _explain_choice(error, root, path)
    elif error.validator == "additionalProperties":
        yield from _unknown_keys(error, path)
    else:
        yield path, _message(error, root, path), error.validator == "required"


def _explain_choice(error: ValidationError, root: dict[str, Any], path: tuple[Key, ...]) -> Any:
    if not error.context:  # valid under several branches of a oneOf
        yield path, _ambiguous(error.instance, path), False
        return
    branches = _branches(error)
    depth = len(path)
    if all(_wrong_kind(errors, depth) for errors in branches.values()):
        choices = _describe_all(error.validator_value, root, error.instance)
        yield path, f"{_name(path)} is {_show(error.instance)}: use {choices}", False
        return
    best = min(branches.values(), key=lambda errors: (_shape_errors(errors, depth), len(errors)))
    for sub in best:
        yield from _explain(sub, root)


def _branches(error: ValidationError) -> dict[int, list[ValidationError]]:
    grouped: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        grouped.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    return grouped


def _wrong_kind(errors: Sequence[ValidationError], depth: int) -> bool:
    """The value itself is not what this branch takes (a string where a mapping goes)."""
    return any(len(e.absolute_path) == depth and e.validator in WRONG_KIND for e in errors)


def _shape_errors(errors: Sequence[ValidationError], depth: int) -> int:
    return sum(1 for e in errors if len(e.absolute_path) == depth)


def _unknown_keys(error: ValidationError, path: tuple[Key, ...]) -> Iterator[Explained]:
    allowed = list(error.schema.get("properties", {}))
    patterns = error.schema.get("patternProperties", {})
    for key in error.instance:
        if key in allowed or any(_matches(pattern, key) for pattern in patterns):
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1)
        guess = f" (did you mean `{close[0]}`?)" if close else ""
        listed = f"; allowed here: {', '.join(allowed)}" if allowed and len(allowed) <= 30 else ""
        message = f"unknown key `{key}` in {_name(path)}{guess}: remove or rename it{listed}"
        yield (*path, key), message, True


def _matches(pattern: str, key: object) -> bool:
    return isinstance(key, str) and re.search(pattern, key) is not None


def _message(error: ValidationError, root: dict[str, Any], path: tuple[Key, ...]) -> str:
    kind, value, name = error.validator, error.instance, _name(path)
    if kind == "required":
        missing = [key for key in error.validator_value if key not in value]
        keys = ", ".join(f"`{key}`" for key in missing)
        return f"{name} has no {keys}: add {'it' if len(missing) == 1 else 'them'}"
    if kind == "enum":
        return f"{name} is {_show(value)}: use {_describe_enum(error.validator_value, value)}"
    if kind in ("type", "pattern", "const"):
        return f"{name} is {_show(value)}: use {_describe(error.schema, root, value)}"
    if kind in ("minItems", "minProperties", "minLength"):
        return f"{name} is empty: give it at least one entry"
    return f"{name}: {error.message}"


def _ambiguous(value: Any, path: tuple[Key, ...]) -> str:
    if isinstance(value, dict) and "run" in value and "uses" in value:
        return f"{_name(path)} has both `run` and `uses`: a step does one of them; split it in two"
    return f"{_name(path)} mixes the keys of two different forms: keep the keys of one"


def _describe_all(choices: Iterable[dict[str, Any]], root: dict[str, Any], value: Any) -> str:
    described = dict.fromkeys(_describe(choice, root, value) for choice in choices)
    guesses = {text[text.index(" (did you mean") :] for text in described if "(did you" in text}
    if len(guesses) != 1:
        return " or ".join(described)
    guess = guesses.pop()  # said once, at the end
    return " or ".join(text.replace(guess, "") for text in described) + guess


def _describe(schema: dict[str, Any], root: dict[str, Any], value: Any = None) -> str:
    """A few words for what a schema accepts: 'a number', 'a ${{ }} expression'."""
    ref = schema.get("$ref", "")
    if ref.endswith("/expressionSyntax"):
        return "a ${{ }} expression"
    if ref.endswith("/stringContainingExpressionSyntax"):
        return "a string with a ${{ }} expression"
    if ref.startswith("#/definitions/"):
        return _describe(root["definitions"][ref.rsplit("/", 1)[1]], root, value)
    if "enum" in schema:
        return _describe_enum(schema["enum"], value)
    if "oneOf" in schema or "anyOf" in schema:
        return _describe_all(schema.get("oneOf") or schema["anyOf"], root, value)
    return _describe_type(schema, root, value)


def _describe_type(schema: dict[str, Any], root: dict[str, Any], value: Any) -> str:
    kind = schema.get("type")
    if kind == "array" and isinstance(schema.get("items"), dict):
        return f"a list of {_plural(_describe(schema['items'], root, value))}"
    names = {
        "object": "a mapping",
        "array": "a list",
        "integer": "a whole number",
        "null": "nothing (null)",
    }
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    words = [names.get(k, f"a {k}") for k in kinds]
    return " or ".join(words) if words else "a valid value"


def _plural(words: str) -> str:
    if words.startswith("one of"):
        return f"values, each {words}"
    return words.removeprefix("a ").removeprefix("an ").replace(" (", "s (", 1) + (
        "" if " (" in words else "s"
    )


def _describe_enum(options: Sequence[Any], value: Any) -> str:
    close = difflib.get_close_matches(str(value), [str(o) for o in options], n=1) if value else []
    guess = f" (did you mean `{close[0]}`?)" if close else ""
    if len(options) > 8:
        return f"a known name{guess}"
    return f"one of {', '.join(f'`{option}`' for option in options)}{guess}"


def _name(path: Sequence[Key]) -> str:
    if not path:
        return "the workflow"
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else f".{key}" if text else str(key)
    return f"`{text}`"


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    shown = json.dumps(value)
    return shown if len(shown) <= 40 else shown[:37] + '..."'
