"""Codes a referral gives: the friend's welcome code, the referrer's reward code, and voiding."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.errors import Unprocessable
from loyalty_plugin.events import CustomerRef
from loyalty_plugin.models import (CodeOrigin, CodeStatus, CustomerAccount, EventType,
                                   OutboundEvent, ReferralStatus, ReferrerReward, RewardCode,
                                   RewardKind)
from loyalty_plugin.providers.native import NATIVE, NativeProvider
from loyalty_plugin.services import issuing, ledger, referral_progress, referral_rewards, schedule
from loyalty_plugin.services.accounts import find_by_external_id, resolve_account
from loyalty_plugin.services.codes import mark_used_by_order
from loyalty_plugin.services.orders import apply_order_snapshot, apply_refund
from loyalty_plugin.services.referral_codes import referral_code_for
from loyalty_plugin.services.referrals import Friend, record_referral, update_program
from tests.factories import make_order, make_refund, make_reward, make_shop
from tests.providers import RecordingProvider

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 5, 1, 12, tzinfo=UTC)
TIMEOUT = 5.0


@pytest.fixture
def shop(session):
    return make_shop(session, referrals_enabled=True, referral_points=100, pending_days=14)[0]


@pytest.fixture
def welcome(session, shop):
    reward = make_reward(session, shop, name="Welcome 10%", kind=RewardKind.PERCENTAGE, value=Decimal("10"),
                         validity_days=60)
    shop.settings.welcome_reward_id = reward.id
    return reward


@pytest.fixture
def referrer(session, shop) -> CustomerAccount:
    return resolve_account(session, shop, CustomerRef(platform_id="ann", email="ann@example.com"), T0)


def refer(session, shop, referrer, email="bob@example.com", *, now=T0):
    return record_referral(session, shop, code=referral_code_for(session, referrer),
                           friend=Friend(email=email), now=now)


def friend_order(session, shop, order_id="f1", *, email="bob@example.com", at=T0, **kwargs):
    return apply_order_snapshot(session, shop, make_order(order_id, customer_id=None, email=email,
                                                          **kwargs), at)


def events(session, type: EventType) -> list[dict]:
    return [e.payload for e in session.execute(select(OutboundEvent).where(
        OutboundEvent.type == type).order_by(OutboundEvent.id)).scalars()]


def test_a_recorded_friend_gets_one_welcome_code_issued_after_commit(session, shop, welcome, referrer):
    recorded = refer(session, shop, referrer)
    referral = recorded.referral
    code = referral.welcome_code
    assert code is not None and code.account_id == referral.friend_account_id
    assert (code.status, code.origin, code.points_spent, code.reward_id) == (
        CodeStatus.PENDING, CodeOrigin.REFERRAL, 0, welcome.id)
    assert code.expires_at == T0 + dt.timedelta(days=60)
    assert events(session, EventType.REWARD_ISSUED) == []  # nothing announced before it exists

    provider = RecordingProvider()
    issued = issuing.issue_through(session, shop, code, provider.factory, TIMEOUT)
    assert (issued.status, issued.provider) == (CodeStatus.ISSUED, "fake")
    (spec,) = provider.created.values()
    assert (spec.kind, spec.value, spec.customer_email) == (RewardKind.PERCENTAGE, 10, "bob@example.com")
    (announced,) = events(session, EventType.REWARD_ISSUED)
    assert announced["code"] == code.code and announced["origin"] == "referral"
    assert announced["points_spent"] == 0 and announced["customer"]["email"] == "bob@example.com"
    # The friend holds a guest account, as an order webhook would have made.
    friend = session.get(CustomerAccount, referral.friend_account_id)
    assert (friend.email, friend.platform_customer_id, friend.available) == ("bob@example.com", None, 0)

    again = refer(session, shop, referrer)
    assert not again.created and again.referral.welcome_code_id == code.id
    assert session.execute(select(RewardCode).where(RewardCode.shop_id == shop.id)).scalars().all() == [code]


def test_a_rejected_referral_gets_no_welcome_code(session, shop, welcome, referrer):
    rejected = refer(session, shop, referrer, email="ann@example.com").referral
    assert rejected.status is ReferralStatus.REJECTED and rejected.welcome_code_id is None
    friend_order(session, shop, email="old@example.com")
    not_new = refer(session, shop, referrer, email="old@example.com").referral
    assert not_new.status is ReferralStatus.REJECTED and not_new.welcome_code_id is None
    assert session.execute(select(RewardCode)).scalars().all() == []


def test_without_a_welcome_reward_no_code_is_given(session, shop, referrer):
    referral = refer(session, shop, referrer).referral
    assert referral.status is ReferralStatus.PENDING and referral.welcome_code_id is None


def test_a_welcome_reward_archived_since_it_was_chosen_gives_no_code(session, shop, welcome, referrer):
    welcome.archived_at = T0
    referral = refer(session, shop, referrer).referral
    assert referral.status is ReferralStatus.PENDING and referral.welcome_code_id is None


def test_the_settings_only_take_active_fixed_rewards_of_this_shop(session, shop):
    other_shop = make_shop(session)[0]
    foreign = make_reward(session, other_shop)
    variable = make_reward(session, shop, name="Any", kind=RewardKind.VARIABLE, value=Decimal("1"), points_cost=100)
    inactive = make_reward(session, shop, name="Old", active=False)
    for field in ("welcome_reward_id", "referrer_reward_id"):
        for reward_id, problem in ((foreign.id, "Unknown reward."), (2**62, "Unknown reward."),
                                   (variable.id, "Variable rewards cannot be given."),
                                   (inactive.id, "The reward is not active.")):
            with pytest.raises(Unprocessable) as excinfo:
                update_program(session, shop, {field: reward_id})
            assert excinfo.value.details == {"fields": {field: [problem]}}
    with pytest.raises(Unprocessable) as excinfo:
        update_program(session, shop, {"referrer_reward": ReferrerReward.REWARD})
    assert "referrer_reward_id" in excinfo.value.details["fields"]
    assert shop.settings.referrer_reward is ReferrerReward.POINTS  # nothing changed
    good = make_reward(session, shop, name="Thanks")
    settings = update_program(session, shop, {"referrer_reward": ReferrerReward.REWARD,
                                              "referrer_reward_id": good.id, "welcome_reward_id": None})
    assert (settings.referrer_reward, settings.referrer_reward_id) == (ReferrerReward.REWARD, good.id)


@pytest.fixture
def rewarded_with_code(session, shop):
    reward = make_reward(session, shop, name="Thank you 15 off", value=Decimal("15.00"))
    update_program(session, shop, {"referrer_reward": ReferrerReward.REWARD, "referrer_reward_id": reward.id})
    return reward


def test_a_completed_referral_gives_the_referrer_a_code_once_instead_of_points(
        session, shop, referrer, rewarded_with_code):
    referral = refer(session, shop, referrer).referral
    friend_order(session, shop)
    schedule.mature_due_points(session, T0 + dt.timedelta(days=15))
    assert referral.status is ReferralStatus.COMPLETED
    code = referral.referrer_code
    assert (code.account_id, code.origin, code.points_spent, code.status, code.provider) == (
        referrer.id, CodeOrigin.REFERRER, 0, CodeStatus.PENDING, referral_rewards.UNASSIGNED_PROVIDER)
    assert (referral.referrer_points, referrer.available) == (0, 0)
    (completed,) = events(session, EventType.REFERRAL_COMPLETED)
    assert (completed["points"], completed["code_id"]) == (0, code.id)
    # Nothing completes twice: the job, the matured account and the order flow find it done.
    assert schedule.referrals_due(session, T0 + dt.timedelta(days=30)) == 0
    referral_progress.settle(session, shop, referral, referral.order, T0 + dt.timedelta(days=31))
    assert session.execute(select(RewardCode).where(
        RewardCode.origin == CodeOrigin.REFERRER)).scalars().all() == [code]
    # No request issues it: the codes job does, without waiting for a lease.
    (pending,) = issuing.stale_pending(session, T0 + dt.timedelta(days=15), dt.timedelta(hours=1))
    assert pending.id == code.id


def test_a_referrer_reward_that_cannot_be_given_falls_back_to_points(session, shop, referrer,
                                                                      rewarded_with_code):
    rewarded_with_code.active = False
    shop.settings.pending_days = 0
    referral = refer(session, shop, referrer).referral
    friend_order(session, shop)
    assert referral.status is ReferralStatus.COMPLETED and referral.referrer_code_id is None
    assert (referral.referrer_points, referrer.available) == (100, 100)


def test_voiding_cancels_codes_not_used_yet_and_leaves_used_ones(session, shop, welcome, referrer,
                                                               rewarded_with_code):
    shop.settings.pending_days = 0
    referral = refer(session, shop, referrer).referral
    native = NativeProvider()
    issuing.issue(session, shop, session.get(CustomerAccount, referral.friend_account_id),
                  referral.welcome_code, native, TIMEOUT)
    used_order = make_order("f1", customer_id=None, email="bob@example.com")
    used_order = dataclasses.replace(used_order, discount_codes=(referral.welcome_code.code,))
    apply_order_snapshot(session, shop, used_order, T0)
    mark_used_by_order(session, shop, used_order, T0)
    assert referral.status is ReferralStatus.COMPLETED
    issuing.issue(session, shop, referrer, referral.referrer_code, native, TIMEOUT)
    assert (referral.welcome_code.status, referral.referrer_code.status) == (CodeStatus.USED, CodeStatus.ISSUED)
    assert [c.id for c in referral_rewards.unused_codes(session, referral)] == [referral.referrer_code_id]

    referral_progress.void_referral(session, shop, referral.id, note="Fraud", now=T0 + dt.timedelta(days=1))
    session.expire_all()
    assert referral.status is ReferralStatus.VOIDED
    assert referral.welcome_code.status is CodeStatus.USED  # its discount is spent: it stays used
    assert referral.referrer_code.status is CodeStatus.CANCELLED
    assert referral.referrer_code.provider == NATIVE
    assert ledger.verify_balances(session, shop_id=shop.id) == []


def test_a_code_cancelled_while_the_platform_created_it_is_revoked_there(session, shop, welcome, referrer):
    referral = refer(session, shop, referrer).referral
    code = referral.welcome_code
    provider = RecordingProvider()
    real_create = provider.create_code

    def create_while_voided(spec, key):
        referral_progress.void_referral(session, shop, referral.id, note=None, now=T0)
        return real_create(spec, key)

    provider.create_code = create_while_voided
    settled = issuing.issue(session, shop, session.get(CustomerAccount, code.account_id), code,
                            provider, TIMEOUT)
    assert settled.status is CodeStatus.CANCELLED
    assert provider.revoked == [(f"gid://fake/DiscountCodeNode/loyalty-code-{code.id}", code.code)]
    assert events(session, EventType.REWARD_ISSUED) == []


def test_a_refund_after_completion_keeps_the_referrers_code_as_it_keeps_points(
        session, shop, referrer, rewarded_with_code):
    shop.settings.pending_days = 0
    referral = refer(session, shop, referrer).referral
    friend_order(session, shop)
    apply_refund(session, shop, make_refund("f1", items="100"), T0 + dt.timedelta(days=2))
    assert referral.status is ReferralStatus.COMPLETED
    assert referral.referrer_code.status is CodeStatus.PENDING


def test_the_friend_found_by_platform_id_gets_the_code_on_that_account(session, shop, welcome, referrer):
    bob = resolve_account(session, shop, CustomerRef(platform_id="bob-1", email="bob@example.com"), T0)
    recorded = record_referral(session, shop, code=referral_code_for(session, referrer),
                               friend=Friend(email="bob@example.com", external_id="bob-1"), now=T0)
    assert recorded.referral.welcome_code.account_id == bob.id == find_by_external_id(
        session, shop.id, "bob-1").id
