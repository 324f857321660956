"""Referrals against the database: the lifecycle with the order flow, and every fraud check."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.errors import Conflict
from loyalty_plugin.events import CustomerRef, PostalAddress
from loyalty_plugin.models import (CustomerAccount, EntryKind, EventType, LedgerEntry, OutboundEvent,
                                   Referral, ReferralReason, ReferralStatus)
from loyalty_plugin.services import ledger, referral_progress, schedule, tier_catalog
from loyalty_plugin.services.accounts import find_by_external_id, resolve_account
from loyalty_plugin.services.birthdays import set_birthday
from loyalty_plugin.services.customers import apply_customer_changed, redact_customer
from loyalty_plugin.services.orders import apply_order_snapshot, apply_refund
from loyalty_plugin.services import referral_codes
from loyalty_plugin.services.referral_codes import referral_code_for
from loyalty_plugin.services.referrals import Friend, record_referral
from tests.factories import make_order, make_refund, make_shop

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 5, 1, 12, tzinfo=UTC)
HOME = PostalAddress(line1="92 Chestnut Street", city="Louisville", postal_code="40202")


@pytest.fixture
def shop(session):
    return make_shop(session, referrals_enabled=True, referral_points=100, pending_days=14)[0]


@pytest.fixture
def referrer(session, shop) -> CustomerAccount:
    return resolve_account(session, shop, CustomerRef(platform_id="ann", email="ann.lee@gmail.com",
                                                      address=HOME), T0)


def refer(session, shop, referrer, email="bob@example.com", *, now=T0, **friend):
    return record_referral(session, shop, code=referral_code_for(session, referrer),
                           friend=Friend(email=email, **friend), now=now)


def friend_order(session, shop, order_id="f1", *, email="bob@example.com", at=T0, **kwargs):
    return apply_order_snapshot(session, shop, make_order(order_id, customer_id=kwargs.pop("customer_id", None),
                                                          email=email, **kwargs), at)


def bonus_entries(session, referrer) -> list[tuple[EntryKind, int]]:
    return [(e.kind, e.points) for e in session.execute(select(LedgerEntry).where(
        LedgerEntry.account_id == referrer.id, LedgerEntry.source == ledger.EntrySource.REFERRAL)
        .order_by(LedgerEntry.id)).scalars()]


def test_a_referral_completes_when_the_friends_first_order_matures(session, shop, referrer):
    referral = refer(session, shop, referrer).referral
    assert referral.status is ReferralStatus.PENDING and referral.friend_account_id is not None
    friend_order(session, shop, at=T0 + dt.timedelta(days=1))
    assert referral.order_id is not None and referral.status is ReferralStatus.PENDING
    assert bonus_entries(session, referrer) == []
    assert schedule.mature_due_points(session, T0 + dt.timedelta(days=14)) == 0  # not yet
    assert schedule.mature_due_points(session, T0 + dt.timedelta(days=15)) == 1
    assert referral.status is ReferralStatus.COMPLETED and referral.referrer_points == 100
    assert bonus_entries(session, referrer) == [(EntryKind.REFERRAL_BONUS, 100)]
    assert (referrer.available, referrer.lifetime) == (100, 100)
    (announced,) = session.execute(select(OutboundEvent).where(
        OutboundEvent.type == EventType.REFERRAL_COMPLETED)).scalars()
    assert (announced.payload["referral_id"], announced.payload["points"]) == (referral.id, 100)
    assert announced.payload["referrer"]["account_id"] == referrer.id
    assert schedule.referrals_due(session, T0 + dt.timedelta(days=30)) == 0  # nothing left to do
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_without_a_pending_period_the_referral_completes_at_award(session, shop, referrer):
    shop.settings.pending_days = 0
    referral = refer(session, shop, referrer).referral
    friend_order(session, shop)
    assert referral.status is ReferralStatus.COMPLETED
    assert referrer.available == 100


def test_only_the_friends_first_awarded_order_counts(session, shop, referrer):
    referral = refer(session, shop, referrer).referral
    friend_order(session, shop, "small", items="1", at=T0)
    friend_order(session, shop, "second", at=T0 + dt.timedelta(days=1))
    first = session.execute(select(LedgerEntry).where(LedgerEntry.source_ref == "small")).scalar_one()
    assert referral.order_id == first.order_id


def test_the_job_completes_referrals_whose_points_matured_elsewhere(session, shop, referrer):
    referral = refer(session, shop, referrer).referral
    friend_order(session, shop)
    ledger.mature_account(session, referral.friend_account_id, T0 + dt.timedelta(days=15))
    assert referral.status is ReferralStatus.PENDING
    assert schedule.referrals_due(session, T0 + dt.timedelta(days=15)) == 1
    assert schedule.referrals_due(session, T0 + dt.timedelta(days=15)) == 0
    assert referral.status is ReferralStatus.COMPLETED and referrer.available == 100


@pytest.mark.parametrize("reverse, reason", [
    (lambda s, shop, t: apply_refund(s, shop, make_refund("f1", items="100"), t), ReferralReason.ORDER_REFUNDED),
    (lambda s, shop, t: friend_order(s, shop, cancelled=True, at=t), ReferralReason.ORDER_CANCELLED),
])
def test_a_refund_or_cancellation_before_completion_fails_the_referral(session, shop, referrer, reverse, reason):
    referral = refer(session, shop, referrer).referral
    friend_order(session, shop)
    reverse(session, shop, T0 + dt.timedelta(days=3))
    assert (referral.status, referral.reason) == (ReferralStatus.REJECTED, reason)
    schedule.mature_due_points(session, T0 + dt.timedelta(days=30))
    schedule.referrals_due(session, T0 + dt.timedelta(days=30))
    assert referral.status is ReferralStatus.REJECTED and bonus_entries(session, referrer) == []


def test_voiding_a_completed_referral_claws_the_points_back(session, shop, referrer):
    shop.settings.pending_days = 0
    referral = refer(session, shop, referrer).referral
    friend_order(session, shop)
    voided = referral_progress.void_referral(session, shop, referral.id, note="Same household",
                                             now=T0 + dt.timedelta(days=2))
    assert (voided.status, voided.note) == (ReferralStatus.VOIDED, "Same household")
    assert bonus_entries(session, referrer) == [(EntryKind.REFERRAL_BONUS, 100),
                                                (EntryKind.REFERRAL_CLAWBACK, -100)]
    assert (referrer.available, referrer.lifetime) == (0, 0)
    with pytest.raises(Conflict):
        referral_progress.void_referral(session, shop, referral.id, note=None, now=T0 + dt.timedelta(days=3))
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_voiding_a_pending_referral_moves_no_points_and_it_never_completes(session, shop, referrer):
    referral = refer(session, shop, referrer).referral
    friend_order(session, shop)
    referral_progress.void_referral(session, shop, referral.id, note=None, now=T0)
    schedule.mature_due_points(session, T0 + dt.timedelta(days=15))
    schedule.referrals_due(session, T0 + dt.timedelta(days=15))
    assert referral.status is ReferralStatus.VOIDED and bonus_entries(session, referrer) == []


@pytest.mark.parametrize("friend", [
    dict(email="someone@example.com", external_id="ann"),    # the same customer
    dict(email="AnnLee+friend@googlemail.com"),               # the same mailbox
    dict(email="bob@example.com", address=PostalAddress(line1="Chestnut St. 92", postal_code="40202")),
])
def test_self_referrals_are_rejected_and_kept(session, shop, referrer, friend):
    recorded = refer(session, shop, referrer, **friend)
    assert (recorded.referral.status, recorded.referral.reason) == (ReferralStatus.REJECTED,
                                                                    ReferralReason.SELF_REFERRAL)
    assert recorded.referral.friend_account_id is None


def test_an_address_a_merged_guest_order_reported_still_counts(session, shop):
    registered = resolve_account(session, shop, CustomerRef(platform_id="ann3"), T0)
    guest = resolve_account(session, shop, CustomerRef(email="old@example.com", address=HOME), T0)
    resolve_account(session, shop, CustomerRef(platform_id="ann3", email="old@example.com"), T0)
    assert guest.merged_into_id == registered.id
    recorded = refer(session, shop, registered, address=HOME)
    assert recorded.referral.reason is ReferralReason.SELF_REFERRAL


def test_two_customers_referring_each_other_is_a_self_referral(session, shop, referrer):
    bob = refer(session, shop, referrer).referral
    bob_account = session.get(CustomerAccount, bob.friend_account_id)
    back = refer(session, shop, bob_account, email="ann.lee@example.org", external_id="ann")
    assert back.referral.reason is ReferralReason.SELF_REFERRAL


def test_a_friend_who_has_bought_or_earned_is_not_new(session, shop, referrer):
    shop.settings.pending_days = 0
    friend_order(session, shop, "earlier", email="carol@example.com")
    assert refer(session, shop, referrer, "carol@example.com").referral.reason is ReferralReason.FRIEND_NOT_NEW
    apply_customer_changed(session, shop, CustomerRef(platform_id="dan", email="dan@example.com"),
                           created=True, now=T0)
    ledger.credit(session, find_by_external_id(session, shop.id, "dan").id, kind=EntryKind.ADJUSTMENT,
                  points=5, source=ledger.EntrySource.API, source_ref="x", key="adj-dan", now=T0)
    assert refer(session, shop, referrer, "other@example.com", external_id="dan").referral.reason \
        is ReferralReason.FRIEND_NOT_NEW


def test_a_sign_up_bonus_does_not_make_a_friend_old(session, shop, referrer):
    shop.settings.signup_bonus_points = 10
    apply_customer_changed(session, shop, CustomerRef(platform_id="eve", email="eve@example.com"),
                           created=True, now=T0)
    recorded = refer(session, shop, referrer, "eve@example.com", external_id="eve")
    assert recorded.referral.status is ReferralStatus.PENDING
    assert recorded.referral.friend_account_id == find_by_external_id(session, shop.id, "eve").id


def test_the_limit_per_referrer_per_period(session, shop, referrer):
    shop.settings.referral_limit, shop.settings.referral_limit_days = 2, 30
    statuses = [refer(session, shop, referrer, f"f{n}@example.com", now=T0 + dt.timedelta(days=n)).referral
                for n in range(3)]
    assert [(r.status, r.reason) for r in statuses] == [
        (ReferralStatus.PENDING, None), (ReferralStatus.PENDING, None),
        (ReferralStatus.REJECTED, ReferralReason.LIMIT_REACHED)]
    later = refer(session, shop, referrer, "f9@example.com", now=T0 + dt.timedelta(days=31))
    assert later.referral.status is ReferralStatus.PENDING


def test_a_friend_has_one_live_referral(session, shop, referrer):
    first = refer(session, shop, referrer)
    again = refer(session, shop, referrer, "BOB@example.com")
    assert first.created and not again.created and again.referral.id == first.referral.id
    other = resolve_account(session, shop, CustomerRef(platform_id="zoe", email="zoe@example.com"), T0)
    with pytest.raises(Conflict) as excinfo:
        refer(session, shop, other)
    assert excinfo.value.code.value == "friend_already_referred"


def test_referrals_follow_a_guest_friend_into_their_registered_account(session, shop, referrer):
    shop.settings.pending_days = 0
    referral = refer(session, shop, referrer).referral
    friend_order(session, shop, customer_id="bob-id")  # the friend signed up and bought
    assert referral.status is ReferralStatus.COMPLETED


def test_redacting_the_friend_erases_what_referrals_say_about_them(session, shop, referrer):
    pending = refer(session, shop, referrer).referral
    rejected = refer(session, shop, referrer, "ann.lee@gmail.com").referral
    redact_customer(session, shop, CustomerRef(email="bob@example.com"), (), T0)
    redact_customer(session, shop, CustomerRef(email="ann.lee@gmail.com"), (), T0)
    for referral in (pending, rejected):
        session.refresh(referral)
        assert (referral.friend_email, referral.friend_identity) == (None, None)
    assert session.execute(select(Referral).where(Referral.friend_email.is_not(None))).first() is None


def test_referral_and_birthday_points_count_toward_tiers(session, shop, referrer):
    shop.settings.pending_days = 0
    shop.settings.birthday_points = 50
    gold = tier_catalog.create_tier(session, shop, dict(name="Gold", threshold=Decimal("150")), T0)
    refer(session, shop, referrer)
    friend_order(session, shop)
    assert referrer.tier_id is None  # 100 points so far
    set_birthday(session, shop, referrer, month=6, day=1, year=None, now=T0 - dt.timedelta(days=60))
    schedule.birthdays_due(session, dt.datetime(2026, 6, 1, 12, tzinfo=UTC))
    session.refresh(referrer)
    assert (referrer.lifetime, referrer.tier_id) == (150, gold.id)


def test_a_drawn_code_another_customer_holds_is_drawn_again(session, shop, referrer, monkeypatch):
    taken = referral_code_for(session, referrer)
    other = resolve_account(session, shop, CustomerRef(platform_id="cal"), T0)
    draws = iter([taken, taken, "QRSTVWXYZ2"])
    monkeypatch.setattr(referral_codes, "new_referral_code", lambda: next(draws))

    assert referral_code_for(session, other) == "QRSTVWXYZ2"
    assert referral_code_for(session, other) == "QRSTVWXYZ2"  # kept: no draw left to take
    session.flush()
    held = dict(session.execute(select(CustomerAccount.platform_customer_id, CustomerAccount.referral_code)
                                .where(CustomerAccount.shop_id == shop.id)).all())
    assert held == {"ann": taken, "cal": "QRSTVWXYZ2"}


def test_drawing_gives_up_after_five_taken_codes(session, shop, referrer, monkeypatch):
    taken = referral_code_for(session, referrer)
    other = resolve_account(session, shop, CustomerRef(platform_id="cal"), T0)
    monkeypatch.setattr(referral_codes, "new_referral_code", lambda: taken)

    with pytest.raises(RuntimeError, match="could not draw"):
        referral_code_for(session, other)
    assert other.referral_code is None
