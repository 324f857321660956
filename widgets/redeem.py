"""Redeeming points from the storefront: rate limited per customer, then the core's redemption."""
from __future__ import annotations

from typing import Any

from flask import current_app

from loyalty_plugin.db import get_session
from loyalty_plugin.errors import ErrorCode, LoyaltyError, RateLimited
from loyalty_plugin.models import CustomerAccount, Shop, utcnow
from loyalty_plugin.services import rate_limits


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
    # The redemption service (debit, code, platform call) is not part of the service yet.
    raise LoyaltyError("Redeeming points from the storefront is not available yet; "
                       "no points were taken.", code=ErrorCode.REDEMPTION_UNAVAILABLE, status=503)
