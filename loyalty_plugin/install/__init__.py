"""Installing and connecting shops: the Shopify public app's OAuth install (browser pages)."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from .views import bp

    app.register_blueprint(bp)
