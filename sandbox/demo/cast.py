"""What the demo prints: to the terminal, and (with --record) to an asciinema v2 cast.

The cast format (docs.asciinema.org, "asciicast v2"): a JSON header line, then one JSON
array per output chunk, `[seconds since start, "o", text]`. Written by our code, flushed
line by line, so a demo stopped halfway leaves a valid cast of what was shown.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import TextIO

import click

from sandbox.errors import ConfigError

SIZE = (100, 30)  # the cast's terminal size when ours cannot be read (headless)


class Cast:
    def __init__(self, path: Path, title: str) -> None:
        width, height = shutil.get_terminal_size(SIZE)
        try:
            self.file: TextIO = path.open("w", encoding="utf-8")
        except OSError as err:
            raise ConfigError(
                f"cannot write the cast {path}: {err.strerror}",
                "give --record a file in a folder that exists and is writable",
            ) from None
        self.start = time.monotonic()
        header = {
            "version": 2,
            "width": width,
            "height": height,
            "timestamp": int(time.time()),
            "title": title,
            "env": {
                "TERM": os.environ.get("TERM", "xterm-256color"),
                "SHELL": os.environ.get("SHELL", "/bin/sh"),
            },
        }
        self._line(header)

    def output(self, text: str) -> None:
        # A terminal's newline is CR LF: the player replays raw terminal output.
        self._line([round(time.monotonic() - self.start, 6), "o", text.replace("\n", "\r\n")])

    def _line(self, value: object) -> None:
        self.file.write(json.dumps(value, ensure_ascii=False) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


class Output:
    """Prints to the terminal (colour only on a terminal) and to the cast (always colour)."""

    def __init__(self, cast: Cast | None = None) -> None:
        self.cast = cast

    def say(self, text: str = "", **style: object) -> None:
        styled = click.style(text, **style) if style else text  # type: ignore[arg-type]
        click.echo(styled)
        if self.cast is not None:
            self.cast.output(styled + "\n")
