"""Storefront widgets: the embeddable loader, the rewards panel and their JSON API.

Depends on the core (``loyalty_plugin``) only; the app factory mounts it.
"""

from flask import Flask


def register(app: Flask) -> None:
    """Mount the widget API, and the loader and panel files on the app."""
    from .api import bp as api_bp
    from .assets import bp as assets_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(assets_bp)
