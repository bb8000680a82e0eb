"""gunicorn settings for the users API."""

import os

bind = os.environ.get("BIND", "127.0.0.1:8080")
workers = 2
threads = 4
worker_class = "gthread"
graceful_timeout = 0  # restart fast: do not wait for slow requests
control_socket_disable = True
