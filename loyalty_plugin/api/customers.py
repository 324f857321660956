"""Customer balances, activity and manual adjustments."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, request

from ..db import get_session
from ..errors import ErrorCode, NotFound
from ..models import CustomerAccount
from ..schemas.customers import (AdjustmentResultSchema, AdjustmentSchema, CustomerQuerySchema,
                                 CustomerSchema, LedgerEntrySchema, PageQuerySchema)
from ..schemas.envelopes import page_of
from ..services.accounts import find_by_external_id
from ..services.adjustments import adjust_points
from ..services.queries import list_activity, search_customers
from . import examples as ex
from .contract import documented
from .helpers import api_key, idempotent, json_body

bp = Blueprint("customers", __name__)


def customer_account(shop_id: int, external_id: str) -> CustomerAccount:
    account = find_by_external_id(get_session(), shop_id, external_id[:64])
    if account is None:
        raise NotFound(f"No customer with id {external_id[:64]!r} in this shop.",
                       code=ErrorCode.CUSTOMER_NOT_FOUND)
    return account


@bp.get("/customers")
@documented("Customers newest first, or those matching q", response=page_of(CustomerSchema),
            query=CustomerQuerySchema, example={"items": [ex.CUSTOMER], "next_cursor": None})
def list_customers():
    key = api_key()
    query = CustomerQuerySchema().load(request.args)
    rows, next_cursor = search_customers(get_session(), shop_id=key.shop_id, **query)
    return {"items": CustomerSchema(many=True).dump(rows),
            "next_cursor": str(next_cursor) if next_cursor else None}


@bp.get("/customers/<external_id>")
@documented("A customer and their points", response=CustomerSchema, example=ex.CUSTOMER)
def get_customer(external_id: str):
    key = api_key()
    return CustomerSchema().dump(customer_account(key.shop_id, external_id))


@bp.get("/customers/<external_id>/activity")
@documented("A customer's ledger entries, newest first", response=page_of(LedgerEntrySchema),
            query=PageQuerySchema, example={"items": [ex.LEDGER_ENTRY], "next_cursor": "9182"})
def get_activity(external_id: str):
    key = api_key()
    page = PageQuerySchema().load(request.args)
    account = customer_account(key.shop_id, external_id)
    entries, next_cursor = list_activity(get_session(), shop_id=key.shop_id, account_id=account.id,
                                         limit=page["limit"], cursor=page["cursor"])
    return {"items": LedgerEntrySchema(many=True).dump(entries),
            "next_cursor": str(next_cursor) if next_cursor else None}


@bp.post("/customers/<external_id>/adjustments")
@documented("Add or take away points by hand, with a reason", status=201,
            response=AdjustmentResultSchema, body=AdjustmentSchema,
            body_example={"points": -200, "reason": "Goodwill for a late parcel"},
            example={"entry": ex.LEDGER_ENTRY, "customer": ex.CUSTOMER}, errors=(422,))
def create_adjustment(external_id: str):
    key = api_key(write=True)
    data = AdjustmentSchema().load(json_body())
    account = customer_account(key.shop_id, external_id)

    def adjust(reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        entry = adjust_points(get_session(), account, points=data["points"], reason=data["reason"],
                              now=now, reference=reference, actor=f"API key {key.name}")
        return {"entry": LedgerEntrySchema().dump(entry), "customer": CustomerSchema().dump(account)}, 201

    return idempotent(key.shop_id, "adjustment", {"customer": external_id, **data}, adjust)
