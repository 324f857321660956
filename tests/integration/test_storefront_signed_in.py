"""The storefront's signed-in view reads the account and its tier progress in one statement,
and stands the customer exactly where the tier service does, in every window and basis."""
from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from sqlalchemy import event

from loyalty_plugin.models import CodeStatus, TierBasis, TierWindow, utcnow
from loyalty_plugin.services import storefront
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.tiers import tier_status
from tests.factories import make_order, make_shop
from tests.widget_factories import make_code, make_reward, make_tier


@pytest.fixture
def count_statements(engine):
    @contextlib.contextmanager
    def counting():
        statements: list[str] = []

        def record(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)
    return counting


@pytest.fixture
def shop(session):
    shop, _ = make_shop(session)
    make_tier(session, shop, "Silver", "100")
    make_tier(session, shop, "Gold", "400")
    now = utcnow()
    for n, days in enumerate((500, 200, 3)):
        apply_order_snapshot(session, shop, make_order(f"o{n}", customer_id="c1", items="150"),
                             now - dt.timedelta(days=days))
    session.flush()
    return shop


@pytest.mark.parametrize("window", list(TierWindow))
@pytest.mark.parametrize("basis", list(TierBasis))
def test_the_signed_in_view_stands_the_customer_where_the_tier_service_does(session, shop, window, basis):
    shop.settings.tier_window, shop.settings.tier_basis = window, basis
    session.flush()
    now = utcnow()

    view = storefront.signed_in_view(session, shop, "c1", now)

    expected = tier_status(session, shop, find_by_external_id(session, shop.id, "c1"), now)
    assert view.tier == expected
    assert view.account.id == find_by_external_id(session, shop.id, "c1").id


def test_the_points_basis_reads_account_and_progress_in_one_statement(session, shop, count_statements):
    now = utcnow()
    cache = storefront.CatalogCache()
    storefront.program_view(session, shop, cache)  # the catalog comes from the cache, uncounted
    with count_statements() as statements:
        view = storefront.signed_in_view(session, shop, "c1", now, cache=cache)
    assert view.tier.progress == 450
    # The account with its progress, whether it has codes, and its recent entries: nothing else.
    assert len(statements) == 1 and view.codes == [] and len(view.activity) == 3
    assert "customer_accounts" in statements[0] and "sum(" in statements[0].lower()

    make_code(session, shop, view.account.id, make_reward(session, shop), code="LOY-SHOWN2345")
    with count_statements() as statements:
        view = storefront.signed_in_view(session, shop, "c1", now, cache=cache)
    assert len(statements) == 2 and [c.code for c in view.codes] == ["LOY-SHOWN2345"]


@pytest.mark.parametrize("orders", [0, 1, storefront.ACTIVITY_LIMIT, storefront.ACTIVITY_LIMIT + 3])
def test_the_activity_read_with_the_account_is_its_newest_entries(session, orders):
    shop, _ = make_shop(session)
    start = utcnow() - dt.timedelta(days=30)
    for n in range(orders):
        apply_order_snapshot(session, shop, make_order(f"a{n}", customer_id="c2", items=f"{10 + n}"),
                             start + dt.timedelta(days=n))
    other = make_order("x", customer_id="c3", items="99")  # another customer's entries stay out
    apply_order_snapshot(session, shop, other, start)
    if not orders:
        # An unpaid order: the account exists, without a single entry.
        apply_order_snapshot(session, shop, make_order("a0", customer_id="c2", items="10", paid=False), start)
    session.flush()
    account = find_by_external_id(session, shop.id, "c2")

    view = storefront.signed_in_view(session, shop, "c2", utcnow())

    expected = storefront.ACTIVITY.named_rows(
        session, {"shop_id": shop.id, "account_id": account.id, "limit": storefront.ACTIVITY_LIMIT})
    assert view.activity == expected
    assert [entry.points for entry in view.activity] == [
        10 + n for n in reversed(range(orders))][:storefront.ACTIVITY_LIMIT]
    assert view.account.id == account.id


def test_a_code_not_shown_is_not_read(session, shop, count_statements):
    account = find_by_external_id(session, shop.id, "c1")
    make_code(session, shop, account.id, make_reward(session, shop), code="LOY-FAILED23",
              status=CodeStatus.FAILED)
    with count_statements() as statements:
        view = storefront.signed_in_view(session, shop, "c1", utcnow())
    assert view.codes == [] and not any("reward_codes.code" in s for s in statements)


def test_a_limited_reward_counts_the_customers_redemptions(session, shop):
    account = find_by_external_id(session, shop.id, "c1")
    limited = make_reward(session, shop, name="Once", points_cost=10, per_customer_limit=1)
    make_reward(session, shop, name="Twice", points_cost=10, per_customer_limit=2)
    assert {o.reward.name: o.blocked_by for o in storefront.signed_in_view(
        session, shop, "c1", utcnow()).offers}["Once"] is None
    make_code(session, shop, account.id, limited, code="LOY-ONCE2345")

    blocked = {o.reward.name: o.blocked_by for o in storefront.signed_in_view(session, shop, "c1", utcnow()).offers}
    assert blocked["Once"] is storefront.Blocker.LIMIT and blocked["Twice"] is None


def test_an_unknown_customer_has_no_view(session, shop):
    assert storefront.signed_in_view(session, shop, "nobody", utcnow()) is None
    shop.settings.tier_basis = TierBasis.AMOUNT_SPENT
    assert storefront.signed_in_view(session, shop, "nobody", utcnow()) is None
