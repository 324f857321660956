"""Warnings ahead of a downgrade: who is warned, when, once, and what the warning says."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.models import (DowngradePolicy, EventType, OutboundEvent, TierBasis,
                                   TierDowngradeNotice, TierWindow)
from loyalty_plugin.services import dispatch, email_settings, schedule, tier_catalog, tier_notices, tiers
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.mailer import Mailer
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.webhook_sender import WebhookSender
from tests.factories import make_order, make_shop
from tests.smtp_sink import SmtpSink

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# A calendar-year Gold reached in 2026 runs until 1 January 2028.
ENDS = dt.datetime(2028, 1, 1, tzinfo=UTC)
TWO_WEEKS_BEFORE = ENDS - dt.timedelta(days=14)


@pytest.fixture
def shop(session):
    shop = make_shop(session, tier_window=TierWindow.CALENDAR_YEAR)[0]
    for name, threshold in (("Bronze", "100"), ("Silver", "500"), ("Gold", "1000")):
        tier_catalog.create_tier(session, shop, dict(name=name, threshold=Decimal(threshold)), NOW)
    return shop


def gold_customer(session, shop, customer_id="1001", *, in_2027: str | None = None):
    apply_order_snapshot(session, shop, make_order(f"{customer_id}-a", customer_id=customer_id,
                                                   items="1200"), NOW)
    if in_2027:
        apply_order_snapshot(session, shop, make_order(f"{customer_id}-b", customer_id=customer_id,
                                                       items=in_2027), dt.datetime(2027, 6, 1, tzinfo=UTC))
    account = find_by_external_id(session, shop.id, customer_id)
    assert account.tier_expires_at == ENDS
    return account


def warnings(session, shop) -> list[dict]:
    return [e.payload for e in session.execute(select(OutboundEvent).where(
        OutboundEvent.shop_id == shop.id, OutboundEvent.type == EventType.TIER_DOWNGRADE_WARNING)
        .order_by(OutboundEvent.id)).scalars()]


def test_a_customer_who_would_drop_is_warned_once_with_what_keeps_the_tier(session, shop):
    account = gold_customer(session, shop, in_2027="620")
    assert tier_notices.warn_due(session, shop, TWO_WEEKS_BEFORE - dt.timedelta(days=1)) == 0  # too early
    assert tier_notices.warn_due(session, shop, TWO_WEEKS_BEFORE) == 1
    (warning,) = warnings(session, shop)
    assert warning["customer"]["account_id"] == account.id
    assert warning["tier"]["name"] == "Gold" and warning["projected"]["name"] == "Silver"
    assert warning["expires_at"] == ENDS.isoformat()
    assert warning["needed"] == {"basis": "points_earned", "progress": 620, "threshold": 1000, "short": 380}
    # Once per status end, however often the job runs.
    assert tier_notices.warn_due(session, shop, TWO_WEEKS_BEFORE + dt.timedelta(days=1)) == 0
    assert len(warnings(session, shop)) == 1
    # And what the warning foretold is what the roll-over does.
    assert tiers.roll_over_due(session, shop, ENDS + dt.timedelta(hours=1)) == 1
    session.refresh(account)
    assert account.tier_id == warning["projected"]["id"]


def test_a_customer_who_keeps_the_tier_is_not_warned(session, shop):
    apply_order_snapshot(session, shop, make_order("a", items="1200"), NOW)
    apply_order_snapshot(session, shop, make_order("b", items="1000"), dt.datetime(2027, 6, 1, tzinfo=UTC))
    account = find_by_external_id(session, shop.id, "1001")
    assert account.tier_expires_at == ENDS + dt.timedelta(days=366)  # requalified: nothing ends soon
    assert tier_notices.warn_due(session, shop, TWO_WEEKS_BEFORE) == 0
    account.tier_expires_at = ENDS  # a status whose end was not pushed back (e.g. imported)
    assert tier_notices.warn_due(session, shop, TWO_WEEKS_BEFORE) == 1  # looked at
    assert warnings(session, shop) == []
    (notice,) = session.execute(select(TierDowngradeNotice)).scalars()
    assert (notice.expires_at, notice.warned) == (ENDS, False)


def test_nothing_earned_since_drops_to_no_tier_and_one_step_drops_one(session, shop):
    gold_customer(session, shop)
    tier_notices.warn_due(session, shop, TWO_WEEKS_BEFORE)
    (warning,) = warnings(session, shop)
    assert warning["projected"] is None and warning["needed"]["short"] == 1000

    shop.settings.tier_downgrade = DowngradePolicy.ONE_STEP
    gold_customer(session, shop, "1002")
    session.execute(TierDowngradeNotice.__table__.delete())
    tier_notices.warn_due(session, shop, TWO_WEEKS_BEFORE)
    assert [w["projected"]["name"] if w["projected"] else None for w in warnings(session, shop)][-1] == "Silver"


def test_notice_days_zero_or_a_lifetime_window_warns_nobody(session, shop):
    gold_customer(session, shop)
    shop.settings.tier_downgrade_notice_days = 0
    assert tier_notices.warn_due(session, shop, TWO_WEEKS_BEFORE) == 0
    shop.settings.tier_downgrade_notice_days, shop.settings.tier_window = 14, TierWindow.LIFETIME
    assert tier_notices.warn_due(session, shop, TWO_WEEKS_BEFORE) == 0
    assert warnings(session, shop) == []


def test_spend_basis_says_how_much_money_is_missing(session, shop):
    shop.settings.tier_basis = TierBasis.AMOUNT_SPENT
    gold_customer(session, shop, in_2027="620.50")
    tier_notices.warn_due(session, shop, TWO_WEEKS_BEFORE)
    (warning,) = warnings(session, shop)
    assert warning["needed"] == {"basis": "amount_spent", "progress": "620.50", "threshold": "1000.00",
                                 "short": "379.50"}


def test_rolling_window_counts_only_what_stays_in_the_window_at_its_end(session, shop):
    shop.settings.tier_window = TierWindow.ROLLING_12_MONTHS
    apply_order_snapshot(session, shop, make_order("old", items="1200"), NOW)
    ends = find_by_external_id(session, shop.id, "1001").tier_expires_at
    assert ends == dt.datetime(2027, 11, 25, tzinfo=UTC)
    # The 1200 fall out of the window by its end: nothing earned since will count.
    schedule.run_tier_notice_batch(session, ends - dt.timedelta(days=10))
    (warning,) = warnings(session, shop)
    assert (warning["projected"], warning["needed"]["progress"], warning["needed"]["short"]) == (None, 0, 1000)


def test_the_job_runs_every_shop_in_batches(session, shop):
    for n in range(3):
        gold_customer(session, shop, f"c{n}")
    assert schedule.run_tier_notice_batch(session, TWO_WEEKS_BEFORE, limit=2).downgrades_looked_at == 2
    assert schedule.run_tier_notice_batch(session, TWO_WEEKS_BEFORE, limit=2).downgrades_looked_at == 1
    assert schedule.run_tier_notice_batch(session, TWO_WEEKS_BEFORE, limit=2).total == 0
    assert len(warnings(session, shop)) == 3


def test_the_warning_is_mailed_in_the_shops_language(database, session, shop):
    email_settings.update_settings(session, shop.id, {
        "enabled": True, "from_address": "treue@laden.example", "locale": "de",
        "kinds": ["tier_downgrade_warning"]}, NOW)
    gold_customer(session, shop, in_2027="620")
    tier_notices.warn_due(session, shop, TWO_WEEKS_BEFORE)
    session.commit()
    with SmtpSink() as sink:
        channels = dispatch.Channels(webhooks=WebhookSender(),
                                     mailer=Mailer.from_url(f"smtp://127.0.0.1:{sink.port}"))
        try:
            sent = dispatch.deliver_due(database, TWO_WEEKS_BEFORE, channels=channels, rng=lambda: 0.5)
        finally:
            channels.close()
    assert sent == 1
    message = sink.messages[-1].message
    assert message["Subject"] == f"Behalten Sie Ihren Status Gold bei {shop.domain}"
    text = message.get_body(("plain",)).get_content()
    assert ("Ihr Status Gold gilt bis zum 2027-12-31. Sie wechseln dann zu Silver, es sei denn, "
            "Sie sammeln bis dahin noch 380 Punkte.") in text
