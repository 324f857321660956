"""Discount codes by their string: the native storefront checks, and cancelling."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, request

from ..db import get_session
from ..models import utcnow
from ..schemas.customers import CustomerSchema
from ..schemas.envelopes import page_of
from ..schemas.rewards import (CodeQuerySchema, CodeUseSchema, CodeValidateSchema, CodeValidationSchema,
                               NativeDiscountSchema, RedemptionResultSchema, RewardCodeSchema,
                               UsedCodeSchema)
from ..services import codes, native_codes
from ..services.accounts import find_by_external_id
from ..services.shops import get_shop
from . import cancel_flow
from . import examples as ex
from .contract import documented
from .helpers import api_key, idempotent, json_body

bp = Blueprint("codes", __name__)


@bp.get("/codes")
@documented("The shop's discount codes newest first, by status, origin, reward or customer",
            response=page_of(RewardCodeSchema), query=CodeQuerySchema,
            example={"items": [ex.REWARD_CODE], "next_cursor": None})
def list_shop_codes():
    key = api_key()
    query = CodeQuerySchema().load(request.args)
    session = get_session()
    customer = query.pop("customer_id")
    account_id = None
    if customer is not None:
        account = find_by_external_id(session, key.shop_id, customer)
        if account is None:  # an unknown customer has no codes
            return {"items": [], "next_cursor": None}
        account_id = account.id
    rows, next_cursor = codes.list_codes(session, shop_id=key.shop_id, account_id=account_id, **query)
    return {"items": RewardCodeSchema(many=True).dump(rows),
            "next_cursor": str(next_cursor) if next_cursor else None}


@bp.post("/codes/validate")
@documented("Check a native code before an order uses it", response=CodeValidationSchema,
            body=CodeValidateSchema, body_example={"code": "SHOP-7KQ2M9XH", "subtotal": "42.00"},
            example={"valid": True, "reason": None, "discount": ex.NATIVE_DISCOUNT})
def validate_code():
    key = api_key()
    data = CodeValidateSchema().load(json_body())
    result = native_codes.validate_code(get_session(), key.shop_id, data["code"],
                                        subtotal=data["subtotal"], customer=data["customer_id"],
                                        now=utcnow())
    return {"valid": result.valid, "reason": result.problem.value if result.problem else None,
            "discount": NativeDiscountSchema().dump(result.code) if result.code else None}


@bp.post("/codes/<code>/use")
@documented("Use a native code on an order, once", response=UsedCodeSchema, body=CodeUseSchema,
            body_example={"order_id": "1001", "subtotal": "42.00"}, errors=(409,),
            example={"code": {**ex.REWARD_CODE, "status": "used", "used_at": ex.WHEN,
                              "used_order_id": "1001", "order_revenue": "42.00"}})
def use_code(code: str):
    key = api_key(write=True)
    data = CodeUseSchema().load(json_body())

    def use(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        used = native_codes.use_code(get_session(), key.shop_id, code, order_id=data["order_id"],
                                     subtotal=data["subtotal"], customer=data["customer_id"], now=now)
        return {"code": RewardCodeSchema().dump(used)}, 200

    return idempotent(key.shop_id, "code-use", {"code": code, **data}, use)


@bp.post("/codes/<code>/cancel")
@documented("Cancel an unused code: revoked on the platform, the points returned",
            response=RedemptionResultSchema, errors=(409, 502, 503),
            example={"code": {**ex.REWARD_CODE, "status": "cancelled", "cancelled_at": ex.WHEN},
                     "customer": ex.CUSTOMER})
def cancel_code(code: str):
    key = api_key(write=True)
    shop = get_shop(get_session(), key.shop_id)
    assert shop is not None  # the API key belongs to it

    def cancel(_reference: str | None, _now: dt.datetime) -> tuple[dict, int]:
        target, account = cancel_flow.cancel(shop, code)
        return {"code": RewardCodeSchema().dump(target), "customer": CustomerSchema().dump(account)}, 200

    return idempotent(key.shop_id, "code-cancel", {"code": code}, cancel)
