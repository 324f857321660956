"""The default ceiling for bench/widgets.py: the widget endpoint with the summary taken out.

The service's own app (``create_app()``), served by the same gunicorn command
line, with the summary view replaced: the widget blueprint still reads the shop
and its widget settings, checks the Origin and adds the CORS headers; the view
verifies the customer's digest and answers a constant. What the service does
beyond that (the customer, tier, rewards, codes and activity, the JSON) is what
the ratio measures.

    gunicorn --pythonpath bench/widget_ceilings 'widget_ceiling_app:create()'

``create_reading()`` is the same with one step more: the view also reads the
customer's account row, in one prepared SELECT on the request's reader (as the
summary reads), and drops it. No summary that shows a customer their points can
do less; the ratio against it tells what the service spends beyond that one read.

    gunicorn --pythonpath bench/widget_ceilings 'widget_ceiling_app:create_reading()'
"""
from __future__ import annotations

from flask import Flask, g, jsonify, request
from sqlalchemy import bindparam, select

from loyalty_plugin.app import create_app
from loyalty_plugin.db import get_reader
from loyalty_plugin.errors import NotFound
from loyalty_plugin.models import CustomerAccount
from loyalty_plugin.services.driver_sql import DriverStatement
from widgets.identity import CUSTOMER_HEADER, DIGEST_HEADER, verified_customer

BODY = {"mode": "customer", "ceiling": True}
ACCOUNT = DriverStatement(select(CustomerAccount.id, CustomerAccount.available, CustomerAccount.pending,
                                 CustomerAccount.lifetime)
                          .where(CustomerAccount.shop_id == bindparam("shop_id"),
                                 CustomerAccount.platform_customer_id == bindparam("external_id")))


def _signed_in_customer() -> str | None:
    """The digest check the summary view makes first."""
    return verified_customer(request.headers.get(CUSTOMER_HEADER), request.headers.get(DIGEST_HEADER),
                             g.widget.shop.widget_secret)


def create() -> Flask:
    app = create_app()

    def summary():
        _signed_in_customer()
        return jsonify(BODY)

    app.view_functions["widget_api.summary"] = summary
    return app


def create_reading() -> Flask:
    app = create_app()

    def summary():
        customer_id = _signed_in_customer()
        if ACCOUNT.first(get_reader(), {"shop_id": g.widget.shop.id, "external_id": customer_id}) is None:
            raise NotFound("No such customer.")
        return jsonify(BODY)

    app.view_functions["widget_api.summary"] = summary
    return app
