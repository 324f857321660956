"""Every account the service creates carries its referral code from the start."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from loyalty_plugin.events import CustomerRef
from loyalty_plugin.models import CustomerAccount
from loyalty_plugin.rules.referrals import parse_referral_code
from loyalty_plugin.services import accounts
from loyalty_plugin.services.accounts import resolve_account
from tests.factories import make_shop

T0 = dt.datetime(2026, 5, 1, 12, tzinfo=dt.timezone.utc)


def test_registered_and_guest_accounts_get_a_valid_code_of_their_own(session):
    shop, _ = make_shop(session)
    registered = resolve_account(session, shop, CustomerRef(platform_id="c1", email="ann@example.com"), T0)
    guest = resolve_account(session, shop, CustomerRef(email="bob@example.com"), T0)
    codes = [registered.referral_code, guest.referral_code]
    assert all(code is not None and parse_referral_code(code) == code for code in codes)
    assert codes[0] != codes[1]
    session.expire_all()
    assert session.get(CustomerAccount, registered.id).referral_code == codes[0]


def test_a_drawn_code_another_account_holds_is_drawn_again(session, monkeypatch):
    shop, _ = make_shop(session)
    taken = resolve_account(session, shop, CustomerRef(platform_id="c1"), T0).referral_code
    draws = iter([taken, "ABCDEFGHJK", taken, "BCDEFGHJKM"])
    monkeypatch.setattr(accounts, "new_referral_code", lambda: next(draws))
    account = resolve_account(session, shop, CustomerRef(platform_id="c2", first_name="Cy"), T0)
    guest = resolve_account(session, shop, CustomerRef(email="dee@example.com"), T0)
    assert (account.platform_customer_id, account.first_name, account.referral_code) == (
        "c2", "Cy", "ABCDEFGHJK")
    assert (guest.email, guest.referral_code) == ("dee@example.com", "BCDEFGHJKM")
    assert session.scalar(select(func.count()).select_from(CustomerAccount)
                          .where(CustomerAccount.shop_id == shop.id)) == 3
