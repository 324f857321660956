"""Gunicorn, started from the ``loyalty serve`` command."""
from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from .app import create_app

        return create_app()


def run_server(*, bind: str, workers: int) -> None:
    # No control socket: its default path is shared, so a second service on the
    # machine would take over the first one's.
    _Server({"bind": bind, "workers": workers, "accesslog": "-", "timeout": 30,
             "graceful_timeout": 20, "control_socket_disable": True}).run()
