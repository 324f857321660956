"""Scheduled work on referrals: settle those whose friend's order has settled, then take
back the welcome codes of the ones that failed.

A code is revoked on the platform first, with no transaction open, and cancelled
here after; a platform that fails leaves the code as it was for the next run.
"""
from __future__ import annotations

import datetime as dt
import logging

from ..db import Database
from ..models import CustomerAccount, Shop
from ..providers.discounts import ProviderError, ProviderFactory, revoke_code
from ..services import codes, referral_rewards, schedule

log = logging.getLogger(__name__)


def run_referrals(database: Database, now: dt.datetime, *, timeout: float,
                  factory: ProviderFactory) -> int:
    settled = 0
    while done := _settle_batch(database, now):
        settled += done
    return settled + revoke_failed_welcome_codes(database, now, timeout=timeout, factory=factory)


def _settle_batch(database: Database, now: dt.datetime) -> int:
    with database.transaction() as session:
        return schedule.run_referral_batch(session, now).total


def revoke_failed_welcome_codes(database: Database, now: dt.datetime, *, timeout: float,
                                factory: ProviderFactory) -> int:
    """Revoke and cancel the unused welcome codes of failed referrals; returns how many."""
    cancelled = last_id = 0
    while True:
        with database.transaction() as session:
            batch = []
            for referral_id, code in referral_rewards.failed_welcome_codes(session, after_id=last_id):
                shop = session.get(Shop, code.shop_id)
                account = session.get(CustomerAccount, code.account_id)
                assert shop is not None and account is not None
                batch.append((referral_id, code.id, shop, code.platform_ref,
                              codes.discount_spec(shop, account, code)))
        if not batch:
            return cancelled
        for referral_id, code_id, shop, reference, spec in batch:
            last_id = code_id  # each code once per run: one the platform refused waits for the next
            try:
                revoke_code(factory(shop), reference, spec, timeout)
            except ProviderError as exc:
                log.warning("welcome code not revoked, retried next run shop=%s referral=%s "
                            "code=%s error=%s", shop.id, referral_id, code_id, exc)
                continue
            with database.transaction() as session:
                cancelled += referral_rewards.cancel_failed_welcome_code(session, referral_id, now)
