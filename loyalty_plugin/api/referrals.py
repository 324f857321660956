"""Referral codes, recording referrals, the shop's view of them, and voiding."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, request

from ..db import get_session
from ..errors import ErrorCode, NotFound, error_body
from ..events import PostalAddress
from ..models import Referral, ReferralStatus
from ..schemas.envelopes import page_of
from ..schemas.referrals import (ReferralCodeSchema, ReferralInputSchema, ReferralProgramSchema,
                                 ReferralQuerySchema, ReferralSchema, VoidInputSchema)
from ..services import referral_codes, referral_progress, referrals
from ..services.queries import list_referrals
from . import examples as ex
from .contract import documented
from .customers import customer_account
from .helpers import api_key, idempotent, json_body
from .shops import current_shop

bp = Blueprint("referrals", __name__)

REFUSALS = {
    "self_referral": "The friend is the referrer: same customer, mailbox or address.",
    "friend_not_new": "The friend has already bought or earned points in this shop.",
    "referral_limit_reached": "The referrer has reached the shop's limit of referrals for now.",
}


@bp.get("/customers/<external_id>/referral")
@documented("A customer's referral code and link, made on first use", response=ReferralCodeSchema,
            example={"code": "BOB-7K2Q", "link": "https://shop.example/?ref=BOB-7K2Q"})
def get_referral_code(external_id: str):
    key = api_key()
    shop = current_shop(key.shop_id)
    code = referral_codes.referral_code_for(get_session(), customer_account(key.shop_id, external_id))
    get_session().commit()  # the code is given on first use
    return ReferralCodeSchema().dump({"code": code, "link": referral_codes.referral_link(shop, code)})


@bp.post("/referrals")
@documented("Record a referred friend", status=201, also=(200,), response=ReferralSchema,
            description="201 for a new referral, 200 for the same friend again; 422 when refused.",
            body=ReferralInputSchema, errors=(409, 422), example=ex.REFERRAL,
            body_example={"referral_code": "BOB-7K2Q", "friend": {"email": "alice@example.com"}})
def record_referral():
    key = api_key(write=True)
    body = json_body()
    data = ReferralInputSchema().load(body)
    shop = current_shop(key.shop_id)
    friend = data["friend"]
    address = PostalAddress(**friend["address"]) if friend["address"] else None

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        recorded = referrals.record_referral(
            get_session(), shop, code=data["referral_code"], now=now,
            friend=referrals.Friend(email=friend["email"], external_id=friend["external_id"],
                                    address=address))
        referral = recorded.referral
        if referral.status is ReferralStatus.REJECTED:
            # Kept as a rejected referral for the shop to see; the caller is told why.
            reason = referral.reason.value
            return error_body(reason, REFUSALS[reason], {"referral_id": referral.id}), 422
        return ReferralSchema().dump(referral), 201 if recorded.created else 200

    return idempotent(key.shop_id, "referral.record", body, write)


@bp.get("/referrals")
@documented("The shop's referrals, newest first", response=page_of(ReferralSchema),
            query=ReferralQuerySchema, example={"items": [ex.REFERRAL], "next_cursor": None})
def get_referrals():
    key = api_key()
    query = ReferralQuerySchema().load(request.args)
    rows, next_cursor = list_referrals(get_session(), shop_id=key.shop_id, status=query["status"],
                                       limit=query["limit"], cursor=query["cursor"])
    return {"items": ReferralSchema(many=True).dump(rows),
            "next_cursor": str(next_cursor) if next_cursor else None}


@bp.get("/referrals/<int(max=9223372036854775807):referral_id>")
@documented("One referral", response=ReferralSchema, example=ex.REFERRAL)
def get_referral(referral_id: int):
    key = api_key()
    referral = get_session().get(Referral, referral_id)
    if referral is None or referral.shop_id != key.shop_id:
        raise NotFound(f"No referral with id {referral_id} in this shop.", code=ErrorCode.REFERRAL_NOT_FOUND)
    return ReferralSchema().dump(referral)


@bp.post("/referrals/<int(max=9223372036854775807):referral_id>/void")
@documented("Void a referral, taking back its reward if given", response=ReferralSchema,
            body=VoidInputSchema, body_required=False, body_example={"reason": "Same household"},
            errors=(409,), example={**ex.REFERRAL, "status": "voided"})
def void_referral(referral_id: int):
    key = api_key(write=True)
    body = json_body() if request.get_data(cache=True) else {}
    data = VoidInputSchema().load(body)
    shop = current_shop(key.shop_id)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        referral = referral_progress.void_referral(get_session(), shop, referral_id,
                                                   note=data["reason"], now=now)
        return ReferralSchema().dump(referral), 200

    return idempotent(key.shop_id, "referral.void", {"referral": referral_id, **body}, write)


@bp.get("/referrals/settings")
@documented("The referral program", response=ReferralProgramSchema, example=ex.REFERRAL_PROGRAM)
def get_settings():
    return ReferralProgramSchema().dump(current_shop(api_key().shop_id).settings)


@bp.patch("/referrals/settings")
@documented("Change the referral program", response=ReferralProgramSchema,
            body=ReferralProgramSchema, body_example={"referral_points": 750},
            example=ex.REFERRAL_PROGRAM)
def update_settings():
    key = api_key(write=True)
    body = json_body()
    changes = ReferralProgramSchema().load(body)
    shop = current_shop(key.shop_id)

    def write(_reference: str | None, _now: dt.datetime) -> tuple[dict, int]:
        return ReferralProgramSchema().dump(referrals.update_program(get_session(), shop, changes)), 200

    return idempotent(key.shop_id, "referral.settings", body, write)
