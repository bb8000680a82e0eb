"""`sandbox demo`: a scripted, offline tour of the sandbox in one terminal, on its own
throw-away stack, optionally recorded as an asciinema v2 cast."""
