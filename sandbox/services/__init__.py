"""Launchers for the embedded servers: one module per server, shared process handling."""
