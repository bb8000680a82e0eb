"""A Dockerfile as stages of instructions, parsed with dockerfile-parse.

dockerfile-parse is lenient: it accepts any word as an instruction and knows no heredocs, so
unknown instructions become DF-PARSE findings here and heredoc bodies are skipped.
"""

from __future__ import annotations

import io
import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field

from dockerfile_parse import DockerfileParser

INSTRUCTIONS = frozenset(
    {"FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
     "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
)  # fmt: skip
HEREDOC = re.compile(r"<<-?[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    value: str
    line: int  # 1-based

    def flags(self) -> dict[str, str]:
        """Leading --name=value options: COPY --from=build -> {"from": "build"}."""
        found: dict[str, str] = {}
        for token in self.value.split():
            if not token.startswith("--"):
                break
            name, _, value = token[2:].partition("=")
            found[name.lower()] = value
        return found

    def arguments(self) -> str:
        """The value without its leading --options."""
        tokens = self.value.split()
        while tokens and tokens[0].startswith("--"):
            tokens.pop(0)
        return " ".join(tokens)

    def exec_form(self) -> list[str] | None:
        """The JSON array of CMD ["a", "b"], or None for the shell form."""
        try:
            parsed = json.loads(self.arguments())
        except ValueError:
            return None
        return (
            parsed if isinstance(parsed, list) and all(isinstance(p, str) for p in parsed) else None
        )


@dataclass
class Stage:
    index: int
    image: str  # with the ARG defaults substituted
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"stage {self.name or self.index}"

    def last(self, *keywords: str) -> Instruction | None:
        return next((i for i in reversed(self.instructions) if i.keyword in keywords), None)

    def all(self, *keywords: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword in keywords]


@dataclass
class Dockerfile:
    stages: list[Stage] = field(default_factory=list)
    global_args: dict[str, str] = field(default_factory=dict)
    preamble: list[Instruction] = field(default_factory=list)  # the ARGs before the first FROM
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, what is wrong)

    def stage_named(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name and s.name.lower() == name.lower()), None)

    def ancestry(self, stage: Stage) -> Iterator[Stage]:
        """The stage, then the earlier stages it is built FROM (they pass on USER, CMD...)."""
        seen: set[int] = set()
        current: Stage | None = stage
        while current is not None and current.index not in seen:
            seen.add(current.index)
            yield current
            parent = self.stage_named(current.image)
            current = parent if parent is not None and parent.index < current.index else None


def parse(data: bytes) -> Dockerfile:
    """Parse; a problem that docker build would reject is kept in `problems`."""
    parser = DockerfileParser(fileobj=io.BytesIO(data), env_replace=False)
    dockerfile = Dockerfile()
    for instruction in _instructions(parser.structure, dockerfile):
        _add(dockerfile, instruction)
    if not dockerfile.stages and not dockerfile.problems:
        dockerfile.problems.append(
            (1, "there is no FROM instruction: start with FROM <image>:<tag>")
        )
    return dockerfile


def _instructions(
    structure: list[dict[str, object]], dockerfile: Dockerfile
) -> Iterator[Instruction]:
    terminator = None
    for entry in structure:
        keyword, value = str(entry["instruction"]).upper(), str(entry["value"])
        line = int(str(entry["startline"])) + 1
        if terminator is not None:
            terminator = None if str(entry["content"]).strip() == terminator else terminator
        elif keyword != "COMMENT":
            if keyword not in INSTRUCTIONS:
                dockerfile.problems.append(
                    (line, f"unknown instruction {keyword}: check its spelling")
                )
                continue
            heredoc = HEREDOC.search(value)
            terminator = heredoc.group(1) if heredoc else None
            yield Instruction(keyword, value, line)


def _add(dockerfile: Dockerfile, instruction: Instruction) -> None:
    if instruction.keyword == "FROM":
        dockerfile.stages.append(_stage(dockerfile, instruction))
    elif dockerfile.stages:
        dockerfile.stages[-1].instructions.append(instruction)
    elif instruction.keyword == "ARG":
        dockerfile.preamble.append(instruction)
        dockerfile.global_args.update(arg_defaults(instruction))
    else:
        dockerfile.problems.append(
            (
                instruction.line,
                f"{instruction.keyword} before the first FROM: only ARG may come first",
            )
        )


def _stage(dockerfile: Dockerfile, instruction: Instruction) -> Stage:
    words = instruction.arguments().split()
    name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
    image = substitute(words[0], dockerfile.global_args) if words else ""
    return Stage(len(dockerfile.stages), image, name, instruction.line)


def substitute(text: str, values: dict[str, str]) -> str:
    """${NAME}, $NAME and ${NAME:-default} with the ARG defaults; unknown names stay."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if values.get(name):
            return values[name]
        return match.group(2) if match.group(2) is not None else match.group(0)

    return VARIABLE.sub(value, text)


def arg_defaults(instruction: Instruction) -> dict[str, str]:
    """ARG NAME=default (or several) -> {NAME: default}; a bare ARG NAME maps to ""."""
    return dict(_pair(token) for token in _words(instruction.value))


def env_pairs(instruction: Instruction) -> list[tuple[str, str]]:
    """ENV A=1 B="two words" or the legacy ENV A value."""
    words = _words(instruction.value)
    if words and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    return [_pair(word) for word in words]


def _pair(token: str) -> tuple[str, str]:
    name, _, value = token.partition("=")
    return name, value


def _words(value: str) -> list[str]:
    try:
        return shlex.split(value)
    except ValueError:
        return value.split()
