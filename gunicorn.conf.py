"""gunicorn settings for cccd-edge, taken from the service configuration.

``cccd-edge serve`` runs ``gunicorn -c gunicorn.conf.py 'edge.app:create_app()'``.
One worker by default: verification sessions, the reader's owner thread and
the kiosk token live in that process's memory (results are never written
anywhere), so a second worker would not see them; the configuration refuses
``workers > 1`` unless ``reader = "none"`` (verify-only: the stateless
``/v1/documents/verify`` then scales with ``workers``). Threads serve
concurrent requests; at most ``threads - 2`` of them may sit in SSE streams
or long polls.
"""

from edge.config import load_config

_config = load_config()  # CCCD_EDGE_CONFIG + environment, exactly as the app will see them

wsgi_app = "edge.app:create_app()"
bind = [_config.listen]
workers = _config.workers
threads = _config.threads
worker_class = "gthread"
# Long polls (<= 30 s) and SSE streams (bounded by card + face timeouts) must outlive the worker
# timeout.
timeout = int(_config.card_timeout + _config.face_timeout + 90)
graceful_timeout = 10
keepalive = 5
# Request lines carry only ids, never personal data, but the app writes its own JSON-lines log:
# gunicorn's access log stays off so there is a single, reviewed log format.
accesslog = None
errorlog = "-"
loglevel = "warning"
limit_request_line = 4094
limit_request_fields = 50
proc_name = "cccd-edge"


def when_ready(server) -> None:
    """Called once the listening sockets are bound: only now is the URL true."""
    from edge.commands.serve import banner

    print(banner(_config), flush=True)
