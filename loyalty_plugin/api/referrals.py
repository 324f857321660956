"""Referral codes, recording referrals, the shop's view of them, and voiding."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, request

from ..db import get_session
from ..errors import ErrorCode, NotFound, error_body
from ..events import PostalAddress
from ..models import CustomerAccount, Referral, ReferralStatus, RewardCode, Shop, utcnow
from ..providers.discounts import discount_provider, revoke_code
from ..schemas.envelopes import page_of
from ..schemas.referrals import (ReferralCodeSchema, ReferralInputSchema, ReferralProgramSchema,
                                 ReferralQuerySchema, ReferralSchema, VoidInputSchema)
from ..services import codes, issuing, referral_codes, referral_progress, referral_rewards, referrals
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
            description="201 for a new referral, 200 for the same friend again; 422 when refused. "
                        "When the program has a welcome reward, the friend's code is created and "
                        "shown as welcome_code.",
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
        session = get_session()
        recorded = referrals.record_referral(
            session, shop, code=data["referral_code"], now=now,
            friend=referrals.Friend(email=friend["email"], external_id=friend["external_id"],
                                    address=address))
        referral = recorded.referral
        if referral.status is ReferralStatus.REJECTED:
            # Kept as a rejected referral for the shop to see; the caller is told why.
            reason = referral.reason.value
            return error_body(reason, REFUSALS[reason], {"referral_id": referral.id}), 422
        if recorded.created and referral.welcome_code is not None:
            session.commit()  # the referral and its code are kept before the platform hears of it
            issuing.issue_through(session, shop, referral.welcome_code, discount_provider,
                                  float(current_app.config["LOYALTY_PROVIDER_TIMEOUT"]))
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
            description="Points given to the referrer are taken back; its codes not used yet (the "
                        "friend's welcome code, the referrer's code) are revoked on the platform and "
                        "cancelled. A used code stays used.",
            body=VoidInputSchema, body_required=False, body_example={"reason": "Same household"},
            errors=(409, 502, 503), example={**ex.REFERRAL, "status": "voided"})
def void_referral(referral_id: int):
    key = api_key(write=True)
    body = json_body() if request.get_data(cache=True) else {}
    data = VoidInputSchema().load(body)
    shop = current_shop(key.shop_id)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        session = get_session()
        referral = referral_progress.voidable_referral(session, shop, referral_id)
        unused = referral_rewards.unused_codes(session, referral)
        if unused:
            _revoke(session, shop, unused)
        referral = referral_progress.void_referral(session, shop, referral_id, note=data["reason"],
                                                   now=utcnow() if unused else now)
        return ReferralSchema().dump(referral), 200

    return idempotent(key.shop_id, "referral.void", {"referral": referral_id, **body}, write)


def _revoke(session, shop: Shop, unused: list[RewardCode]) -> None:
    """Take the codes off the platform before they are cancelled here; a failure (502/503)
    changes nothing and the void can be retried."""
    provider = discount_provider(shop)
    timeout = float(current_app.config["LOYALTY_PROVIDER_TIMEOUT"])
    specs = []
    for code in unused:
        account = session.get(CustomerAccount, code.account_id)
        assert account is not None
        specs.append((code.platform_ref, codes.discount_spec(shop, account, code)))
    session.commit()  # nothing held while the platform is called
    for reference, spec in specs:
        revoke_code(provider, reference, spec, timeout)


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
