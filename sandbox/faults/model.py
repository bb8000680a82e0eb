"""What the API accepts and answers: proxies, toxics and errors in Toxiproxy's JSON.

A proxy is ``{name, listen, upstream, enabled}`` (answers add ``toxics`` and ``stats``); a
toxic is ``{name, type, stream, toxicity, attributes}`` with Toxiproxy's defaults: stream
``downstream``, toxicity 1.0, name ``<type>_<stream>``, each attribute 0 unless given. Errors
are ``{"error": message, "status": code}`` with Toxiproxy's messages first and, after a colon,
what was wrong. JSON types are checked as Toxiproxy's Go decoder checks them (a string is
not a number, 1.5 is not an integer). Unknown fields of a proxy or a toxic are ignored, as
Toxiproxy does, so a client may send back what it read; unknown *attributes* are refused,
because a misspelt attribute would otherwise silently do nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sandbox.faults.addresses import AddressError, parse_listen, parse_upstream

Stream = Literal["upstream", "downstream"]
STREAMS: tuple[Stream, ...] = ("upstream", "downstream")
_STREAM_NAMES: dict[str, Stream] = {stream: stream for stream in STREAMS}
MAX_MS = 3_600_000  # an hour: a longer fault is a typo that would hang a lab
M = TypeVar("M", bound=BaseModel)


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


# -- toxic attributes, one model per type ---------------------------------------------------

Millis = Annotated[int, Field(ge=0, le=MAX_MS)]
Percentage = Annotated[float, Field(ge=0, le=100)]


class Attributes(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class LatencyAttributes(Attributes):
    latency: Millis = Field(0, description="ms")
    jitter: Millis = Field(0, description="+/- ms")


class BandwidthAttributes(Attributes):
    # 1 KB = 1000 bytes, as in Toxiproxy; 0 = no limit
    rate: Annotated[int, Field(ge=0)] = Field(0, description="KB/s")


class SlowCloseAttributes(Attributes):
    delay: Millis = Field(0, description="ms")


class TimeoutAttributes(Attributes):
    timeout: Millis = Field(0, description="ms, 0: never close")


class ResetPeerAttributes(Attributes):
    timeout: Millis = Field(0, description="ms")


class SlicerAttributes(Attributes):
    average_size: Annotated[int, Field(ge=0)] = Field(0, description="bytes")
    size_variation: Annotated[int, Field(ge=0)] = Field(0, description="bytes")
    delay: Annotated[int, Field(ge=0, le=MAX_MS * 1000)] = Field(0, description="microseconds")

    @model_validator(mode="after")
    def _sizes(self) -> SlicerAttributes:
        if self.average_size < 1:
            raise ValueError("average_size must be at least 1 (bytes per slice)")
        if self.size_variation >= self.average_size:
            raise ValueError("size_variation must be smaller than average_size")
        return self


class LimitDataAttributes(Attributes):
    bytes: Annotated[int, Field(ge=0)] = Field(0, description="bytes")


class HttpAbortAttributes(Attributes):
    status: Annotated[int, Field(ge=200, le=599)] = Field(503, description="HTTP status")
    percentage: Percentage = Field(100.0, description="% of requests")


class HttpDelayAttributes(Attributes):
    delay_ms: Millis = Field(0, description="ms")
    percentage: Percentage = Field(100.0, description="% of requests")


ATTRIBUTES: dict[str, type[Attributes]] = {
    "latency": LatencyAttributes,
    "bandwidth": BandwidthAttributes,
    "slow_close": SlowCloseAttributes,
    "timeout": TimeoutAttributes,
    "reset_peer": ResetPeerAttributes,
    "slicer": SlicerAttributes,
    "limit_data": LimitDataAttributes,
    "http_abort": HttpAbortAttributes,
    "http_delay": HttpDelayAttributes,
}
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


class _ProxyBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    name: str | None = None
    listen: str | None = None
    upstream: str | None = None
    enabled: bool | None = None


class _ToxicBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    name: str | None = None
    type: str | None = None
    stream: str | None = None
    toxicity: Annotated[float, Field(ge=0, le=1)] | None = None
    attributes: dict[str, Any] | None = None


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
    body = _validate(_ProxyBody, data)
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
    body = _validate(_ProxyBody, data)
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
    body = _validate(_ToxicBody, data)
    kind = body.type or ""
    stream = _stream(body.stream, kind)
    if kind not in ATTRIBUTES:
        known = ", ".join(ATTRIBUTES)
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
    body = _validate(_ToxicBody, data)
    merged = {**current.attributes.model_dump(), **(body.attributes or {})}
    return replace(
        current,
        toxicity=current.toxicity if body.toxicity is None else body.toxicity,
        attributes=attributes_for(current.type, merged),
    )


def attributes_for(kind: str, raw: dict[str, Any]) -> Attributes:
    model = ATTRIBUTES[kind]
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
    if not isinstance(data, dict):
        raise bad_body(f"expected a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise bad_body(_explain(err, prefix)) from err


def _explain(err: ValidationError, prefix: str) -> str:
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{prefix}{where}: {message}" if where else f"{prefix.rstrip('.')}: {message}"
