"""``loyalty demo``: the seeded shop, the sample order it prints, and the command's wiring."""
from __future__ import annotations

import json

from click.testing import CliRunner

from loyalty_plugin.cli import main
from loyalty_plugin.models import utcnow
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.shops import get_shop
from tests.factories import post_shopify
from tests.widget_factories import signed
from widgets.demo import seed_demo, shopify_order


def test_loyalty_help_lists_the_demo_command():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "demo" in result.output
    sub = CliRunner().invoke(main, ["demo", "--help"])
    assert "--storefront-port" in sub.output and "order" in sub.output


def test_the_demo_shop_has_tiers_rewards_and_a_customer_with_history(client, session):
    demo = seed_demo(session, storefront_origin="http://127.0.0.1:8001", now=utcnow())
    session.commit()
    shop = get_shop(session, demo.shop_id)

    response = client.get(f"/widget/v1/{shop.id}/summary",
                          headers=signed(shop, demo.customer_id, Origin="http://127.0.0.1:8001"))

    assert response.status_code == 200
    body = response.json
    assert body["customer"]["available"] == 421 and body["customer"]["first_name"] == "Ada"
    assert body["tier"]["current"]["name"] == "Silver" and body["tier"]["remaining"] == "79"
    assert len(body["rewards"]) == 5 and len(body["activity"]) == 3
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8001"


def test_the_demo_sample_order_is_a_valid_signed_shopify_delivery(client, session):
    demo = seed_demo(session, storefront_origin="http://127.0.0.1:8001", now=utcnow())
    session.commit()
    shop = get_shop(session, demo.shop_id)
    body = json.dumps(shopify_order(1795537983383, demo.customer_id, "42.50")).encode()

    response = post_shopify(client, shop, "orders/paid", body, secret=demo.webhook_secret)

    assert response.status_code == 200, response.json
    session.expire_all()
    # Silver's 1.25x: 42.50 x 1.25 = 53.125 -> 53
    assert find_by_external_id(session, shop.id, demo.customer_id).available == 421 + 53


def test_demo_order_reports_an_unreachable_service():
    result = CliRunner().invoke(main, ["demo", "order", "--api", "http://127.0.0.1:9", "--shop", "1",
                                       "--secret", "s"])
    assert result.exit_code == 1
    assert "could not reach http://127.0.0.1:9" in result.output
