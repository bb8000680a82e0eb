"""The Textual TUI: one screen per part of the sandbox, each action also a CLI command.

    app.py        the App: its modes, its bindings
    source.py     the seam: what the screens ask the core for (DataSource, RealSource)
    commands.py   every action: key, words, CLI equivalent (footer, help, palette)
    screens/      one screen per module (stack, serverless, data, metrics, labs, help, dialogs)
    widgets/      one widget per module
    sandbox.tcss  the stylesheet (theme variables only: readable on dark and light themes)

The core (sandbox.stack, sandbox.aws, sandbox.labs) never imports this package.
"""
