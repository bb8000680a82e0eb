"""The JSON bodies the API accepts, as pydantic models: a proxy, a toxic, and the
attributes of each toxic type, with their bounds. Types are checked as Toxiproxy's Go decoder
checks them (strict: a string is not a number, 1.5 is not an integer).

The server imports this module when a body first needs checking (model.py's parsers, then
toxics.build), not at start: pydantic and these models are about 10 MB, a third of the
server's memory, which an idle stack never needs.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

MAX_MS = 3_600_000  # an hour: a longer fault is a typo that would hang a lab
M = TypeVar("M", bound=BaseModel)

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

# -- request bodies: unknown fields are ignored, as Toxiproxy does ------------------------


class ProxyBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    name: str | None = None
    listen: str | None = None
    upstream: str | None = None
    enabled: bool | None = None


class ToxicBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    name: str | None = None
    type: str | None = None
    stream: str | None = None
    toxicity: Annotated[float, Field(ge=0, le=1)] | None = None
    attributes: dict[str, Any] | None = None


class Invalid(ValueError):
    """A body that breaks its model; the message names the field and what was wrong."""


def validate(model: type[M], data: dict[str, Any], prefix: str = "") -> M:
    """`data` as a `model`, or Invalid naming the first wrong field (after `prefix`)."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise Invalid(_explain(err, prefix)) from err


def _explain(err: ValidationError, prefix: str) -> str:
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{prefix}{where}: {message}" if where else f"{prefix.rstrip('.')}: {message}"
