"""``loyalty jobs run-due`` pays birthdays and settles referrals, and a second run does nothing."""
from __future__ import annotations

import datetime as dt

from loyalty_plugin.events import CustomerRef
from loyalty_plugin.models import ReferralStatus, utcnow
from loyalty_plugin.services.accounts import resolve_account
from loyalty_plugin.services.birthdays import set_birthday
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.referral_codes import referral_code_for
from loyalty_plugin.services.referrals import Friend, record_referral
from tests.factories import make_order, make_shop


def test_run_due_pays_todays_birthdays_once(app, session):
    shop, _ = make_shop(session, birthday_points=40)
    today = utcnow()
    account = resolve_account(session, shop, CustomerRef(platform_id="bd1", email="bd1@example.com"), today)
    set_birthday(session, shop, account, month=today.month, day=today.day, year=None,
                 now=today - dt.timedelta(days=400))
    session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "run-due"])
    assert first.exit_code == 0, first.output
    assert "birthdays: 1" in first.output
    second = runner.invoke(args=["jobs", "run-due"])
    assert "birthdays: 0" in second.output
    session.refresh(account)
    assert (account.available, account.lifetime) == (40, 40)


def test_run_due_completes_a_referral_once_the_friends_points_mature(app, session):
    shop, _ = make_shop(session, referrals_enabled=True, referral_points=60, pending_days=1)
    started = utcnow() - dt.timedelta(days=2)
    referrer = resolve_account(session, shop, CustomerRef(platform_id="r1", email="r1@example.com"), started)
    referral = record_referral(session, shop, code=referral_code_for(session, referrer),
                               friend=Friend(email="f1@example.com"), now=started).referral
    apply_order_snapshot(session, shop, make_order("cli-ref", customer_id=None, email="f1@example.com"), started)
    session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "run-due"])
    assert first.exit_code == 0, first.output
    assert "mature_points: 1" in first.output
    second = runner.invoke(args=["jobs", "run-due"])
    assert "mature_points: 0" in second.output and "referrals: 0" in second.output
    session.refresh(referral)
    session.refresh(referrer)
    assert referral.status is ReferralStatus.COMPLETED
    assert (referrer.available, referrer.lifetime) == (60, 60)
