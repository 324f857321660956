"""Redeeming points for a discount code, and a customer's codes."""
from __future__ import annotations

from flask import Blueprint, request

from ..db import get_session
from ..errors import error_body
from ..models import CodeStatus, CustomerAccount, RewardCode
from ..schemas.customers import CustomerSchema, PageQuerySchema
from ..schemas.envelopes import page_of
from ..schemas.rewards import RedemptionResultSchema, RedemptionSchema, RewardCodeSchema
from ..services import codes, issuing, rewards
from ..services.shops import get_shop
from . import examples as ex
from .contract import documented
from .customers import customer_account
from .helpers import api_key, json_body
from .redeem_flow import redeem

bp = Blueprint("redemptions", __name__)


@bp.post("/customers/<external_id>/redemptions")
@documented("Redeem points for a discount code", status=201, response=RedemptionResultSchema,
            body=RedemptionSchema, body_example={"reward_id": 3},
            description=("The points are taken and the code recorded first, then the platform creates "
                         "the code. If it refuses (502) or does not answer (503), the points are "
                         "returned and the error says so."),
            errors=(409, 502, 503), example={"code": ex.REWARD_CODE, "customer": ex.CUSTOMER})
def create_redemption(external_id: str):
    key = api_key(write=True)
    data = RedemptionSchema().load(json_body())
    session = get_session()
    account = customer_account(key.shop_id, external_id)
    shop = get_shop(session, key.shop_id)
    assert shop is not None  # the API key belongs to it
    rewards.get_reward(session, shop.id, data["reward_id"])  # an unknown reward is a 404 first
    return redeem(shop, account, data, _answer)


def _answer(code: RewardCode, account: CustomerAccount) -> tuple[dict, int]:
    if code.status is CodeStatus.FAILED:
        error = issuing.failure_of(code)
        # The code string is left out: it never reached the customer, so no one can use it.
        message = (f"The discount code could not be created: {error.message} "
                   f"The {code.points_spent} points were returned to the customer.")
        return error_body(error.code, message, {"reward_id": code.reward_id,
                                                "points_returned": code.points_spent,
                                                "customer": CustomerSchema().dump(account)}), error.status
    return {"code": RewardCodeSchema().dump(code), "customer": CustomerSchema().dump(account)}, 201


@bp.get("/customers/<external_id>/rewards")
@documented("A customer's discount codes, newest first", response=page_of(RewardCodeSchema),
            query=PageQuerySchema, example={"items": [ex.REWARD_CODE], "next_cursor": None})
def list_customer_codes(external_id: str):
    key = api_key()
    page = PageQuerySchema().load(request.args)
    account = customer_account(key.shop_id, external_id)
    items, next_cursor = codes.list_codes(get_session(), shop_id=key.shop_id, account_id=account.id,
                                          limit=page["limit"], cursor=page["cursor"])
    return {"items": RewardCodeSchema(many=True).dump(items),
            "next_cursor": str(next_cursor) if next_cursor else None}
