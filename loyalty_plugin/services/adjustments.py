"""Manual point adjustments by the shop owner."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy.orm import Session

from ..models import CustomerAccount, EntryKind, EntrySource, LedgerEntry, Shop, TierChangeReason
from . import ledger, tiers


def adjust_points(session: Session, account: CustomerAccount, *, points: int, reason: str,
                  now: dt.datetime, reference: str | None = None,
                  actor: str | None = None) -> LedgerEntry:
    """Add or remove points; removing never takes more than the customer has available.

    ``actor`` says who did it (kept on the entry); the same ``reference`` adjusts once."""
    reference = reference or secrets.token_hex(12)
    common = dict(kind=EntryKind.ADJUSTMENT, source=EntrySource.API, source_ref=reference[:128],
                  key=f"adjustment:{reference}", now=now, reason=reason, actor=actor)
    if points > 0:
        entry = ledger.credit(session, account.id, points=points, **common)
    else:
        entry = ledger.debit(session, account.id, points=-points, shortfall=ledger.Shortfall.FAIL,
                             **common)
    assert entry is not None
    shop = session.get(Shop, account.shop_id)
    assert shop is not None
    tiers.evaluate_account(session, shop, account.id, now, trigger=(
        TierChangeReason.PROMOTION if points > 0 else TierChangeReason.REVERSAL))
    return entry
