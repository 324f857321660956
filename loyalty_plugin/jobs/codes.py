"""Scheduled work on discount codes; each step commits on its own.

Codes whose redemption request died before the platform answered are settled
(issued, or failed with the points returned), codes given without points (a tier's
entry reward) are created on the platform, and issued codes past their expiry are
marked expired.
"""
from __future__ import annotations

import datetime as dt
import logging

from ..db import Database
from ..errors import ProviderError
from ..models import CodeStatus, CustomerAccount, Shop
from ..providers.discounts import ProviderFactory
from ..services import codes, issuing

log = logging.getLogger(__name__)


def settle_stale_codes(database: Database, now: dt.datetime, *, timeout: float,
                       factory: ProviderFactory) -> tuple[int, int]:
    """Finish codes left PENDING past their lease; returns (issued, failed)."""
    lease = issuing.code_lease(timeout)
    issued = failed = last_id = 0
    while True:
        with database.transaction() as session:
            batch = [(code, session.get(Shop, code.shop_id), session.get(CustomerAccount, code.account_id))
                     for code in issuing.stale_pending(session, now, lease, after_id=last_id)]
        if not batch:
            return issued, failed
        # The session above is closed: nothing is held while each platform is called.
        for code, shop, account in batch:
            # Each code once per run: one still PENDING after an outage waits for the next run.
            last_id = code.id
            assert shop is not None and account is not None
            with database.transaction() as session:
                try:
                    provider = factory(shop)
                except ProviderError as exc:
                    settled = issuing.record_failure(session, code, exc, now)
                else:
                    settled = issuing.issue(session, shop, account, code, provider, timeout,
                                            clock=lambda: now)
            issued += settled.status is CodeStatus.ISSUED
            failed += settled.status is CodeStatus.FAILED
            log.info("stalled code settled shop=%s code=%s status=%s", shop.id, code.id,
                     settled.status.value)


def expire_all_codes(database: Database, now: dt.datetime) -> int:
    """Issued codes past their expiry, in every shop, become expired."""
    with database.transaction() as session:
        shop_ids = codes.shops_with_expired_codes(session, now)
    total = 0
    for shop_id in shop_ids:
        with database.transaction() as session:
            shop = session.get(Shop, shop_id)
            if shop is not None:
                total += codes.expire_codes(session, shop, now)
    return total
