"""Fault injection: a TCP proxy server speaking Toxiproxy's HTTP API, in asyncio.

Run it with ``python -m sandbox.faults --port 8474 [--state FILE]`` (or through
``sandbox.services.faults``). Existing Toxiproxy clients work against it unchanged: the
endpoints, the JSON of proxies and toxics, the default toxic name ``<type>_<stream>``, and the
error body ``{"error": ..., "status": ...}`` with 400/404/409 follow Toxiproxy's README.

The parts, one concern each::

    model.py       what the API accepts and answers: proxies, toxics, errors
    schema.py      the bodies' pydantic models (imported on the first body, not at start)
    addresses.py   listen and upstream addresses; listen is kept on loopback
    toxics.py      one class per toxic kind, applied to one direction of one connection
    http1.py       where HTTP/1.1 requests begin in a byte stream (for the HTTP toxics)
    link.py        one direction of a connection: bytes through the toxic chain
    connection.py  one proxied connection: the client side, the upstream side, two links
    proxy.py       one listener, its toxics and its counters
    registry.py    the proxies by name: create, update, populate, reset; persisted
    state.py       the state file (proxies only, never toxics)
    httpd.py       a tiny HTTP/1.1 server on asyncio streams
    api.py         Toxiproxy's routes on top of the registry
    server.py      the process: API + proxies on 127.0.0.1, signals, state
    client.py      a small synchronous client for the CLI and lab checks

Decisions a reader would otherwise have to dig for:

- Everything listens on loopback. A proxy ``listen`` of ``0.0.0.0``, ``[::]``, ``localhost``
  or an empty host (``:PORT``) is rewritten to ``127.0.0.1`` and answered as such (Toxiproxy
  also answers the address it actually bound); any other non-loopback host is refused
  with 400, since the sandbox never opens a port to the network.
- Faults never outlive the stack: the state file keeps the proxies (name, listen, upstream),
  so a restart of the service brings them back, enabled and with no toxics. A disabled
  proxy is a fault too (Toxiproxy's "down"), so it comes back enabled.
- Stricter than Toxiproxy where its leniency hides mistakes: unknown attribute names,
  negative times and a toxicity outside 0..1 are 400s that name the field.
- A listen port in use is a 409 that names the port's owner (Toxiproxy answers 500).
- HTTP-level faults (Istio's ``fault.abort`` / ``fault.delay``) are two extra toxic types,
  ``http_abort`` and ``http_delay``: see ``toxics.py`` and ``http1.py``.
"""
