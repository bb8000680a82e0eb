"""`sandbox serve`: the TUI in a browser through textual-serve, with a page that needs
nothing from outside this machine, and a token whenever it listens beyond 127.0.0.1."""
