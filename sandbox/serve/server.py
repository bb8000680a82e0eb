"""textual-serve's Server with three changes:

- its own page (templates/app_index.html): the font from the wheel's static folder instead
  of a web font on an outside host, and URLs taken from the request (so the page works on
  whatever address the browser used, not the bind address);
- a token: with one set, every request must carry it (`?token=`, then a cookie the page
  gets with it), else 403: nobody else on the network drives the stack;
- a websocket from a page of another site (its Origin) is refused, token or not, so a web
  page open in the same browser cannot drive a sandbox served on 127.0.0.1.
"""

from __future__ import annotations

import errno
import hmac
import ipaddress
import re
import secrets
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
import textual_serve
from aiohttp import web
from textual_serve.server import Server

from sandbox.errors import ConfigError, PortInUseError
from sandbox.services.process import port_owner

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(textual_serve.__file__).parent / "static"  # textual.js, xterm.css, the fonts
COOKIE = "sandbox_token"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{12,128}$")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def needs_token(host: str) -> bool:
    """Any address but this machine's own loopback one can be reached by others."""
    return host not in LOOPBACK_NAMES


def checked_token(token: str | None, host: str) -> str | None:
    """The token to require: the one given (if well formed), a new one when the host needs
    one, or None (127.0.0.1 without --token)."""
    if token is not None and not TOKEN.match(token):
        raise ConfigError(
            "--token must be 12 to 128 letters, digits, '-' or '_'",
            "leave --token out and `sandbox serve` makes one (and prints it)",
        )
    if token is None and needs_token(host):
        return secrets.token_urlsafe(18)
    return token


def ensure_bindable(host: str, port: int) -> None:
    """A clear error before serving: the port is taken, or the address is not this
    machine's (the server would otherwise fail inside aiohttp with a traceback)."""
    family = socket.AF_INET6 if _is_ipv6(host) else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            raise _bind_error(host, port, err) from None


def _bind_error(host: str, port: int, err: OSError) -> Exception:
    if err.errno == errno.EADDRINUSE:
        owner = port_owner(port)
        taken = f"port {port} on {host} is already in use" + (f" by {owner}" if owner else "")
        return PortInUseError("serve", taken, "stop that process, or choose another --port")
    reason = "no such address" if isinstance(err, socket.gaierror) else err.strerror
    return ConfigError(
        f"cannot listen on {host}:{port}: {reason}",
        "give an IP address of this machine with --host, or leave it out for 127.0.0.1",
    )


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:
        return False


class SandboxServer(Server):
    def __init__(self, command: str, host: str, port: int, token: str | None) -> None:
        super().__init__(
            command,
            host=host,
            port=port,
            title="sandbox",
            statics_path=STATIC,
            templates_path=TEMPLATES,
        )
        self.token = token

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refusal = self.refusal(request)
        if refusal is not None:
            return web.Response(status=403, text=refusal + "\n")
        response = await handler(request)
        if self.token and request.query.get("token") and not response.prepared:
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict", path="/")
        return response

    def refusal(self, request: web.Request) -> str | None:
        """Why this request is refused, or None."""
        origin = request.headers.get("Origin")
        if request.path == "/ws" and origin and urlsplit(origin).netloc != request.host:
            return f"refused: a page from {origin} may not drive this sandbox"
        if self.token is None:
            return None
        given = request.query.get("token") or request.cookies.get(COOKIE)
        if given is None:
            return (
                "this sandbox needs its token: open the address `sandbox serve` printed "
                "(http://HOST:PORT/?token=...)"
            )
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return "wrong token: open the address `sandbox serve` printed, with its token"
        return None

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """The page, with every URL relative to the address the browser used."""
        scheme = "wss" if request.secure else "ws"
        size = request.query.get("fontsize", "16")
        return {
            "font_size": int(size) if size.isdigit() else 16,
            "app_websocket_url": f"{scheme}://{request.host}/ws",
            "config": {"static": {"url": "/static/"}},
            "application": {"name": self.title},
        }
