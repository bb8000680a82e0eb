"""The one error of the static graders: the input cannot be graded at all."""

from __future__ import annotations

from sandbox.errors import SandboxError


class CannotCheckError(SandboxError):
    """The path is missing, unreadable or holds nothing to grade (a lab reports UNKNOWN).

    Mistakes inside a file (bad YAML, an unknown kind) are findings, not this error."""
