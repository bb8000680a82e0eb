"""Loading a lab folder: the YAML file validated against the model and each check kind's
parameters, with every error reported as `file:line: field: what is wrong`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sandbox.errors import SandboxError
from sandbox.labs import services as lab_services
from sandbox.labs.checks import builtin_registry
from sandbox.labs.checks.base import Registry
from sandbox.labs.model import CheckSpec, Lab
from sandbox.yaml_nodes import node_at

LAB_FILE = "lab.yaml"
LABS_DIR = Path(__file__).resolve().parents[2] / "labs"


class LabFileError(SandboxError):
    """A lab file is missing or invalid; the message lists every problem with its line."""


def labs_root() -> Path:
    import os

    return Path(os.environ.get("SANDBOX_LABS_DIR", LABS_DIR))


def lab_ids(root: Path | None = None) -> list[str]:
    root = root or labs_root()
    return (
        sorted(p.name for p in root.iterdir() if (p / LAB_FILE).is_file()) if root.is_dir() else []
    )


def load(lab_id_or_dir: str | Path, root: Path | None = None) -> tuple[Lab, Registry]:
    folder = (
        Path(lab_id_or_dir)
        if Path(lab_id_or_dir).is_dir()
        else (root or labs_root()) / str(lab_id_or_dir)
    )
    file = folder / LAB_FILE
    if not file.is_file():
        known = ", ".join(lab_ids(root)) or "none"
        raise LabFileError(
            f"no lab {str(lab_id_or_dir)!r} ({file} not found)", f"known labs: {known}"
        )
    lines = _Lines(file)
    lab = _validate(lines.data, lines)
    object.__setattr__(lab, "_folder", folder)  # private, not part of the file
    registry = builtin_registry()
    problems = _load_python_checks(lab, registry) + _semantic_problems(lab, registry, lines)
    if problems:
        raise LabFileError(
            "\n".join(problems), "fix the lab file; `sandbox lab validate` checks it"
        )
    return lab, registry


class _Lines:
    """The parsed YAML plus a map from a field path to its line, for error messages."""

    def __init__(self, file: Path) -> None:
        self.file = file
        text = file.read_text()
        try:
            self.data = yaml.safe_load(text)
            self.root = yaml.compose(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            raise LabFileError(f"{file}{line}: not valid YAML: {getattr(err, 'problem', err)}",
                               "fix the YAML syntax") from None  # fmt: skip
        if not isinstance(self.data, dict):
            raise LabFileError(
                f"{file}:1: the lab file must be a mapping (id, title, steps, ...)", ""
            )

    def where(self, path: tuple[Any, ...]) -> str:
        if self.root is None:
            return str(self.file)
        return f"{self.file}:{node_at(self.root, path).start_mark.line + 1}"


def _field(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _validate(data: dict[str, Any], lines: _Lines) -> Lab:
    try:
        return Lab.model_validate(data)
    except ValidationError as err:
        problems = [
            f"{lines.where(e['loc'])}: {_field(e['loc'])}: {e['msg']}" for e in err.errors()
        ]
        raise LabFileError("\n".join(problems), "fix the lab file") from None


def _semantic_problems(lab: Lab, registry: Registry, lines: _Lines) -> list[str]:
    def problem(path: tuple[Any, ...], message: str) -> str:
        return f"{lines.where(path)}: {_field(path)}: {message}"

    problems = []
    if lab.id != lab.folder.name:
        problems.append(problem(("id",), f"{lab.id!r} must match the folder {lab.folder.name!r}"))
    if lab.points is not None and lab.points != lab.total_points:
        problems.append(problem(("points",), f"{lab.points}, but the checks add up to "
                                             f"{lab.total_points}"))  # fmt: skip
    problems += [problem(path, message) for path, message in lab_services.problems(lab)]
    seen: set[str] = set()
    for s_index, step in enumerate(lab.steps):
        if not (lab.folder / step.instructions).is_file():
            where = ("steps", s_index, "instructions")
            problems.append(problem(where, f"{step.instructions} is not in {lab.folder}"))
        for c_index, check in enumerate(step.checks):
            path = ("steps", s_index, "checks", c_index)
            if check.id in seen:
                problems.append(problem((*path, "id"), f"duplicate check id {check.id!r}"))
            seen.add(check.id)
            problems += [problem((*path, *sub), message)
                         for sub, message in check_problems(check, registry)]  # fmt: skip
    return problems


def check_problems(
    check: CheckSpec | dict[str, Any], registry: Registry
) -> list[tuple[tuple[Any, ...], str]]:
    """(field path inside the check, problem) for its kind and parameters."""
    kind_name = check.kind if isinstance(check, CheckSpec) else str(check.get("kind", ""))
    if isinstance(check, CheckSpec):
        params = check.params
    else:
        params = {k: v for k, v in check.items() if k != "kind"}
    kind = registry.get(kind_name)
    if kind is None:
        known = ", ".join(registry.names())
        return [(("kind",), f"unknown check kind {kind_name!r}; use one of: {known}")]
    try:
        parsed = kind.params.model_validate(params)
    except ValidationError as err:
        return [(tuple(e["loc"]), e["msg"]) for e in err.errors()]
    except Exception as err:
        return [(("kind",), f"the {kind_name!r} kind's parameters cannot be checked: {err}")]
    return _nested_problems(parsed, registry)


def _nested_problems(parsed: Any, registry: Registry) -> list[tuple[tuple[Any, ...], str]]:
    """A kind that wraps checks (fault, with_toxic, proxy_counters' `before`, ...) has each
    one checked here too, so a typo inside fails at load, not as UNKNOWN at grading."""
    found: list[tuple[tuple[Any, ...], str]] = []
    nested = getattr(parsed, "check", None)
    if isinstance(nested, dict):
        found += [(("check", *sub), msg) for sub, msg in check_problems(nested, registry)]
    for index, inner in enumerate(getattr(parsed, "before", None) or []):
        if isinstance(inner, dict):
            found += [(("before", index, *sub), msg)
                      for sub, msg in check_problems(inner, registry)]  # fmt: skip
    return found


def _load_python_checks(lab: Lab, registry: Registry) -> list[str]:
    """Import the lab's own module by path and call its register(registry) explicitly."""
    if lab.python_checks is None:
        return []
    file = lab.folder / lab.python_checks
    if not file.is_file():
        return [f"{lab.folder / LAB_FILE}: python_checks: {file} does not exist"]
    spec = importlib.util.spec_from_file_location(f"sandbox_lab_{lab.id.replace('-', '_')}", file)
    if spec is None or spec.loader is None:
        return [f"{file}: cannot be imported"]
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the module's string annotations here
    try:
        spec.loader.exec_module(module)
        module.register(registry)
    except Exception as err:
        return [f"{file}: loading its checks failed: {type(err).__name__}: {err}"]
    return []
