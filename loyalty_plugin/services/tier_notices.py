"""Warning customers ahead of a downgrade: "you will drop to Silver unless...".

A shop sets how many days before a status runs out to look
(``tier_downgrade_notice_days``; 0 warns nobody). Each customer whose status
ends within that horizon is judged as the roll-over will judge them, on the
progress already counted in the window that decides it; one who would drop gets
one ``tier.downgrade_warning`` event saying what keeps the tier. Every status end
looked at gets a ``TierDowngradeNotice`` row, inserted under the account's row
lock, so two runs at once warn once and a batch always makes progress.
"""
from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_CEILING, Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..models import CustomerAccount, Shop, Tier, TierBasis, TierDowngradeNotice, TierWindow
from ..rules.money import minor_unit_exponent
from ..rules.tiers import deciding_window, downgrade_outlook
from . import ledger, outbox
from .sql import insert_or_none
from .tiers import active_tiers, levels_of, progress


def warn_due(session: Session, shop: Shop, now: dt.datetime, *, limit: int = 500) -> int:
    """Look at up to ``limit`` statuses ending soon; returns how many were looked at."""
    settings = shop.settings
    if settings.tier_downgrade_notice_days <= 0 or settings.tier_window is TierWindow.LIFETIME:
        return 0
    horizon = now + dt.timedelta(days=settings.tier_downgrade_notice_days)
    account = CustomerAccount
    due = session.execute(select(account.id, account.tier_expires_at).where(
        account.shop_id == shop.id, account.tier_id.is_not(None), account.merged_into_id.is_(None),
        account.tier_expires_at > now, account.tier_expires_at <= horizon,
        ~exists().where(TierDowngradeNotice.account_id == account.id,
                        TierDowngradeNotice.expires_at == account.tier_expires_at))
        .order_by(account.id).limit(limit)).all()
    for account_id, expires_at in due:
        _look(session, shop, account_id, expires_at, now)
    return len(due)


def _look(session: Session, shop: Shop, account_id: int, expires_at: dt.datetime,
          now: dt.datetime) -> None:
    account = ledger.lock_account(session, account_id)
    notice = insert_or_none(session, TierDowngradeNotice, dict(
        shop_id=shop.id, account_id=account_id, expires_at=expires_at, warned=False, created_at=now),
        conflict=["account_id", "expires_at"])
    # Looked at by another run already, merged away, or requalified meanwhile.
    if notice is None or account.id != account_id or account.tier_expires_at != expires_at:
        return
    settings = shop.settings
    levels = levels_of(active_tiers(session, shop.id))
    amount = progress(session, shop, account.id,
                      deciding_window(settings.tier_window, expires_at, shop.timezone))
    outlook = downgrade_outlook(levels, account.tier_id, amount, settings.tier_downgrade)
    if outlook is None:
        return
    notice.warned = True
    held = session.get(Tier, outlook.held.id)
    projected = session.get(Tier, outlook.projected.id) if outlook.projected is not None else None
    assert held is not None
    basis = settings.tier_basis

    def shown(amount: Decimal) -> int | Decimal:
        """Points and orders are whole numbers (what is missing rounds up); money has the
        currency's decimals."""
        if basis is TierBasis.AMOUNT_SPENT:
            return amount.quantize(Decimal(1).scaleb(-minor_unit_exponent(shop.currency)),
                                   rounding=ROUND_CEILING)
        return math.ceil(amount)

    outbox.tier_downgrade_warning(session, account, held, projected, expires_at, {
        "basis": basis.value, "progress": shown(amount), "threshold": shown(held.threshold),
        "short": shown(outlook.short)}, now)
