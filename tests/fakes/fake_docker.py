#!/usr/bin/env python3
"""FAKE docker CLI, for the compose backend's unit tests only (tests/compose/ runs the real one).

It records every call (one JSON list per line in $FAKE_DOCKER_LOG) and answers from files:
  FAKE_DOCKER_ENGINE=down      `docker info` fails like a stopped daemon
  FAKE_DOCKER_NO_COMPOSE=1     `docker compose ...` fails like a docker without the plugin
  FAKE_DOCKER_INSPECT=<file>   what `docker inspect` prints (and `ps -q` lists its ids)
  FAKE_DOCKER_UP_FAIL=1        `docker compose up` fails with a pull error
"""

import json
import os
import sys
from pathlib import Path

DAEMON_DOWN = (
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock."
    " Is the docker daemon running?"
)
NO_COMPOSE = "docker: 'compose' is not a docker command.\nSee 'docker --help'"
LOG_LINE = "2026-11-27T10:00:00Z listening on 0.0.0.0:8080"


def main(args: list[str]) -> int:
    with open(os.environ["FAKE_DOCKER_LOG"], "a") as log:
        log.write(json.dumps(args) + "\n")
    if args[:1] == ["info"]:
        if os.environ.get("FAKE_DOCKER_ENGINE") == "down":
            print(DAEMON_DOWN, file=sys.stderr)
            return 1
        print("27.3.1")
        return 0
    inspected = _inspected()
    if args[:1] == ["ps"]:
        print("\n".join(c["Id"] for c in inspected))
    elif args[:1] == ["inspect"]:
        print(json.dumps([c for c in inspected if c["Id"] in args[1:]]))
    elif args[:1] == ["compose"]:
        return _compose(args, inspected)
    return 0


def _compose(args: list[str], inspected: list[dict]) -> int:
    if os.environ.get("FAKE_DOCKER_NO_COMPOSE") == "1":
        print(NO_COMPOSE, file=sys.stderr)
        return 1
    if "ps" in args:
        print("\n".join(c["Id"] for c in inspected))
    elif "up" in args and os.environ.get("FAKE_DOCKER_UP_FAIL") == "1":
        print(
            "Error response from daemon: pull access denied for localstack/localstack",
            file=sys.stderr,
        )
        return 1
    elif "logs" in args:
        project = args[args.index("-p") + 1]
        print(LOG_LINE if "--no-log-prefix" in args else f"{project}-app-1  | {LOG_LINE}")
    return 0


def _inspected() -> list[dict]:
    path = os.environ.get("FAKE_DOCKER_INSPECT", "")
    return json.loads(Path(path).read_text()) if path else []


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
