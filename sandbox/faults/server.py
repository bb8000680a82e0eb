"""The faults process: the API on 127.0.0.1:PORT, the proxies, the state file, signals.

    python -m sandbox.faults --port 8474 [--state FILE]

The API is bound first, so a port in use fails the start before any proxy listens. SIGTERM
and SIGINT stop every proxy and exit 0; the state file keeps the proxies for the next start.
Log lines go to stdout (the launcher sends them to the service's log file).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from sandbox.faults import api, httpd
from sandbox.faults.registry import Registry
from sandbox.faults.state import StateStore

HOST = "127.0.0.1"
DEFAULT_PORT = 8474  # Toxiproxy's

log = logging.getLogger("sandbox.faults")


class StartError(Exception):
    """The server cannot start; the message says why and what to do."""


async def serve(port: int, state: Path | None) -> None:
    """Run until SIGTERM or SIGINT."""
    registry = Registry(StateStore(state) if state is not None else None)
    server = await _listen(registry, port)
    await registry.restore()
    log.info("faults: Toxiproxy-compatible API on http://%s:%d", HOST, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    log.info("faults: stopping")
    server.close()
    await registry.close()


async def _listen(registry: Registry, port: int) -> asyncio.Server:
    try:
        return await httpd.start(api.handler(registry), HOST, port)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise StartError(
                f"port {port} on {HOST} is already in use: stop that process, "
                "or choose another port with SANDBOX_FAULTS_PORT=<port>"
            ) from err
        raise StartError(f"cannot listen on {HOST}:{port}: {err.strerror or err}") from err


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.faults",
        description="Fault-injection proxies with Toxiproxy's HTTP API, on 127.0.0.1 only.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="the API's port (8474)")
    parser.add_argument(
        "--state", type=Path, help="a JSON file keeping the proxies (never the toxics)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    try:
        asyncio.run(serve(args.port, args.state))
    except StartError as err:
        print(f"faults: {err}", file=sys.stderr)
        return 1
    return 0
