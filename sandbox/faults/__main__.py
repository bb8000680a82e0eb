"""`python -m sandbox.faults --port N [--state FILE]`: see sandbox.faults.server."""

from sandbox.faults.server import main

raise SystemExit(main())
