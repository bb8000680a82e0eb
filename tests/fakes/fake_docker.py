#!/usr/bin/env python3
"""FAKE docker CLI, for the compose backend's tests only: no Docker engine runs on CI.

It records every call (one JSON list per line in $FAKE_DOCKER_LOG) and answers from files:
  FAKE_DOCKER_ENGINE=down      `docker info` fails like a stopped daemon
  FAKE_DOCKER_INSPECT=<file>   what `docker inspect` prints (and `compose ps -q` lists its ids)
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
    if args[:1] == ["inspect"]:
        print(json.dumps([c for c in inspected if c["Id"] in args[1:]]))
        return 0
    if args[:1] == ["compose"]:
        return _compose(args, inspected)
    return 0


def _compose(args: list[str], inspected: list[dict]) -> int:
    if "ps" in args:
        print("\n".join(c["Id"] for c in inspected))
    elif "up" in args and os.environ.get("FAKE_DOCKER_UP_FAIL") == "1":
        print("Error response from daemon: pull access denied for localstack/localstack",
              file=sys.stderr)  # fmt: skip
        return 1
    elif "logs" in args:
        print("app-1  | 2026-11-27T10:00:00Z listening on 0.0.0.0:8080")
    return 0


def _inspected() -> list[dict]:
    path = os.environ.get("FAKE_DOCKER_INSPECT", "")
    return json.loads(Path(path).read_text()) if path else []


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
