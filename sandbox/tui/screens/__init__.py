"""The TUI's screens, one per module: five modes, the help screen and the modal dialogs."""
