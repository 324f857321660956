"""Inbound platform adapters and the one pipeline they share.

Each adapter module verifies a platform's signature and parses its payloads into
the core's normalised events; ``pipeline`` runs every delivery the same way:
raw bytes, verify, dedupe, parse, apply, commit.
"""

from flask import Flask


def register(app: Flask) -> None:
    """Mount the webhook endpoints and their CLI commands on the app."""
    from .cli import webhooks_cli
    from .pipeline import bp, replay_reported
    from .reconcile_cli import reconcile_command
    from .reconcile_job import register_reconcile_job

    app.register_blueprint(bp)
    # The admin API replays stored deliveries through this, without importing this package.
    app.extensions["loyalty.replay_delivery"] = replay_reported
    register_reconcile_job(app)
    app.cli.add_command(webhooks_cli)
    app.cli.add_command(reconcile_command)
