"""Our own Dockerfile rules, on the parsed stages. The final stage is the image that runs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from difflib import get_close_matches
from urllib.parse import urlsplit

from sandbox.static.app_facts import APP_PORT, APP_UID, SERVED_PATHS
from sandbox.static.dockerfile_model import (
    Dockerfile,
    Instruction,
    Stage,
    arg_defaults,
    env_pairs,
)
from sandbox.static.findings import Finding, Severity
from sandbox.static.policy import image_problem
from sandbox.static.secrets import looks_secret

Rule = Callable[[Dockerfile, str, bool], Iterator[Finding]]
URL = re.compile(r"https?://[^\s\"']+")
HEALTH_CMD = (
    '["python", "-c", "import urllib.request; '
    "urllib.request.urlopen('http://127.0.0.1:8080/health/live', timeout=2)\"]"
)
GUNICORN_CMD = '["gunicorn", "-c", "app/gunicorn.conf.py", "app:create_app()"]'


def finding(
    rule: str, shown: str, stage: Stage | None, where: Instruction | None, message: str,
    severity: Severity = Severity.ERROR,
) -> Finding:  # fmt: skip
    line = where.line if where else (stage.line if stage else None)
    resource = stage.label if stage else "Dockerfile"
    return Finding(rule, severity, shown, resource, where.keyword if where else "", message, line)


def root_user(dockerfile: Dockerfile, shown: str, _digest: bool) -> Iterator[Finding]:
    final = dockerfile.stages[-1]
    user = _inherited(dockerfile, final, "USER")
    if user is None:
        message = (
            "the final stage never sets USER, so the app runs as root: add `USER "
            f"{APP_UID}:{APP_UID}` after creating that user"
        )
        yield finding("DF-ROOT-USER", shown, final, None, message)
    elif user.value.split(":")[0].strip() in ("root", "0"):
        message = (
            f"USER {user.value} runs the app as root: create a user and use `USER "
            f"{APP_UID}:{APP_UID}`"
        )
        yield finding("DF-ROOT-USER", shown, final, user, message)


def _inherited(dockerfile: Dockerfile, stage: Stage, *keywords: str) -> Instruction | None:
    """The last of `keywords` in the stage or in the stages it is built FROM."""
    return next((found for s in dockerfile.ancestry(stage) if (found := s.last(*keywords))), None)


def healthcheck(dockerfile: Dockerfile, shown: str, _digest: bool) -> Iterator[Finding]:
    final = dockerfile.stages[-1]
    check = _inherited(dockerfile, final, "HEALTHCHECK")
    if check is None or check.arguments().upper().startswith("NONE"):
        message = f"the final stage has no HEALTHCHECK: add `HEALTHCHECK CMD {HEALTH_CMD}`"
        yield finding("DF-NO-HEALTHCHECK", shown, final, check, message)
        return
    for url in URL.findall(check.value):
        yield from _health_url(shown, final, check, url)


def _health_url(shown: str, stage: Stage, check: Instruction, url: str) -> Iterator[Finding]:
    parts = urlsplit(url)
    try:
        port = parts.port or 80
    except ValueError:
        port = 0
    path = parts.path or "/"
    if port != APP_PORT or path not in SERVED_PATHS:
        message = (
            f"the HEALTHCHECK calls {url}, but the app serves {', '.join(sorted(SERVED_PATHS))} on "
            f"port {APP_PORT}: use http://127.0.0.1:{APP_PORT}/health/live"
        )
        yield finding("DF-HEALTHCHECK-PATH", shown, stage, check, message)


def pinned_bases(dockerfile: Dockerfile, shown: str, digest: bool) -> Iterator[Finding]:
    for stage in dockerfile.stages:
        earlier = dockerfile.stage_named(stage.image)
        if stage.image.lower() == "scratch" or (earlier and earlier.index < stage.index):
            continue
        problem = _pin_problem(stage.image, digest)
        if problem:
            message = (
                f"the base image {stage.image} {problem}: pin an exact tag such as "
                "python:3.12.8-slim-bookworm" + (" plus its @sha256 digest" if digest else "")
            )
            yield finding("DF-PIN-BASE", shown, stage, None, message)


def _pin_problem(image: str, digest: bool) -> str:
    if "$" in image:
        return "comes from a variable with no default"
    problem = image_problem(image)
    if problem:
        return problem
    return "has no @sha256 digest" if digest and "@sha256:" not in image else ""


def add_url(dockerfile: Dockerfile, shown: str, _digest: bool) -> Iterator[Finding]:
    for stage in dockerfile.stages:
        for add in stage.all("ADD"):
            sources = add.arguments().split()[:-1]
            if "checksum" not in add.flags() and any(
                s.startswith(("http://", "https://", "git@")) for s in sources
            ):
                message = (
                    "ADD from a URL downloads whatever is there at build time, unverified: "
                    "download with RUN curl and check a sha256, or use ADD --checksum=sha256:..."
                )
                yield finding("DF-ADD-URL", shown, stage, add, message)


def secrets(dockerfile: Dockerfile, shown: str, _digest: bool) -> Iterator[Finding]:
    places: list[tuple[Stage | None, Instruction]] = [(None, i) for i in dockerfile.preamble]
    places += [(stage, i) for stage in dockerfile.stages for i in stage.all("ENV", "ARG")]
    for stage, instruction in places:
        for name, value in _pairs(instruction):
            if looks_secret(name, value):
                message = (
                    f"{instruction.keyword} {name} bakes a secret into the image (anyone can "
                    "read it with docker history): pass it at run time from a Kubernetes "
                    "Secret, or use RUN --mount=type=secret while building"
                )
                yield finding("DF-SECRET", shown, stage, instruction, message)


def _pairs(instruction: Instruction) -> list[tuple[str, str]]:
    if instruction.keyword == "ENV":
        return env_pairs(instruction)
    return list(arg_defaults(instruction).items())


def copy_from(dockerfile: Dockerfile, shown: str, _digest: bool) -> Iterator[Finding]:
    for stage in dockerfile.stages:
        for copy in stage.all("COPY"):
            source = copy.flags().get("from")
            problem = _copy_problem(dockerfile, stage, source) if source else ""
            if problem:
                yield finding("DF-COPY-FROM", shown, stage, copy, problem)


def _copy_problem(dockerfile: Dockerfile, stage: Stage, source: str) -> str:
    if source.isdigit():
        ok = int(source) < stage.index
        return "" if ok else f"--from={source} is not an earlier stage: stages are numbered from 0"
    named = dockerfile.stage_named(source)
    if named is not None:
        return (
            ""
            if named.index < stage.index
            else f"--from={source} is this stage or a later one: copy only from an earlier stage"
        )
    if any(c in source for c in ":/@"):
        return ""  # an image reference, like --from=nginx:1.27
    names = [s.name for s in dockerfile.stages[: stage.index] if s.name]
    close = get_close_matches(source, names, n=1)
    fix = (
        f"did you mean --from={close[0]}?" if close else f"name the stage with FROM ... AS {source}"
    )
    return f"--from={source} names no stage (docker would pull an image called {source}): {fix}"


def command(dockerfile: Dockerfile, shown: str, _digest: bool) -> Iterator[Finding]:
    final = dockerfile.stages[-1]
    entry = _inherited(dockerfile, final, "ENTRYPOINT")
    cmd = _inherited(dockerfile, final, "CMD")
    if entry is None and cmd is None:
        message = (
            "the final stage has no CMD, so it runs the base image's (a Python prompt): add CMD "
            f"{GUNICORN_CMD}"
        )
        yield finding("DF-NO-CMD", shown, final, None, message)
    for instruction in (i for i in (entry, cmd) if i is not None):
        if instruction.exec_form() is None:
            message = (
                f"{instruction.keyword} in shell form runs under /bin/sh, which does not pass "
                "SIGTERM on to gunicorn (no graceful shutdown): write the JSON form, "
                f"{instruction.keyword} {GUNICORN_CMD}"
            )
            yield finding("DF-CMD-EXEC", shown, final, instruction, message)
    words = " ".join(" ".join(i.exec_form() or [i.value]) for i in (entry, cmd) if i is not None)
    if (entry or cmd) and "gunicorn" not in words:
        message = (
            "the image does not start gunicorn, the app's production server (Flask's own is for "
            f"development): use CMD {GUNICORN_CMD}"
        )
        yield finding("DF-CMD-GUNICORN", shown, final, cmd or entry, message, Severity.WARNING)


def bind(dockerfile: Dockerfile, shown: str, _digest: bool) -> Iterator[Finding]:
    final = dockerfile.stages[-1]
    values = {
        name: (value, i)
        for s in reversed(list(dockerfile.ancestry(final)))
        for i in s.all("ENV")
        for name, value in env_pairs(i)
    }
    value, where = values.get("BIND", ("", None))
    commands = " ".join(
        i.value for s in dockerfile.ancestry(final) for i in s.all("CMD", "ENTRYPOINT")
    )
    if "--bind" in commands or " -b " in commands.replace('"', " "):
        return
    if not value.startswith(("0.0.0.0:", "[::]:", ":")):
        message = (
            "gunicorn binds 127.0.0.1 unless BIND says otherwise (app/gunicorn.conf.py), and "
            f"nothing outside the container reaches loopback: set ENV BIND=0.0.0.0:{APP_PORT}"
        )
        yield finding("DF-BIND", shown, final, where, message)


def single_stage(dockerfile: Dockerfile, shown: str, _digest: bool) -> Iterator[Finding]:
    if len(dockerfile.stages) == 1:
        message = (
            "one stage ships the build tools and pip's leftovers in the image: build the venv in "
            "a `build` stage and COPY --from=build /opt/venv /opt/venv into a slim final stage"
        )
        yield finding(
            "DF-SINGLE-STAGE", shown, dockerfile.stages[0], None, message, Severity.WARNING
        )


RULES: tuple[Rule, ...] = (
    root_user, healthcheck, pinned_bases, add_url, secrets, copy_from, command, bind, single_stage,
)  # fmt: skip
