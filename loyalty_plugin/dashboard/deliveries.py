"""The webhook inbox: deliveries by status, and replaying one."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, url_for

from ..db import get_session
from ..models import DeliveryStatus
from ..schemas.deliveries import InboundDeliveryQuerySchema
from ..services.deliveries import get_delivery
from ..services.queries import list_deliveries
from .customers import query_args
from .guard import current_shop
from .pages import page

bp = Blueprint("deliveries", __name__)

PAGE_SIZE = 50


@bp.get("/deliveries")
def index():
    query = InboundDeliveryQuerySchema().load({"limit": PAGE_SIZE, **query_args()})
    rows, next_cursor = list_deliveries(get_session(), shop_id=current_shop().id, **query)
    return page("deliveries.html", deliveries=rows, next_cursor=next_cursor,
                selected=query["status"].value if query["status"] else "",
                statuses=[s.value for s in DeliveryStatus])


@bp.post("/deliveries/<int:row_id>/replay")
def replay(row_id: int):
    session = get_session()
    delivery = get_delivery(session, current_shop().id, row_id, lock=True)
    result = current_app.extensions["loyalty.replay_delivery"](session, delivery)
    session.commit()
    flash(f"Delivery {delivery.delivery_id} replayed: {result['status']}"
          + (f" ({result['note']})" if result.get("note") else "") + ".")
    return redirect(url_for(".index", status=request.form.get("status") or None), 303)
