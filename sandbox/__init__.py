"""A local cloud teaching sandbox: AWS emulator, PostgreSQL, Redis and a Flask app, offline."""

__version__ = "0.1.0"
