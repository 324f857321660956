"""Storefront widgets: the embeddable loader, the rewards panel and their JSON API.

Depends on the core (``loyalty_plugin``) only; the app factory mounts it.
"""

from flask import Flask


def register(app: Flask) -> None:
    """Mount the widget API, the loader and panel files, and the demo command on the app."""
    from .api import bp as api_bp
    from .assets import bp as assets_bp
    from .demo_cli import demo_cli

    app.register_blueprint(api_bp)
    app.register_blueprint(assets_bp)
    app.cli.add_command(demo_cli)
