"""``loyalty jobs run-due`` pays birthdays and settles referrals, and a second run does nothing."""
from __future__ import annotations

import datetime as dt

from loyalty_plugin.events import CustomerRef
from loyalty_plugin.models import utcnow
from loyalty_plugin.services.accounts import resolve_account
from loyalty_plugin.services.birthdays import set_birthday
from tests.factories import make_shop


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
    assert "paid 1 birthday(s)" in first.output
    second = runner.invoke(args=["jobs", "run-due"])
    assert "paid 0 birthday(s)" in second.output
    session.refresh(account)
    assert (account.available, account.lifetime) == (40, 40)
