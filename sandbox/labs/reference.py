"""The reference of check kinds, generated from the code: every kind's parameter model
(fields, types, constraints, defaults), what it needs, and the example it declares.

`sandbox lab kinds` prints it (text, JSON or Markdown); docs/labs.md is its Markdown, and a
test fails when the two differ, so the documentation cannot drift from the models.
"""

from __future__ import annotations

import json
import types
from dataclasses import asdict, dataclass
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sandbox.labs.checks.base import Capability, CheckKind, Registry
from sandbox.labs.model import CheckSpec

REGENERATE = "sandbox lab kinds --markdown > docs/labs.md"


@dataclass(frozen=True)
class FieldDoc:
    name: str  # dotted for nested models: expect.status, before[].path
    type: str
    required: bool
    default: Any = None  # JSON-able; None with required=False means "none"
    nested: bool = False  # an object (or list of objects) whose fields follow


@dataclass(frozen=True)
class KindDoc:
    name: str
    summary: str
    needs: str
    fields: tuple[FieldDoc, ...]
    example: dict[str, Any]


def kind_docs(registry: Registry) -> list[KindDoc]:
    return [kind_doc(registry.kinds[name]) for name in registry.names()]


def kind_doc(kind: CheckKind) -> KindDoc:
    return KindDoc(
        kind.name, kind.summary, _needs(kind), tuple(fields_of(kind.params)), dict(kind.example)
    )


def common_fields() -> list[FieldDoc]:
    """The fields every check has, whatever its kind (the rest are the kind's parameters)."""
    return fields_of(CheckSpec)


CAPABILITIES = {
    Capability.CONTROL: "a backend that can stop and start services",
    Capability.LOGS: "a backend that can read the services' logs",
}


def _needs(kind: CheckKind) -> str:
    needed = [*kind.needs] if not callable(kind.needs) else None
    wants = [CAPABILITIES[c] for c in kind.requires]
    if needed is None:
        return ", ".join(["the service its parameters name", *wants])
    return ", ".join([*needed, *wants]) or "nothing (reads the workspace)"


# -- fields ------------------------------------------------------------------------------


def fields_of(model: type[BaseModel], prefix: str = "") -> list[FieldDoc]:
    docs = []
    for name, info in model.model_fields.items():
        shown = prefix + (info.alias or name)
        nested = _nested_model(info.annotation)
        if nested is not None:
            suffix = "[]." if get_origin(info.annotation) is list else "."
            docs.append(
                FieldDoc(shown, type_name(info.annotation), info.is_required(), None, nested=True)
            )
            docs += fields_of(nested, shown + suffix)
            continue
        docs.append(FieldDoc(shown, _typed(info), info.is_required(), _default(info)))
    return docs


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _default(info: FieldInfo) -> Any:
    if info.is_required():
        return None
    value = info.default_factory() if info.default_factory else info.default  # type: ignore[call-arg]
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True)
    return None if value is PydanticUndefined else value


BOUNDS = (
    (annotated_types.Gt, ">"),
    (annotated_types.Ge, ">="),
    (annotated_types.Lt, "<"),
    (annotated_types.Le, "<="),
    (annotated_types.MinLen, "length >="),
)


def _typed(info: FieldInfo) -> str:
    """The type, with its constraints: `float (> 0, <= 900)`."""
    limits = []
    for meta in info.metadata:
        for bound, sign in BOUNDS:
            if isinstance(meta, bound):
                limits.append(f"{sign} {next(iter(asdict(meta).values()))}")
        pattern = getattr(meta, "pattern", None)
        if pattern:
            limits.append(f"matches {pattern}")
    text = type_name(info.annotation)
    return f"{text} ({', '.join(limits)})" if limits else text


def type_name(annotation: Any) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is type(None):
        return "null"
    if annotation is Any:
        return "any"
    if origin is Literal:
        return " | ".join(json.dumps(a) for a in args)
    if origin in (Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin is not None:
        inner = ", ".join("..." if a is Ellipsis else type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    return getattr(annotation, "__name__", str(annotation))


# -- rendering -----------------------------------------------------------------------------


def as_json(registry: Registry) -> str:
    return json.dumps(
        {
            "common_fields": [asdict(f) for f in common_fields()],
            "kinds": [asdict(k) for k in kind_docs(registry)],
        },
        indent=2,
        default=str,
    )


def as_text(registry: Registry) -> str:
    lines = []
    for kind in kind_docs(registry):
        lines.append(f"{kind.name}: {kind.summary or '(no summary declared)'}")
        lines.append(f"  needs: {kind.needs}")
        lines += [f"  {f.name:<28} {f.type:<34} {_shown_default(f)}" for f in kind.fields]
        lines.append("  example:")
        lines += [f"    {line}" for line in _example_yaml(kind).splitlines()]
        lines.append("")
    return "\n".join(lines)


def as_markdown(registry: Registry) -> str:
    parts = [MARKDOWN_HEAD, _table(common_fields()), MARKDOWN_KINDS]
    parts.append(", ".join(f"[`{k.name}`](#{k.name})" for k in kind_docs(registry)) + "\n")
    for kind in kind_docs(registry):
        parts.append(
            f"### {kind.name}\n\n{kind.summary or '(no summary declared)'}\n\n"
            f"Needs: {kind.needs}.\n"
        )
        parts.append(_table(list(kind.fields)) if kind.fields else "No parameters.\n")
        parts.append(f"Example:\n\n```yaml\n{_example_yaml(kind)}```\n")
    return "\n".join(parts)


def _table(fields: list[FieldDoc]) -> str:
    rows = ["| field | type | default |", "|---|---|---|"]
    rows += [f"| `{f.name}` | {_cell(f.type)} | {_cell(_shown_default(f))} |" for f in fields]
    return "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _shown_default(field: FieldDoc) -> str:
    if field.required:
        return "required"
    if field.nested:
        return "the defaults below"
    return "none" if field.default is None else json.dumps(field.default)


def _example_yaml(kind: KindDoc) -> str:
    if not kind.example:
        return "# this kind declares no example\n"
    check = {
        "id": f"my-{kind.name.replace('_', '-')}",
        "kind": kind.name,
        "title": "What the learner achieved",
        "points": 5,
        **kind.example,
    }
    # Block style for the check itself, flow style for short lists and maps inside it.
    lines = [
        yaml.safe_dump(
            {key: value},
            sort_keys=False,
            width=88,
            default_flow_style=None if isinstance(value, dict | list) else False,
        )
        for key, value in check.items()
    ]
    text = "".join(lines)
    return "- " + text.replace("\n", "\n  ").rstrip(" ")


MARKDOWN_HEAD = f"""# Writing labs: the check kinds

<!-- Generated from the code by `{REGENERATE}`; do not edit by hand. -->

`sandbox lab new NN-slug` scaffolds a lab; `sandbox lab validate NN-slug` grades its
`solution/` and `starter/` and reports, for each check, whether it tells them apart. This
page lists every check kind with its parameters, generated from their models
(`sandbox lab kinds`, or `--json`).

## Fields of every check

Every other field of a check is a parameter of its kind (below); an unknown field is an error.

"""

MARKDOWN_KINDS = """## Check kinds

A lab may add its own kinds in `checks.py` (`register(registry)`); `sandbox lab kinds --lab ID`
lists them too.
"""
