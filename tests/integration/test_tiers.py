"""VIP tiers against the database: promotion, multipliers, entry bonuses, reversals, windows."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.models import (CustomerAccount, DowngradePolicy, EntryKind, LedgerEntry, Tier,
                                   TierBasis, TierChange, TierChangeReason, TierWindow)
from loyalty_plugin.services import ledger, schedule, tier_catalog, tiers
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.adjustments import adjust_points
from loyalty_plugin.services.customers import apply_customer_changed
from loyalty_plugin.services.orders import apply_order_snapshot, apply_refund
from loyalty_plugin.events import CustomerRef
from tests.factories import make_order, make_refund, make_shop

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def shop(session):
    shop = make_shop(session)[0]
    for name, threshold, multiplier, bonus in (("Silver", "500", "1.25", 50), ("Gold", "1000", "1.5", 200)):
        tier_catalog.create_tier(session, shop, dict(name=name, threshold=Decimal(threshold),
                                                     multiplier=Decimal(multiplier),
                                                     entry_bonus_points=bonus), NOW)
    return shop


def account(session, shop, external_id="1001") -> CustomerAccount:
    found = find_by_external_id(session, shop.id, external_id)
    session.refresh(found)
    return found


def tier_name(session, shop, external_id="1001") -> str | None:
    held = account(session, shop, external_id).tier_id
    return session.get(Tier, held).name if held else None


def changes(session, shop) -> list[tuple]:
    rows = session.execute(select(TierChange).where(TierChange.shop_id == shop.id)
                           .order_by(TierChange.id)).scalars()
    return [(c.from_name, c.to_name, c.reason) for c in rows]


def entries_of(session, shop, kind: EntryKind) -> list[LedgerEntry]:
    return list(session.execute(select(LedgerEntry).where(
        LedgerEntry.shop_id == shop.id, LedgerEntry.kind == kind)).scalars())


def test_an_order_crossing_a_threshold_promotes_and_pays_the_entry_bonus(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="600"), NOW)
    assert tier_name(session, shop) == "Silver"
    (bonus,) = entries_of(session, shop, EntryKind.TIER_BONUS)
    assert bonus.points == 50
    assert account(session, shop).available == 650
    assert changes(session, shop) == [(None, "Silver", TierChangeReason.PROMOTION)]
    (change,) = session.execute(select(TierChange)).scalars()
    assert (change.progress, change.to_threshold, change.bonus_entry_id) == (
        Decimal("600"), Decimal("500"), bonus.id)


def test_the_tier_multiplier_applies_to_the_next_order_and_is_recorded(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="600"), NOW)
    apply_order_snapshot(session, shop, make_order("B", items="100"), NOW)
    earn = session.execute(select(LedgerEntry).where(LedgerEntry.source_ref == "B")).scalar_one()
    assert (earn.points, earn.multiplier) == (125, Decimal("1.25"))


def test_the_entry_bonus_does_not_count_as_progress(session, shop):
    # 950 earned + 50 Silver bonus = 1000 points, but Gold needs 1000 *earned*.
    apply_order_snapshot(session, shop, make_order("A", items="950"), NOW)
    assert account(session, shop).available == 1000
    assert tier_name(session, shop) == "Silver"


def test_a_refund_that_undoes_a_promotion_demotes_and_the_bonus_is_not_paid_twice(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="600"), NOW)
    apply_refund(session, shop, make_refund("A", "r1", items="200"), NOW)
    assert tier_name(session, shop) is None
    assert changes(session, shop)[-1] == ("Silver", None, TierChangeReason.REVERSAL)
    apply_order_snapshot(session, shop, make_order("B", items="200"), NOW + dt.timedelta(days=1))
    assert tier_name(session, shop) == "Silver"
    assert len(entries_of(session, shop, EntryKind.TIER_BONUS)) == 1  # once per window
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_cancellation_lowers_progress(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="1200"), NOW)
    assert tier_name(session, shop) == "Gold"
    apply_order_snapshot(session, shop, make_order("A", items="1200", cancelled=True), NOW)
    assert tier_name(session, shop) is None


def test_pending_points_count_only_once_they_mature(session, shop):
    shop.settings.pending_days = 14
    apply_order_snapshot(session, shop, make_order("A", items="700"), NOW)
    assert tier_name(session, shop) is None
    assert schedule.mature_due_points(session, NOW + dt.timedelta(days=14)) == 1
    assert tier_name(session, shop) == "Silver"


def test_a_promotion_in_a_new_calendar_year_pays_the_bonus_again(session, shop):
    shop.settings.tier_window = TierWindow.CALENDAR_YEAR
    apply_order_snapshot(session, shop, make_order("A", items="600"), NOW)
    apply_refund(session, shop, make_refund("A", "r1", items="600"), NOW)
    next_year = dt.datetime(2027, 2, 1, tzinfo=dt.timezone.utc)
    apply_order_snapshot(session, shop, make_order("B", items="600"), next_year)
    assert tier_name(session, shop) == "Silver"
    assert len(entries_of(session, shop, EntryKind.TIER_BONUS)) == 2


def test_spend_basis_counts_money_net_of_refunds(session, shop):
    tier_catalog.update_program(session, shop, {"tier_basis": TierBasis.AMOUNT_SPENT})
    apply_order_snapshot(session, shop, make_order("A", items="400"), NOW)
    apply_order_snapshot(session, shop, make_order("B", items="150"), NOW)
    assert tier_name(session, shop) == "Silver"
    apply_refund(session, shop, make_refund("B", "r1", items="100"), NOW)
    assert tier_name(session, shop) is None
    status = tiers.tier_status(session, shop, account(session, shop), NOW)
    assert status.progress == Decimal("450")
    assert (status.next_tier.name, status.remaining) == ("Silver", Decimal("50"))


def test_order_count_basis(session, shop):
    tier_catalog.update_tier(session, shop, tiers.active_tiers(session, shop.id)[0].id,
                             {"threshold": Decimal("2")}, NOW)
    tier_catalog.update_tier(session, shop, tiers.active_tiers(session, shop.id)[1].id,
                             {"threshold": Decimal("3")}, NOW)
    tier_catalog.update_program(session, shop, {"tier_basis": TierBasis.ORDER_COUNT})
    for order_id in ("A", "B"):
        apply_order_snapshot(session, shop, make_order(order_id, items="10"), NOW)
    assert tier_name(session, shop) == "Silver"
    apply_order_snapshot(session, shop, make_order("C", items="10"), NOW)
    assert tier_name(session, shop) == "Gold"


def test_calendar_status_is_kept_next_year_then_requalified(session, shop):
    shop.settings.tier_window = TierWindow.CALENDAR_YEAR
    apply_order_snapshot(session, shop, make_order("A", items="1200"), NOW)
    assert account(session, shop).tier_expires_at == dt.datetime(2028, 1, 1, tzinfo=dt.timezone.utc)
    # Nothing is due during 2027: Gold earned in 2026 holds.
    assert tiers.roll_over_due(session, shop, dt.datetime(2027, 12, 31, tzinfo=dt.timezone.utc)) == 0
    apply_order_snapshot(session, shop, make_order("B", items="600"), dt.datetime(2027, 3, 1, tzinfo=dt.timezone.utc))
    moved = tiers.roll_over_due(session, shop, dt.datetime(2028, 1, 1, 1, tzinfo=dt.timezone.utc))
    assert moved == 1
    assert tier_name(session, shop) == "Silver"  # what 2027's progress qualifies for
    assert changes(session, shop)[-1] == ("Gold", "Silver", TierChangeReason.WINDOW_END)


def test_one_step_policy_and_grace_period(session, shop):
    shop.settings.tier_window = TierWindow.CALENDAR_YEAR
    shop.settings.tier_downgrade = DowngradePolicy.ONE_STEP
    shop.settings.tier_grace_days = 30
    apply_order_snapshot(session, shop, make_order("A", items="1200"), NOW)
    new_year = dt.datetime(2028, 1, 1, 1, tzinfo=dt.timezone.utc)
    assert tiers.roll_over_due(session, shop, new_year) == 0  # still in the grace period
    assert tiers.roll_over_due(session, shop, new_year + dt.timedelta(days=31)) == 1
    assert tier_name(session, shop) == "Silver"  # one step down, although nothing was earned
    # The step down holds until the end of 2028, then the next step.
    assert tiers.roll_over_due(session, shop, dt.datetime(2029, 2, 2, tzinfo=dt.timezone.utc)) == 1
    assert tier_name(session, shop) is None


def test_a_threshold_change_reevaluates_in_a_batch(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="600"), NOW)
    apply_order_snapshot(session, shop, make_order("B", customer_id="2002", email="b@example.com",
                                                   items="300"), NOW)
    silver = tiers.active_tiers(session, shop.id)[0]
    tier_catalog.update_tier(session, shop, silver.id, {"threshold": Decimal("250")}, NOW)
    assert tier_name(session, shop, "2002") is None  # not inside the admin's change
    assert schedule.run_tier_batch(session, NOW).reevaluated == 2
    assert tier_name(session, shop, "2002") == "Silver"
    assert schedule.run_tier_batch(session, NOW).reevaluated == 0
    tier_catalog.update_tier(session, shop, silver.id, {"threshold": Decimal("700")}, NOW)
    schedule.run_tier_batch(session, NOW)
    assert tier_name(session, shop, "1001") is None
    assert changes(session, shop)[-1][2] is TierChangeReason.REEVALUATION
    # History still names the tier and threshold as they were.
    (first,) = [c for c in session.execute(select(TierChange).where(TierChange.shop_id == shop.id)
                                           .order_by(TierChange.id)).scalars()
                if c.reason is TierChangeReason.PROMOTION][:1]
    assert (first.to_name, first.to_threshold) == ("Silver", Decimal("500"))


def test_archiving_a_tier_moves_its_members_at_the_next_batch(session, shop):
    apply_order_snapshot(session, shop, make_order("A", items="1200"), NOW)
    gold = tiers.active_tiers(session, shop.id)[1]
    tier_catalog.archive_tier(session, shop, gold.id, NOW)
    schedule.run_tier_batch(session, NOW)
    assert tier_name(session, shop) == "Silver"
    # An archived tier's multiplier no longer applies.
    assert tiers.multiplier_for(session, account(session, shop)) == Decimal("1.25")


def test_adjustments_and_signup_bonus_count_toward_points_tiers(session, shop):
    shop.settings.signup_bonus_points = 100
    apply_customer_changed(session, shop, CustomerRef(platform_id="1001", email="a@example.com"),
                           created=True, now=NOW)
    adjust_points(session, account(session, shop), points=450, reason="goodwill", now=NOW)
    assert tier_name(session, shop) == "Silver"
    adjust_points(session, account(session, shop), points=-200, reason="correction", now=NOW)
    assert tier_name(session, shop) is None


def test_catalog_rejects_ambiguous_tiers(session, shop):
    from loyalty_plugin.errors import Conflict, Unprocessable
    with pytest.raises(Conflict):
        tier_catalog.create_tier(session, shop, dict(name="silver", threshold=Decimal("1")), NOW)
    with pytest.raises(Conflict):
        tier_catalog.create_tier(session, shop, dict(name="Bronze", threshold=Decimal("500")), NOW)
    with pytest.raises(Unprocessable):
        tier_catalog.create_tier(session, shop, dict(name="Bronze", threshold=Decimal("1"),
                                                     entry_reward_id=999), NOW)
    tier_catalog.update_program(session, shop, {"tier_basis": TierBasis.ORDER_COUNT})
    with pytest.raises(Unprocessable):
        tier_catalog.create_tier(session, shop, dict(name="Odd", threshold=Decimal("2.5")), NOW)
