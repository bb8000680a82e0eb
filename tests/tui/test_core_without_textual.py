"""The core runs without a screen: every module of sandbox.stack, sandbox.aws and sandbox.labs
imports in a Python where Textual cannot be imported at all."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

PROGRAM = """
import importlib, pkgutil, sys

class NoTextual:
    def find_spec(self, name, path=None, target=None):
        if name == "textual" or name.startswith(("textual.", "textual_serve")):
            raise ImportError(f"{name} is blocked: the core must not need it")
        return None

sys.meta_path.insert(0, NoTextual())
for package in ("sandbox.stack", "sandbox.aws", "sandbox.labs"):
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        importlib.import_module(info.name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "textual_serve"))
assert not loaded, loaded
print("ok")
"""


def test_core_packages_import_without_textual() -> None:
    done = subprocess.run([sys.executable, "-c", PROGRAM], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
