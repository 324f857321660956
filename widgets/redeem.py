"""Redeeming points from the storefront: rate limited per customer, then the core's redemption.

The steps are the admin API's (``loyalty_plugin/api/redemptions.py``), through the
same services: reserve (checks, debit, pending code) and commit, then create the
code on the platform with no transaction open, record the outcome and commit.
Only the answer is shaped for the panel.
"""
from __future__ import annotations

from typing import Any

from flask import current_app

from loyalty_plugin.api.redeem_flow import redeem
from loyalty_plugin.db import get_session
from loyalty_plugin.errors import RateLimited, error_body
from loyalty_plugin.models import CodeStatus, CustomerAccount, Reward, RewardCode, Shop, utcnow
from loyalty_plugin.services import issuing, rate_limits
from loyalty_plugin.services.storefront import CodeView

from .schemas import CodeSchema, CustomerSchema

_CODE = CodeSchema()
_CUSTOMER = CustomerSchema()


def check_rate(shop: Shop, account: CustomerAccount) -> None:
    """Count this attempt in its own transaction, so failed attempts count too."""
    session = get_session()
    decision = rate_limits.hit(session, shop_id=shop.id, subject=f"widget-redeem:{account.id}",
                               limit=current_app.config["LOYALTY_WIDGET_REDEEM_LIMIT"],
                               window_seconds=current_app.config["LOYALTY_WIDGET_REDEEM_WINDOW"],
                               now=utcnow())
    session.commit()
    if not decision.allowed:
        raise RateLimited("Too many redemption attempts; try again shortly.",
                          retry_after=decision.retry_after)


def redeem_for_customer(shop: Shop, account: CustomerAccount, data: dict[str, Any]) -> tuple[dict, int]:
    check_rate(shop, account)
    return redeem(shop, account, data, lambda code, owner: _answer(get_session(), code, owner))


def _answer(session, code: RewardCode, account: CustomerAccount) -> tuple[dict, int]:
    balance = _CUSTOMER.dump(account)
    if code.status is CodeStatus.FAILED:
        error = issuing.failure_of(code)
        # The code string stays out: it never reached the platform, so no one can use it.
        return error_body(error.code, f"The discount code could not be created. The "
                          f"{code.points_spent} points were returned.",
                          {"points_returned": code.points_spent, "customer": balance}), error.status
    reward = session.get(Reward, code.reward_id)
    view = CodeView(code=code.code, reward_name=reward.name if reward else "", status=code.status,
                    kind=code.kind, value=code.value, min_order_subtotal=code.min_order_subtotal,
                    points_spent=code.points_spent, expires_at=code.expires_at)
    return {"code": _CODE.dump(view), "customer": balance}, 201
