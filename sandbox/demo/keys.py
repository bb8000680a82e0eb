"""Stop the demo at any key: on a terminal, a thread watches stdin in cbreak mode (keys are
read one at a time, not echoed) and sets an event; headless, nothing is watched."""

from __future__ import annotations

import contextlib
import select
import sys
import threading
from collections.abc import Iterator


class KeyWatcher:
    def __init__(self) -> None:
        self.pressed = threading.Event()
        self._done = threading.Event()

    def wait(self, seconds: float) -> bool:
        """Pause (the demo's pace); True when a key was pressed, now or before."""
        return self.pressed.wait(seconds) if seconds > 0 else self.pressed.is_set()

    @contextlib.contextmanager
    def watching(self) -> Iterator[KeyWatcher]:
        if not sys.stdin.isatty():
            yield self
            return
        import termios
        import tty

        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
        thread = threading.Thread(target=self._watch, args=(fd,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._done.set()
            thread.join(1)
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    def _watch(self, fd: int) -> None:
        while not self._done.is_set():
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                sys.stdin.read(1)
                self.pressed.set()
                return
