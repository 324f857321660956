"""Outbound webhook endpoints (add, change, rotate the secret, delete) and the deliveries
made to them, dead letters first, with a replay button.

A signing secret is rendered into the answer that made it and kept nowhere else. The
new-endpoint form carries a one-time token, so sending it twice adds one endpoint.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for

from ..db import get_session
from ..errors import LoyaltyError
from ..models import EventType, OutboundStatus, WebhookEndpoint, utcnow
from ..schemas.webhooks import DeliveryQuerySchema, EndpointInputSchema
from ..services import idempotency
from ..services import webhook_endpoints as endpoints
from .customers import query_args
from .form_tokens import INCOMPLETE, claim_form, is_form_token, new_form_token
from .forms import Form, apply_change, form_values, load, record_refusal, typed
from .guard import current_shop
from .pages import page

bp = Blueprint("webhook_endpoints", __name__, url_prefix="/webhooks")

FIELDS = ("url", "description", "active")
EVENT_TYPES = [event.value for event in EventType]
PAGE_SIZE = 50


def settings() -> endpoints.EndpointSettings:
    return endpoints.EndpointSettings(allow_loopback=current_app.config["LOYALTY_WEBHOOK_ALLOW_LOOPBACK"])


def new_endpoint_form() -> Form:
    return Form(values={"url": "", "description": "", "active": "on", "event_types": []})


def endpoint_values(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"url": endpoint.url, "description": endpoint.description or "",
            "active": "on" if endpoint.active else "", "event_types": list(endpoint.event_types)}


def endpoint_form() -> Form:
    form = Form(values=form_values(request.form, FIELDS))
    form.values["event_types"] = [value[:100] for value in request.form.getlist("event_types")[:50]]
    return form


def endpoint_data(form: Form) -> dict[str, Any] | None:
    data = typed({k: form.values[k] for k in FIELDS}, bools=("active",), nullable=("description",),
                 errors=form)
    data["event_types"] = form.values["event_types"]
    loaded = load(EndpointInputSchema(), data, form)
    return loaded if form.ok else None


def render_index(form: Form, status: int = 200, *, secret_for: WebhookEndpoint | None = None,
                 secret: str | None = None):
    shop_id = current_shop().id
    form.values.setdefault("form_token", new_form_token())
    query = DeliveryQuerySchema().load({"limit": PAGE_SIZE, "status": OutboundStatus.DEAD.value,
                                        **query_args()})
    deliveries, next_cursor = endpoints.list_deliveries(get_session(), shop_id, **query)
    return page("webhooks.html", status, endpoints=endpoints.list_endpoints(get_session(), shop_id),
                form=form, event_types=EVENT_TYPES, deliveries=deliveries, next_cursor=next_cursor,
                statuses=[s.value for s in OutboundStatus],
                selected=query["status"].value if query["status"] else "",
                channel=query["channel"].value if query["channel"] else "",
                secret_for=secret_for, secret=secret)


@bp.get("")
def index():
    return render_index(new_endpoint_form())


@bp.post("")
def create():
    form = endpoint_form()
    form.values["form_token"] = str(request.form.get("form_token", "")).strip()
    if not is_form_token(form.values["form_token"]):
        form.values["form_token"] = new_form_token()
        form.message = INCOMPLETE
        return render_index(form, 400)
    data = endpoint_data(form)
    if data is not None:
        session, shop_id, now = get_session(), current_shop().id, utcnow()
        try:
            record, stored = claim_form(session, shop_id, "webhook_endpoint",
                                        form.values["form_token"], now)
            if stored is not None:
                session.commit()
                return already_created(stored)
            endpoint, secret = endpoints.create_endpoint(session, shop_id, data, now, settings())
        except LoyaltyError as exc:
            session.rollback()  # the token too: the form may be sent again once corrected
            record_refusal(exc, form)
        else:
            idempotency.store(record, 201, {"id": endpoint.id, "url": endpoint.url})
            session.commit()
            return render_index(new_endpoint_form(), 201, secret_for=endpoint, secret=secret)
    return render_index(form, 422)


def already_created(stored: idempotency.StoredResponse):
    """The answer to a second submit of one form: the endpoint exists, its secret is gone."""
    return page("already_created.html", what="webhook endpoint", name=stored.body["url"],
                secret_name="signing secret", back=url_for(".index"), back_label="webhooks")


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
def edit(endpoint_id: int):
    shop_id = current_shop().id
    endpoint = endpoints.get_endpoint(get_session(), shop_id, endpoint_id)
    if request.method == "GET":
        return page("webhook_endpoint.html", endpoint=endpoint, event_types=EVENT_TYPES,
                    form=Form(values=endpoint_values(endpoint)))
    form = endpoint_form()
    data = endpoint_data(form)
    if data is not None:
        apply_change(form, lambda: endpoints.update_endpoint(get_session(), shop_id, endpoint_id, data, utcnow(),
                                                             settings()))
        if form.ok:
            flash(f"Webhook endpoint {data['url']} saved.")
            return redirect(url_for(".index"), 303)
    endpoint = endpoints.get_endpoint(get_session(), shop_id, endpoint_id)
    return page("webhook_endpoint.html", 422, endpoint=endpoint, event_types=EVENT_TYPES, form=form)


@bp.post("/<int:endpoint_id>/rotate")
def rotate(endpoint_id: int):
    endpoint, secret = endpoints.update_endpoint(get_session(), current_shop().id, endpoint_id,
                                                 {"rotate_secret": True}, utcnow(), settings())
    get_session().commit()
    return render_index(new_endpoint_form(), secret_for=endpoint, secret=secret)


@bp.post("/<int:endpoint_id>/delete")
def delete(endpoint_id: int):
    endpoint = endpoints.get_endpoint(get_session(), current_shop().id, endpoint_id)
    url = endpoint.url
    endpoints.delete_endpoint(get_session(), current_shop().id, endpoint_id)
    get_session().commit()
    flash(f"Webhook endpoint {url} deleted, with its deliveries.")
    return redirect(url_for(".index"), 303)


@bp.post("/deliveries/<int:delivery_id>/replay")
def replay(delivery_id: int):
    try:
        delivery = endpoints.replay_delivery(get_session(), current_shop().id, delivery_id, utcnow())
    except LoyaltyError as exc:
        if exc.status == 404:
            raise
        get_session().rollback()
        flash(exc.message, "error")
    else:
        get_session().commit()
        flash(f"Delivery {delivery.id} queued again; it is sent with the next run of the jobs.")
    return redirect(url_for(".index", status=request.form.get("status") or None), 303)
