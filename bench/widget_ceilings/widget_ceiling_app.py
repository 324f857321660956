"""The default ceiling for bench/widgets.py: the widget endpoint with the summary taken out.

The service's own app (``create_app()``), served by the same gunicorn command
line, with the summary view replaced: the widget blueprint still reads the shop
and its widget settings, checks the Origin and adds the CORS headers; the view
verifies the customer's digest and answers a constant. What the service does
beyond that (the customer, tier, rewards, codes and activity, the JSON) is what
the ratio measures.

    gunicorn --pythonpath bench/widget_ceilings 'widget_ceiling_app:create()'
"""
from __future__ import annotations

from flask import Flask, g, jsonify, request

from loyalty_plugin.app import create_app
from widgets.identity import CUSTOMER_HEADER, DIGEST_HEADER, verified_customer

BODY = {"mode": "customer", "ceiling": True}


def create() -> Flask:
    app = create_app()

    def summary():
        verified_customer(request.headers.get(CUSTOMER_HEADER), request.headers.get(DIGEST_HEADER),
                          g.widget.shop.widget_secret)
        return jsonify(BODY)

    app.view_functions["widget_api.summary"] = summary
    return app
