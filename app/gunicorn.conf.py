"""gunicorn settings for the app: gthread workers, graceful drain, multiprocess metrics.

Everything comes from the environment: BIND (default 127.0.0.1:$PORT), WEB_CONCURRENCY,
THREADS, GRACEFUL_TIMEOUT, PROMETHEUS_MULTIPROC_DIR.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

# Multiprocess metrics need a directory shared by all workers, emptied at every start. It must
# be set before `app` is imported: prometheus_client reads it when the metrics are created.
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / f"app-metrics-{os.getpid()}")
)

from app.logs import GUNICORN_LOGCONFIG

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8080')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("THREADS", "4"))
worker_class = "gthread"
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "30"))
timeout = 30
keepalive = 5
accesslog = None  # the app logs one JSON line per request itself
logconfig_dict = GUNICORN_LOGCONFIG
proc_name = "cloud-native-app"
# gunicorn 27's control socket lives in $HOME/.gunicorn by default, shared by every instance
# on the machine (each start deletes the others'); nothing here uses it.
control_socket_disable = True
STARTUP_WAIT = float(os.environ.get("DATABASE_STARTUP_TIMEOUT", "30"))


def on_starting(server):  # type: ignore[no-untyped-def]
    """Before any worker starts: validate configuration, wait for the database and migrate it
    once, and reset the metrics directory. A problem here is one clear line, not a traceback
    per worker."""
    from app.config import AppConfig, ConfigError
    from app.db import DatabaseUnavailable, migrate_when_available

    try:
        config = AppConfig.from_env()
        migrate_when_available(config.database_url, config.database_pool_size, STARTUP_WAIT)
    except (ConfigError, DatabaseUnavailable) as err:
        server.log.error(str(err))
        sys.exit(2)
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    from app import lifecycle

    lifecycle.chain_shutdown_signals(worker.wsgi)


def worker_exit(server, worker):  # type: ignore[no-untyped-def]
    from app import lifecycle

    if getattr(worker, "wsgi", None) is not None:
        lifecycle.close_resources(worker.wsgi)


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):  # type: ignore[no-untyped-def]
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
