"""The gunicorn settings the service runs under.

``loyalty serve`` applies them, and a gunicorn started by hand takes the same ones::

    gunicorn -c python:loyalty_plugin.gunicorn_conf 'loyalty_plugin.app:create_app()'

Only names gunicorn knows as settings belong here: it reads every one it finds.
"""
from __future__ import annotations

import gc

accesslog = "-"
timeout = 30
graceful_timeout = 20
# No control socket: its default path is shared, so a second service on the machine would
# take over the first one's.
control_socket_disable = True


def post_worker_init(_worker) -> None:
    """Leave what the app built at start-up out of every later garbage collection.

    A worker holds about 145,000 objects once the app is loaded: the functions and
    classes of every module it imported, the models' mappings, the schemas. Each full
    collection walked all of them, about 75 ms on a 2-core machine during which the
    worker answered nothing; with them frozen, a full collection takes 2-3 ms. Objects
    made while serving are collected as before.
    """
    gc.collect()
    gc.freeze()
