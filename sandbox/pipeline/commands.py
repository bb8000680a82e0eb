"""The files a step writes to talk to the runner: $GITHUB_OUTPUT and $GITHUB_ENV (NAME=value
lines, or NAME<<DELIMITER ... DELIMITER for several lines), $GITHUB_PATH (a folder a line),
$GITHUB_STEP_SUMMARY (Markdown)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

FILE_VARIABLES = {
    "output": "GITHUB_OUTPUT",
    "env": "GITHUB_ENV",
    "path": "GITHUB_PATH",
    "summary": "GITHUB_STEP_SUMMARY",
}


class CommandFileError(ValueError):
    """A step wrote a line the runner cannot read; the message names the file and line."""


@dataclass(frozen=True)
class CommandFiles:
    """One step's four files, created empty before it runs."""

    folder: Path
    tag: str

    @classmethod
    def create(cls, folder: Path) -> CommandFiles:
        files = cls(folder, uuid.uuid4().hex)
        folder.mkdir(parents=True, exist_ok=True)
        for kind in FILE_VARIABLES:
            files.file(kind).touch()
        return files

    def file(self, kind: str) -> Path:
        return self.folder / f"{kind}_{self.tag}"

    def variables(self) -> dict[str, str]:
        return {variable: str(self.file(kind)) for kind, variable in FILE_VARIABLES.items()}

    def outputs(self) -> dict[str, str]:
        return read_assignments(self.file("output"), "GITHUB_OUTPUT")

    def env(self) -> dict[str, str]:
        return read_assignments(self.file("env"), "GITHUB_ENV")

    def paths(self) -> list[str]:
        return [line.strip() for line in _lines(self.file("path")) if line.strip()]

    def summary(self) -> str:
        return self.file("summary").read_text(encoding="utf-8", errors="replace")


def read_assignments(path: Path, variable: str) -> dict[str, str]:
    lines = _lines(path)
    found: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            i = _heredoc(lines, i, name, delimiter, variable, found)
        elif "=" in line:
            name, value = line.split("=", 1)
            found[_name(name, i, variable)] = value
        elif line.strip():
            raise CommandFileError(
                f"${variable} line {i + 1}: `{line[:60]}` is neither NAME=value nor "
                'NAME<<DELIMITER: write `echo "name=value" >> $' + variable + "`"
            )
        i += 1
    return found


def _heredoc(
    lines: list[str], start: int, name: str, delimiter: str, variable: str, found: dict[str, str]
) -> int:
    try:
        end = lines.index(delimiter, start + 1)
    except ValueError:
        raise CommandFileError(
            f"${variable} line {start + 1}: `{name}<<{delimiter}` is never closed: end the "
            f"value with a line holding only {delimiter}"
        ) from None
    found[_name(name, start, variable)] = "\n".join(lines[start + 1 : end])
    return end


def _name(name: str, index: int, variable: str) -> str:
    if not name.strip():
        raise CommandFileError(f"${variable} line {index + 1}: the name before = is empty")
    return name.strip()


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []  # the step removed it: nothing was written
