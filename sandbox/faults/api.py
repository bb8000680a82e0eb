"""Toxiproxy's HTTP API (its README, "Endpoints") on top of the registry.

Status codes as Toxiproxy answers them: 201 for a created proxy and for /populate, 200 for
a created toxic (Toxiproxy's choice), 204 for deletes and /reset. Updates take POST (the
documented method) or PATCH (Toxiproxy 2.6+). Requests from a browser (a ``Mozilla/`` user
agent) are refused with 403 as Toxiproxy does, so a web page cannot reconfigure the proxies.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import unquote

from sandbox.faults import model
from sandbox.faults.httpd import Request, Response
from sandbox.faults.model import ApiError
from sandbox.faults.registry import Registry

# The Toxiproxy release whose API this server follows; clients read it from GET /version.
TOXIPROXY_API_VERSION = "2.6.0"

Params = dict[str, str]
Action = Callable[[Registry, Request, Params], Awaitable[Response]]


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]
    pattern: re.Pattern[str]
    action: Action


def _route(methods: str, template: str, action: Action) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(tuple(methods.split()), re.compile(f"^{regex}$"), action)


# -- actions ------------------------------------------------------------------------------


async def list_proxies(registry: Registry, request: Request, params: Params) -> Response:
    return Response.json(200, {proxy.name: proxy.to_json() for proxy in registry.proxies()})


async def create_proxy(registry: Registry, request: Request, params: Params) -> Response:
    proxy = await registry.create(model.proxy_to_create(model.decode(request.body)))
    return Response.json(201, proxy.to_json())


async def populate(registry: Registry, request: Request, params: Params) -> Response:
    configs = model.proxies_to_populate(model.decode(request.body))
    proxies, error = await registry.populate(configs)
    body = {"proxies": [proxy.to_json() for proxy in proxies]}
    if error is not None:
        return Response.json(error.status, {**error.to_json(), **body})
    return Response.json(201, body)


async def show_proxy(registry: Registry, request: Request, params: Params) -> Response:
    return Response.json(200, registry.get(params["proxy"]).to_json())


async def update_proxy(registry: Registry, request: Request, params: Params) -> Response:
    proxy = await registry.update(params["proxy"], model.decode(request.body))
    return Response.json(200, proxy.to_json())


async def delete_proxy(registry: Registry, request: Request, params: Params) -> Response:
    await registry.delete(params["proxy"])
    return Response(204)


async def list_toxics(registry: Registry, request: Request, params: Params) -> Response:
    toxics = registry.get(params["proxy"]).toxics()
    return Response.json(200, [toxic.to_json() for toxic in toxics])


async def create_toxic(registry: Registry, request: Request, params: Params) -> Response:
    proxy = registry.get(params["proxy"])
    toxic = model.toxic_to_create(model.decode(request.body))
    proxy.add_toxic(toxic)
    return Response.json(200, toxic.to_json())


async def show_toxic(registry: Registry, request: Request, params: Params) -> Response:
    toxic = registry.get(params["proxy"]).toxic(params["toxic"])
    return Response.json(200, toxic.to_json())


async def update_toxic(registry: Registry, request: Request, params: Params) -> Response:
    proxy = registry.get(params["proxy"])
    current = proxy.toxic(params["toxic"])
    toxic = model.toxic_after_update(current, model.decode(request.body))
    proxy.replace_toxic(toxic)
    return Response.json(200, toxic.to_json())


async def delete_toxic(registry: Registry, request: Request, params: Params) -> Response:
    registry.get(params["proxy"]).remove_toxic(params["toxic"])
    return Response(204)


async def reset(registry: Registry, request: Request, params: Params) -> Response:
    await registry.reset()
    return Response(204)


async def version(registry: Registry, request: Request, params: Params) -> Response:
    body = {"version": TOXIPROXY_API_VERSION, "implementation": "sandbox.faults"}
    return Response.json(200, body)


ROUTES = (
    _route("POST", "/reset", reset),
    _route("GET", "/proxies", list_proxies),
    _route("POST", "/proxies", create_proxy),
    _route("POST", "/populate", populate),
    _route("GET", "/proxies/{proxy}", show_proxy),
    _route("POST PATCH", "/proxies/{proxy}", update_proxy),
    _route("DELETE", "/proxies/{proxy}", delete_proxy),
    _route("GET", "/proxies/{proxy}/toxics", list_toxics),
    _route("POST", "/proxies/{proxy}/toxics", create_toxic),
    _route("GET", "/proxies/{proxy}/toxics/{toxic}", show_toxic),
    _route("POST PATCH", "/proxies/{proxy}/toxics/{toxic}", update_toxic),
    _route("DELETE", "/proxies/{proxy}/toxics/{toxic}", delete_toxic),
    _route("GET", "/version", version),
)


# -- dispatch -----------------------------------------------------------------------------


def handler(registry: Registry) -> Callable[[Request], Awaitable[Response]]:
    """The httpd handler answering Toxiproxy's routes from `registry`."""

    async def handle(request: Request) -> Response:
        try:
            action, params = _dispatch(request)
            return await action(registry, request, params)
        except ApiError as err:
            return Response.json(err.status, err.to_json())

    return handle


def _dispatch(request: Request) -> tuple[Action, Params]:
    if request.headers.get("user-agent", "").startswith("Mozilla/"):
        raise ApiError("User agent not allowed: the faults API is not for browsers", 403)
    allowed: list[str] = []
    for route in ROUTES:
        found = route.pattern.match(request.path)
        if found is None:
            continue
        if request.method in route.methods:
            return route.action, {key: unquote(value) for key, value in found.groupdict().items()}
        allowed += route.methods
    if allowed:
        raise ApiError(
            f"method {request.method} not allowed on {request.path}: use {', '.join(allowed)}",
            405,
        )
    raise ApiError(f"no such endpoint: {request.method} {request.path}", 404)
