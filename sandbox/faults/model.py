"""What the API accepts and answers: proxies, toxics and errors in Toxiproxy's JSON.

A proxy is ``{name, listen, upstream, enabled}`` (answers add ``toxics`` and ``stats``); a
toxic is ``{name, type, stream, toxicity, attributes}`` with Toxiproxy's defaults: stream
``downstream``, toxicity 1.0, name ``<type>_<stream>``, each attribute 0 unless given. Errors
are ``{"error": message, "status": code}`` with Toxiproxy's messages first and, after a colon,
what was wrong. JSON types are checked as Toxiproxy's Go decoder checks them (a string is
not a number, 1.5 is not an integer). Unknown fields of a proxy or a toxic are ignored, as
Toxiproxy does, so a client may send back what it read; unknown *attributes* are refused,
because a misspelt attribute would otherwise silently do nothing.

The bodies are checked by the pydantic models of schema.py, which the parsers here import
when they first run: a server that has not been sent a body yet does not carry pydantic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from sandbox.faults.addresses import AddressError, parse_listen, parse_upstream

if TYPE_CHECKING:  # at run time schema.py (pydantic) is imported by the parsers that need it
    from pydantic import BaseModel

    from sandbox.faults.schema import Attributes

Stream = Literal["upstream", "downstream"]
STREAMS: tuple[Stream, ...] = ("upstream", "downstream")
_STREAM_NAMES: dict[str, Stream] = {stream: stream for stream in STREAMS}
M = TypeVar("M", bound="BaseModel")


class ApiError(Exception):
    """An answer other than success: Toxiproxy's `{"error", "status"}` body."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def to_json(self) -> dict[str, Any]:
        return {"error": self.message, "status": self.status}


def bad_body(detail: str) -> ApiError:
    return ApiError(f"bad request body: {detail}", 400)


def missing_field(field: str) -> ApiError:
    return ApiError(f"missing required field: {field}", 400)


def proxy_not_found(name: str) -> ApiError:
    return ApiError(f"proxy not found: {name}", 404)


def toxic_not_found(proxy: str, name: str) -> ApiError:
    return ApiError(f"toxic not found: {name} (on proxy {proxy})", 404)


HTTP_TYPES = frozenset({"http_abort", "http_delay"})  # requests only: the upstream stream


# -- the resources -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProxyConfig:
    name: str
    listen: str
    upstream: str
    enabled: bool = True


@dataclass(frozen=True)
class Toxic:
    name: str
    type: str
    stream: Stream
    toxicity: float
    attributes: Attributes

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
            "attributes": self.attributes.model_dump(),
        }


# -- parsing request bodies ---------------------------------------------------------------


def decode(body: bytes) -> Any:
    """The JSON of a request body, or a 400 saying what is wrong with it."""
    if not body.strip():
        raise bad_body("the body is empty; send a JSON object")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise bad_body(f"not JSON ({err})") from err


def proxy_to_create(data: Any, where: str = "") -> ProxyConfig:
    """A new proxy from POST /proxies (or one item of /populate, `where` naming it)."""
    from sandbox.faults import schema

    body = _validate(schema.ProxyBody, data)
    if not body.name:
        raise missing_field(f"name{where}")
    if not body.upstream:
        raise missing_field(f"upstream{where}")
    return ProxyConfig(
        name=body.name,
        listen=_listen(body.listen or ":0"),
        upstream=_upstream(body.upstream),
        enabled=True if body.enabled is None else body.enabled,
    )


def proxy_after_update(current: ProxyConfig, data: Any) -> ProxyConfig:
    """POST/PATCH /proxies/{name}: each field given replaces the current one; not the name."""
    from sandbox.faults import schema

    body = _validate(schema.ProxyBody, data)
    return replace(
        current,
        listen=current.listen if body.listen is None else _listen(body.listen),
        upstream=current.upstream if body.upstream is None else _upstream(body.upstream),
        enabled=current.enabled if body.enabled is None else body.enabled,
    )


def proxies_to_populate(data: Any) -> list[ProxyConfig]:
    """POST /populate: a JSON array of proxies, all checked before any is applied."""
    if not isinstance(data, list):
        raise bad_body("populate takes a JSON array of proxies")
    configs = [proxy_to_create(item, f" at proxy {i}") for i, item in enumerate(data, 1)]
    names = [config.name for config in configs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise bad_body(f"duplicate proxy name in the list: {', '.join(duplicates)}")
    return configs


def toxic_to_create(data: Any) -> Toxic:
    """POST /proxies/{name}/toxics, checked in Toxiproxy's order: stream, type, attributes."""
    from sandbox.faults import schema

    body = _validate(schema.ToxicBody, data)
    kind = body.type or ""
    stream = _stream(body.stream, kind)
    if kind not in schema.ATTRIBUTES:
        known = ", ".join(schema.ATTRIBUTES)
        raise ApiError(f"invalid toxic type: {kind!r} (known types: {known})", 400)
    return Toxic(
        name=body.name or f"{kind}_{stream}",
        type=kind,
        stream=stream,
        toxicity=1.0 if body.toxicity is None else body.toxicity,
        attributes=attributes_for(kind, body.attributes or {}),
    )


def toxic_after_update(current: Toxic, data: Any) -> Toxic:
    """POST/PATCH a toxic: attributes given replace the current ones, and toxicity; the
    name, type and stream stay (as in Toxiproxy)."""
    from sandbox.faults import schema

    body = _validate(schema.ToxicBody, data)
    merged = {**current.attributes.model_dump(), **(body.attributes or {})}
    return replace(
        current,
        toxicity=current.toxicity if body.toxicity is None else body.toxicity,
        attributes=attributes_for(current.type, merged),
    )


def attributes_for(kind: str, raw: dict[str, Any]) -> Attributes:
    from sandbox.faults import schema

    model = schema.ATTRIBUTES[kind]
    unknown = sorted(set(raw) - set(model.model_fields))
    if unknown:
        known = ", ".join(model.model_fields)
        raise bad_body(f"unknown attribute {unknown[0]!r} for {kind} (its attributes: {known})")
    return _validate(model, raw, "attributes.")


def _stream(raw: str | None, kind: str) -> Stream:
    if kind in HTTP_TYPES:
        if raw not in (None, "upstream"):
            raise ApiError(
                f"{kind} acts on requests: its stream is upstream (client -> server), not {raw!r}",
                400,
            )
        return "upstream"
    stream = _STREAM_NAMES.get(raw or "downstream")
    if stream is None:
        raise ApiError(
            f"stream was invalid, can be either upstream or downstream: got {raw!r}", 400
        )
    return stream


def _listen(text: str) -> str:
    try:
        return str(parse_listen(text))
    except AddressError as err:
        raise ApiError(str(err), 400) from err


def _upstream(text: str) -> str:
    try:
        return str(parse_upstream(text))
    except AddressError as err:
        raise ApiError(str(err), 400) from err


def _validate(model: type[M], data: Any, prefix: str = "") -> M:
    from sandbox.faults import schema

    if not isinstance(data, dict):
        raise bad_body(f"expected a JSON object, got {type(data).__name__}")
    try:
        return schema.validate(model, data, prefix)
    except schema.Invalid as err:
        raise bad_body(str(err)) from err
