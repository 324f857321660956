"""The signed-in summary's hand-written dump gives exactly what CustomerSummarySchema, the
documented contract, gives, for customers in every standing."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from loyalty_plugin.models import CodeStatus, EntryKind, EntrySource, RewardKind, utcnow
from loyalty_plugin.services import storefront
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.ledger import credit
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.factories import make_order, make_shop
from tests.widget_factories import make_code, make_reward, make_tier
from widgets.schemas import CustomerSummarySchema, dump_customer_summary

SCHEMA = CustomerSummarySchema()


@pytest.fixture
def shop(session):
    shop, _ = make_shop(session)
    silver = make_tier(session, shop, "Silver", "200", "1.25", perks=["Early access", "Gift"])
    gold = make_tier(session, shop, "Gold", "500.5", "1.5")
    cheap = make_reward(session, shop, name="$5 off", points_cost=300, value="5.50",
                        description="Five <b>off</b>", min_order_subtotal=Decimal("20"))
    make_reward(session, shop, name="Pay with points", kind=RewardKind.VARIABLE, points_cost=100,
                value="1", min_points=200, max_points=1000)
    make_reward(session, shop, name="Gold shipping", kind=RewardKind.FREE_SHIPPING, points_cost=100,
                value="0", required_tier_id=gold.id)
    make_reward(session, shop, name="Once", points_cost=10, per_customer_limit=1,
                required_tier_id=silver.id)
    for n, (customer, items) in enumerate((("rich", "700"), ("mid", "380"), ("poor", "12.40"))):
        apply_order_snapshot(session, shop, make_order(f"o{n}", customer_id=customer, items=items), utcnow())
    rich = find_by_external_id(session, shop.id, "rich")
    rich.first_name = "Zoë"
    make_code(session, shop, rich.id, cheap, code="LOY-READY234")
    make_code(session, shop, rich.id, cheap, code="LOY-OLD23456", expires_in_days=-1)
    make_code(session, shop, rich.id, cheap, code="LOY-FAILED23", status=CodeStatus.FAILED)
    credit(session, rich.id, kind=EntryKind.ADJUSTMENT, points=5, source=EntrySource.API,
           source_ref="note", key="note-1", now=utcnow(), reason="internal note")
    session.flush()
    return shop


@pytest.mark.parametrize("customer", ["rich", "mid", "poor"])
def test_the_hand_written_dump_equals_the_schemas(session, shop, customer):
    view = storefront.signed_in_view(session, shop, customer, utcnow())
    assert view.activity and view.offers
    entity = storefront.customer_view(session, shop, find_by_external_id(session, shop.id, customer), utcnow())
    assert dump_customer_summary(entity) == SCHEMA.dump(view)

    assert dump_customer_summary(view) == SCHEMA.dump(view)
    with_link = dataclasses.replace(view, referral=storefront.ReferralLink(code="ABC", link="https://x/?ref=ABC"))
    assert dump_customer_summary(with_link) == SCHEMA.dump(with_link)


def test_the_dump_keeps_the_schemas_key_order(session, shop):
    view = storefront.customer_view(session, shop, find_by_external_id(session, shop.id, "rich"), utcnow())
    ours, theirs = dump_customer_summary(view), SCHEMA.dump(view)

    assert list(ours) == list(theirs)
    assert list(ours["rewards"][0]) == list(theirs["rewards"][0])
    assert list(ours["tier"]) == list(theirs["tier"])


def test_a_shop_without_tiers_dumps_alike(session):
    shop, _ = make_shop(session)
    apply_order_snapshot(session, shop, make_order("o1", customer_id="c1", items="50"), utcnow())
    view = storefront.customer_view(session, shop, find_by_external_id(session, shop.id, "c1"), utcnow())

    assert dump_customer_summary(view) == SCHEMA.dump(view)
    assert dump_customer_summary(view)["tier"]["percent"] == 100
