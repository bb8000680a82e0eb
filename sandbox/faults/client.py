"""A small synchronous client of the faults API, for the CLI and lab checks.

Every failure becomes a SandboxError saying what failed and what to do: the server not
answering, or the API's own error (its message, its status, and a next step).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from sandbox.errors import SandboxError, StackNotRunningError

HINTS = {
    400: "fix what the message names (`sandbox fault add --help` lists each toxic's attributes)",
    404: "`sandbox fault list` shows the proxies and their toxics",
    409: "pick another name or port, or remove the existing one first",
}


class FaultsApiError(SandboxError):
    """The faults server refused a request; `status` is its HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(f"faults: {message}", HINTS.get(status, "see the faults log"))
        self.status = status


class FaultsClient:
    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    # -- proxies ---------------------------------------------------------------------------

    def proxies(self) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", "/proxies")
        return result

    def create_proxy(self, name: str, listen: str, upstream: str) -> dict[str, Any]:
        body = {"name": name, "listen": listen, "upstream": upstream}
        result: dict[str, Any] = self.request("POST", "/proxies", body)
        return result

    def update_proxy(self, name: str, **fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", f"/proxies/{quote(name, safe='')}", fields)
        return result

    def delete_proxy(self, name: str) -> None:
        self.request("DELETE", f"/proxies/{quote(name, safe='')}")

    # -- toxics ----------------------------------------------------------------------------

    def add_toxic(self, proxy: str, toxic: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", f"{_toxics(proxy)}", toxic)
        return result

    def remove_toxic(self, proxy: str, name: str) -> None:
        self.request("DELETE", f"{_toxics(proxy)}/{quote(name, safe='')}")

    def reset(self) -> None:
        self.request("POST", "/reset")

    def version(self) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", "/version")
        return result

    # -- transport -------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """The decoded JSON answer (None for 204), or a SandboxError."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is ours, http on loopback
            self.base_url + path, data=data, method=method
        )
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as err:
            raise _api_error(err) from err
        except (urllib.error.URLError, OSError) as err:
            raise self._unreachable(err) from err
        return json.loads(raw) if raw.strip() else None

    def _unreachable(self, err: Exception) -> StackNotRunningError:
        reason = getattr(err, "reason", err)
        return StackNotRunningError(
            f"the faults server is not answering at {self.base_url} ({reason})",
            "start it with `sandbox up` (or `python -m sandbox.faults --port PORT`), "
            "or set SANDBOX_FAULTS_PORT to the port it listens on",
        )


def _toxics(proxy: str) -> str:
    return f"/proxies/{quote(proxy, safe='')}/toxics"


def _api_error(err: urllib.error.HTTPError) -> FaultsApiError:
    try:
        body = json.loads(err.read())
        message = str(body["error"])
    except (ValueError, KeyError, TypeError, OSError):
        message = f"HTTP {err.code} {err.reason}"
    return FaultsApiError(message, err.code)
