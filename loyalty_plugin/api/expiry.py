"""The shop's points expiry policy, and when each customer's points expire."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint

from ..db import get_session
from ..schemas.expiry import CustomerExpirySchema, ExpiringPointsSchema, ExpiryPolicySchema
from ..services import expiry
from . import examples as ex
from .contract import documented
from .customers import customer_account
from .helpers import api_key, idempotent, json_body
from .shops import current_shop

bp = Blueprint("expiry", __name__)


@bp.get("/expiry")
@documented("The points expiry policy", response=ExpiryPolicySchema, example=ex.EXPIRY_POLICY)
def get_policy():
    return ExpiryPolicySchema().dump(current_shop(api_key().shop_id).settings)


@bp.patch("/expiry")
@documented("Change the points expiry policy", response=ExpiryPolicySchema, body=ExpiryPolicySchema,
            body_example={"expiry_policy": "inactivity", "expiry_days": 365}, example=ex.EXPIRY_POLICY)
def update_policy():
    key = api_key(write=True)
    body = json_body()
    changes = ExpiryPolicySchema().load(body)
    shop = current_shop(key.shop_id)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        settings = expiry.update_policy(get_session(), shop, policy=changes.get("expiry_policy"),
                                        days=changes.get("expiry_days"),
                                        warning_days=changes.get("expiry_warning_days"), now=now)
        return ExpiryPolicySchema().dump(settings), 200

    return idempotent(key.shop_id, "expiry.policy", body, write)


@bp.get("/customers/<external_id>/expiry")
@documented("When a customer's points expire", response=CustomerExpirySchema,
            example={"policy": ex.EXPIRY_POLICY, "schedule": [
                {"expires_at": "2027-11-20T10:00:00+00:00", "points": 1250, "pending": False}]})
def get_customer_expiry(external_id: str):
    key = api_key()
    shop = current_shop(key.shop_id)
    account = customer_account(key.shop_id, external_id)
    return {"policy": ExpiryPolicySchema().dump(shop.settings),
            "schedule": ExpiringPointsSchema(many=True).dump(expiry.expiry_schedule(get_session(), account))}
