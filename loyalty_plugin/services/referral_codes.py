"""Each customer's referral code and link: drawn at random on first use, never changed."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import CustomerAccount, Shop
from ..rules.referrals import new_referral_code


def referral_code_for(session: Session, account: CustomerAccount) -> str:
    """The customer's referral code, given on first use and never changed."""
    for _ in range(5):
        if account.referral_code:
            return account.referral_code
        try:
            # A conditional update, so two first uses at once agree on one code.
            with session.begin_nested():
                session.execute(update(CustomerAccount).where(
                    CustomerAccount.id == account.id, CustomerAccount.referral_code.is_(None))
                    .values(referral_code=new_referral_code()).execution_options(synchronize_session=False))
        except IntegrityError:  # another customer of the shop drew the same code
            continue
        session.refresh(account, ["referral_code"])
    raise RuntimeError("could not draw an unused referral code")


def referral_link(shop: Shop, code: str) -> str:
    return f"https://{shop.domain}/?ref={code}"
