"""Schema validation against the strict Kubernetes JSON schemas kubernetes-validate ships.

Strict schemas reject unknown fields, as `kubectl apply` (server-side field validation) does.
Every error of a document is reported, not only the first. Validators are cached per
Kubernetes version and kind, so a warm process validates a manifest set in milliseconds.
jsonschema and the schemas' package are imported on first use: `sandbox check dockerfile`
imports this module (through sandbox.static) and never validates a manifest.
"""

from __future__ import annotations

import json
import re
from difflib import get_close_matches
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any

from sandbox.static.errors import CannotCheckError
from sandbox.static.findings import Finding
from sandbox.static.resources import Resource as K8sResource
from sandbox.static.resources import fmt_path

if TYPE_CHECKING:
    import jsonschema
    from referencing import Registry

_VERSION_DIR = re.compile(r"^v(\d+\.\d+)\.0-local-strict$")


@cache
def _schemas() -> Traversable:
    return files("kubernetes_validate") / "kubernetes-json-schema"


@cache
def supported_versions() -> tuple[str, ...]:
    found = (_VERSION_DIR.match(entry.name) for entry in _schemas().iterdir())
    versions = (m.group(1) for m in found if m)
    return tuple(sorted(versions, key=lambda v: tuple(int(p) for p in v.split("."))))


def kubernetes_minor(version: str) -> str:
    """'v1.35.2' or '1.35' -> '1.35', or CannotCheckError naming the versions there are."""
    match = re.fullmatch(r"v?(\d+\.\d+)(\.\d+)?", version.strip())
    if match and match.group(1) in supported_versions():
        return match.group(1)
    known = ", ".join(supported_versions())
    raise CannotCheckError(f"no Kubernetes schemas for version {version!r}", f"use one of {known}")


def _folder(version: str) -> Traversable:
    return _schemas() / f"v{version}.0-local-strict"


@cache
def _registry(version: str) -> Registry[Any]:
    from referencing import Registry, Resource

    definitions = json.loads((_folder(version) / "_definitions.json").read_text())
    return Resource.from_contents(definitions) @ Registry()


def _schema_name(kind: str, api_version: str) -> str:
    """Deployment + apps/v1 -> deployment-apps-v1.json (the package's file naming)."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{group_version}.json"


@cache
def _schema(version: str, name: str) -> dict[str, Any] | None:
    entry = _folder(version) / name
    if not entry.is_file():
        return None
    schema: dict[str, Any] = json.loads(entry.read_text())
    return schema


def _serves(schema: dict[str, Any], kind: str, api_version: str) -> bool:
    """The schema file is named loosely (rbac-v1); its group-version-kind is exact."""
    for gvk in schema.get("x-kubernetes-group-version-kind", []):
        group = gvk.get("group", "")
        expected = f"{group}/{gvk.get('version')}" if group else gvk.get("version")
        if gvk.get("kind") == kind and expected == api_version:
            return True
    return False


@cache
def _validator(version: str, kind: str, api_version: str) -> jsonschema.Draft202012Validator | None:
    schema = _schema(version, _schema_name(kind, api_version))
    if schema is None or not _serves(schema, kind, api_version):
        return None
    import jsonschema

    return jsonschema.Draft202012Validator(schema, registry=_registry(version))


def served_api_versions(version: str, kind: str) -> list[str]:
    """The apiVersions that serve `kind` in this Kubernetes version (for the hint)."""
    found: list[str] = []
    for entry in _folder(version).iterdir():
        if entry.name.startswith(f"{kind.lower()}-") and "list-" not in entry.name:
            schema = _schema(version, entry.name) or {}
            found += [
                f"{g['group']}/{g['version']}" if g.get("group") else g["version"]
                for g in schema.get("x-kubernetes-group-version-kind", [])
                if g.get("kind") == kind
            ]
    return sorted(set(found))


def check_schema(resource: K8sResource, version: str) -> list[Finding]:
    validator = _validator(version, resource.kind, resource.api_version)
    if validator is None:
        return [_unknown_type(resource, version)]
    errors = sorted(validator.iter_errors(resource.body), key=lambda e: list(map(str, e.path)))
    return [_finding(resource, error, version) for error in errors]


def _unknown_type(resource: K8sResource, version: str) -> Finding:
    served = served_api_versions(version, resource.kind)
    what = f"{resource.api_version} {resource.kind}"
    if served:
        fix = f"use apiVersion: {' or '.join(served)}"
        message = f"Kubernetes {version} does not serve {what} (removed or misspelled): {fix}"
    else:
        message = (
            f"Kubernetes {version} has no kind {resource.kind!r}: check the spelling and case "
            "(a custom resource needs its CRD, which the offline grader cannot check)"
        )
    return resource.finding("K8S-API-VERSION", ["apiVersion"], message)


def _finding(resource: K8sResource, error: jsonschema.ValidationError, version: str) -> Finding:
    path = list(error.absolute_path)
    # A wrong value is explained by its parent's docs; an object's own problems by its docs.
    about = path if error.validator in ("additionalProperties", "required") else path[:-1]
    explain = ".".join([resource.kind.lower(), *(str(p) for p in about if isinstance(p, str))])
    described = _describe(error, fmt_path(path) or "the object")
    context = f"(Kubernetes {version} schema; see `kubectl explain {explain}`)"
    return resource.finding("K8S-SCHEMA", path, f"{described} {context}")


def _describe(error: jsonschema.ValidationError, where: str) -> str:
    describe = _DESCRIBERS.get(str(error.validator))
    if describe:
        return describe(error, where)
    return f"{where} is invalid ({error.message}): change it to what the schema allows"


def _unknown_fields(error: jsonschema.ValidationError, where: str) -> str:
    known = list(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
    parts = []
    for key in (k for k in error.instance if k not in known):
        close = get_close_matches(key, known, n=1)
        parts.append(f"`{key}`" + (f" (did you mean `{close[0]}`?)" if close else ""))
    fields = ", ".join(parts)
    return f"{where} has unknown field {fields}: Kubernetes rejects it, rename or remove it"


def _required(error: jsonschema.ValidationError, where: str) -> str:
    field = error.message.split(" is a required")[0]
    return f"{where} lacks the required field {field}: add it"


def _type(error: jsonschema.ValidationError, where: str) -> str:
    wanted = " or ".join(t for t in _as_list(error.validator_value) if t != "null")
    fix = "quote it" if wanted == "string" else f"write it as {_a(wanted)}"
    got = type(error.instance).__name__
    return f"{where} is the {got} {error.instance!r} but must be {_a(wanted)}: {fix}"


def _one_of(error: jsonschema.ValidationError, where: str) -> str:
    wanted = {t for sub in error.validator_value for t in _as_list(sub.get("type")) if t != "null"}
    options = " or ".join(sorted(wanted)) or "one of the allowed shapes"
    return f"{where} is {error.instance!r} but must be {_a(options)}: change it"


def _enum(error: jsonschema.ValidationError, where: str) -> str:
    allowed = ", ".join(repr(v) for v in error.validator_value)
    return f"{where} is {error.instance!r}: use one of {allowed}"


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


_DESCRIBERS = {
    "additionalProperties": _unknown_fields,
    "required": _required,
    "type": _type,
    "oneOf": _one_of,
    "enum": _enum,
}
