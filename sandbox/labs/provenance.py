"""What makes a report hard to forge: where it came from, and an instructor's signature.

Every report says which sandbox graded it, when, and the sha256 of every file that decided
the grade: the lab definition (`lab.yaml`), the lab's own check module and the built-in check
kinds. `verify` recomputes those from the installed sandbox and compares. With an instructor
key (SANDBOX_GRADER_KEY) the report is also signed with HMAC-SHA256 over its canonical JSON,
so any edit (a score, a check's result) breaks the signature.

The checks always come from the sandbox's own labs folder: the learner's workspace is what
they read, never where they are loaded from.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox import __version__
from sandbox.labs import checks as builtin_checks
from sandbox.labs.loader import LAB_FILE
from sandbox.labs.model import Lab

ALGORITHM = "HMAC-SHA256"
KINDS_DIR = Path(builtin_checks.__file__).parent


def sources(lab: Lab) -> dict[str, Path]:
    """Every file that decides the grade, by the name a report shows for it."""
    found = {f"{lab.id}/{LAB_FILE}": lab.folder / LAB_FILE}
    if lab.python_checks:
        found[f"{lab.id}/{lab.python_checks}"] = lab.folder / lab.python_checks
    for module in sorted(KINDS_DIR.glob("*.py")):
        found[f"sandbox/labs/checks/{module.name}"] = module
    return found


def digests(lab: Lab) -> dict[str, str]:
    return {name: _sha256(path) for name, path in sources(lab).items()}


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def stamp(lab: Lab) -> dict[str, Any]:
    """The provenance block of a report made now."""
    return {
        "sandbox_version": __version__,
        "graded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sha256": digests(lab),
    }


def canonical(document: dict[str, Any]) -> bytes:
    """The bytes the signature covers: the document without its signature, keys sorted."""
    unsigned = {key: value for key, value in document.items() if key != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(document: dict[str, Any], key: str) -> dict[str, Any]:
    mac = hmac.new(key.encode(), canonical(document), hashlib.sha256).hexdigest()
    return {**document, "signature": {"algorithm": ALGORITHM, "value": mac}}


def signature_matches(document: dict[str, Any], key: str) -> bool:
    signature = document.get("signature")
    if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
        return False
    expected = hmac.new(key.encode(), canonical(document), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, str(signature.get("value", "")))


@dataclass
class Verdict:
    """What `sandbox lab verify` found: no problems means the report is what we graded."""

    lab_id: str
    problems: list[str] = field(default_factory=list)
    signed: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems
