"""The two transactions of a redemption, for every entry point that redeems.

First the points are taken and the code recorded, and that commits; only then is
the platform asked for the code, outside any transaction's locks, and the outcome
is recorded and committed with the answer stored for the Idempotency-Key.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app

from ..db import get_session
from ..models import CustomerAccount, RewardCode, Shop, utcnow
from ..providers.discounts import discount_provider
from ..services import idempotency, issuing, redemptions
from .helpers import idempotency_key

Answer = Callable[[RewardCode, CustomerAccount], tuple[dict, int]]


def redeem(shop: Shop, account: CustomerAccount, data: dict[str, Any], answer: Answer) -> tuple[dict, int]:
    session = get_session()
    provider = discount_provider(shop)
    timeout = float(current_app.config["LOYALTY_PROVIDER_TIMEOUT"])
    step = redemptions.reserve(session, shop, account, reward_id=data["reward_id"],
                               points=data["points"], idempotency_key=idempotency_key(),
                               provider=provider.name, now=utcnow(),
                               lease=issuing.code_lease(timeout))
    session.commit()  # the points are taken and the code recorded before the platform hears of it
    if isinstance(step, idempotency.StoredResponse):
        return step.body, step.status_code
    code = step.code
    if step.must_issue:
        code = issuing.issue(session, shop, step.account, code, provider, timeout)
    body, status = answer(code, step.account)
    if step.record is not None:
        idempotency.store(step.record, status, body)
    session.commit()
    return body, status
