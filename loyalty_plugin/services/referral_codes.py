"""Each customer's referral code and link: drawn at random on first use, never changed."""
from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..db import Executor
from ..models import CustomerAccount, Shop
from ..rules.referrals import new_referral_code
from .driver_sql import DriverStatement

_ACCOUNTS = CustomerAccount.__table__
# Conditional, so two first uses at once agree on one code.
_DRAW = DriverStatement(
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.id == bindparam("account_id"), _ACCOUNTS.c.referral_code.is_(None))
    .values(referral_code=bindparam("code")).returning(_ACCOUNTS.c.referral_code))
_HELD = DriverStatement(select(_ACCOUNTS.c.referral_code).where(_ACCOUNTS.c.id == bindparam("account_id")))
ATTEMPTS = 5


def referral_code_for(session: Session, account: CustomerAccount) -> str:
    """The customer's referral code, given on first use and never changed."""
    if not account.referral_code:
        set_committed_value(account, "referral_code", draw_referral_code(session, account.id))
    assert account.referral_code is not None
    return account.referral_code


def draw_referral_code(executor: Executor, account_id: int) -> str:
    """The account's code, drawn now if it has none: one UPDATE, unless the code drawn is taken.

    ``executor``: a session, or a connection in or out of a transaction (autocommit).
    """
    for _ in range(ATTEMPTS):
        try:
            row = _draw(executor, {"account_id": account_id, "code": new_referral_code()})
        except IntegrityError:
            continue
        if row is None:  # the account had its code already, or another first use drew it
            row = _HELD.first(executor, {"account_id": account_id})
            assert row is not None and row[0] is not None, "no such account"
        return row[0]
    raise RuntimeError("could not draw an unused referral code")


def _draw(executor: Executor, params: dict) -> tuple | None:
    # A code another customer of the shop holds must fail the draw alone: a statement
    # run on its own fails alone anyway, one in a transaction needs a savepoint.
    if isinstance(executor, Connection) and not executor.in_transaction():
        return _DRAW.first(executor, params)
    with executor.begin_nested():
        return _DRAW.first(executor, params)


def referral_link(shop: Shop, code: str) -> str:
    return f"https://{shop.domain}/?ref={code}"
