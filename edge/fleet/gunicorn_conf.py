"""gunicorn settings for ``cccd-edge fleet serve`` (its own: not the kiosk's gunicorn.conf.py).

The command line sets bind, workers and threads; this file only says when the socket is bound.
"""

from __future__ import annotations

from typing import Any

worker_class = "gthread"
timeout = 60
graceful_timeout = 10


def when_ready(server: Any) -> None:
    for address in server.LISTENERS:
        print(f"cccd-edge fleet: ready on {address}", flush=True)
