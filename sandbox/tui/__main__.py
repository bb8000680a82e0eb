"""`python -m sandbox.tui`: the TUI on this terminal (what `sandbox serve` runs per browser)."""

import sys

from sandbox.tui.run import run

note = run()
if sys.stdout.isatty():  # under textual-serve stdout is the browser's channel: no note there
    print(note)
