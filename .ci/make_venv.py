"""Create the project's virtualenv with pip, even where Python's ensurepip is missing.

Debian and Ubuntu ship `venv` without ensurepip unless python3-venv is installed. Rather
than ask for apt, fall back to a venv without pip and install pip from the package index
(the wheel runs as a zip: `python pip.whl/pip install pip`).

    python3 .ci/make_venv.py .venv
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
import venv
from pathlib import Path

INDEX = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")


def main(target: Path) -> int:
    if sys.version_info < (3, 11):
        print(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.", file=sys.stderr)
        print("Run `make PYTHON=python3.11 ...` with a newer Python.", file=sys.stderr)
        return 1
    if os.environ.get("SANDBOX_FORCE_PIP_BOOTSTRAP") != "1" and _with_ensurepip(target):
        return 0
    venv.EnvBuilder(with_pip=False, clear=True).create(target)
    _bootstrap_pip(target / "bin" / "python")
    return 0


def _with_ensurepip(target: Path) -> bool:
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(target)
    except (subprocess.CalledProcessError, OSError):
        print("ensurepip is not available; installing pip from the package index", file=sys.stderr)
        return False
    return True


def _bootstrap_pip(python: Path) -> None:
    url = _latest_pip_wheel()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = Path(tmp) / url.rsplit("/", 1)[-1].split("#")[0]
        urllib.request.urlretrieve(url, wheel)  # noqa: S310 - the package index, https
        subprocess.run([str(python), f"{wheel}/pip", "install", "-q", str(wheel)], check=True)


def _latest_pip_wheel() -> str:
    request = urllib.request.Request(  # noqa: S310 - the package index
        f"{INDEX}/pip/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        files = json.load(response)["files"]
    wheels = {
        _version(f["filename"]): f["url"]
        for f in files
        if f["filename"].endswith("-py3-none-any.whl") and not f.get("yanked")
    }
    return str(wheels[max(wheels)])


def _version(filename: str) -> tuple[int, ...]:
    """(25, 3) for pip-25.3-py3-none-any.whl; pre-releases sort first, never chosen."""
    parts = filename.split("-")[1].split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else (-1,)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ".venv")))
