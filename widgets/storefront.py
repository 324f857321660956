"""A sample storefront page with the widget embedded, served from its own origin.

``loyalty demo`` and the browser tests serve it on a second local port, so the
widget runs cross-origin as it does on a real shop. The page signs the customer
id server-side, as a theme does, and sends a strict Content-Security-Policy:
the allowances the widget needs are exactly the ones README documents.
"""
from __future__ import annotations

from importlib import resources

from flask import Flask, Response, render_template, request

from .identity import customer_digest


def content_security_policy(api_origin: str) -> str:
    return "; ".join((
        "default-src 'none'",
        f"script-src {api_origin}",
        f"style-src 'self' {api_origin}",
        f"connect-src {api_origin}",
        "img-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def create_storefront(*, api_origin: str, shop_id: int, widget_secret: str, customer_id: str) -> Flask:
    """``/`` is signed in as ``customer_id``; ``?guest=1`` is a guest; ``?customer=ID`` another
    customer; ``?lang=fr`` sets the page language."""
    app = Flask(__name__, static_folder=None)

    @app.get("/")
    def page() -> Response:
        customer = None if request.args.get("guest") else request.args.get("customer", customer_id)
        html = render_template(
            "storefront.html", api_origin=api_origin, shop_id=shop_id, customer_id=customer,
            digest=customer_digest(customer, widget_secret) if customer else None,
            lang=request.args.get("lang", "en")[:16],
            products=[("Canvas tote", "25.00"), ("Merino scarf", "79.90"), ("Walnut desk lamp", "120.00")])
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = content_security_policy(api_origin)
        return response

    @app.get("/storefront.css")
    def stylesheet() -> Response:
        css = resources.files(__package__).joinpath("static", "storefront.css").read_bytes()
        return Response(css, mimetype="text/css")

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)

    return app
