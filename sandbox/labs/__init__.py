"""The grading engine: lab model and loader, typed check kinds, runner, reports, progress.

No screen needed: the CLI and the TUI both call it.
"""
