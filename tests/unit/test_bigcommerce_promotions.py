"""BigCommerce coupon promotions against a fake v3 API: exact bodies, half-done retries, revoke."""
from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from responses import matchers

from loyalty_plugin.errors import ProviderRejected, ProviderUnavailable
from loyalty_plugin.models import Platform, RewardKind, Shop
from loyalty_plugin.providers import RetryPolicy
from loyalty_plugin.providers.bigcommerce_promotions import BigCommercePromotionProvider
from loyalty_plugin.providers.platform_discounts import platform_discount_provider
from loyalty_plugin.services.credentials import PlatformCredentials
from tests.providers import make_spec

TOKEN = "bc_token_0123456789"
PROMOTIONS = "https://api.bigcommerce.com/stores/abc123/v3/promotions"
TITLE = "Loyalty reward BLUEBRD-ABCD-EFGH-JKMN (100 points)"
CODE = "BLUEBRD-ABCD-EFGH-JKMN"


def provider(sleeps, attempts: int = 3) -> BigCommercePromotionProvider:
    shop = Shop(id=7, platform=Platform.BIGCOMMERCE, domain="store-abc123.mybigcommerce.com")
    made = platform_discount_provider(shop, PlatformCredentials(store_hash="abc123", access_token=TOKEN),
                                      sleep=sleeps.append, retry=RetryPolicy(attempts=attempts))
    assert isinstance(made, BigCommercePromotionProvider) and made.name == "bigcommerce"
    return made


def listing(*promotions: dict) -> dict:
    return {"data": list(promotions), "meta": {"pagination": {"total": len(promotions)}}}


def promotion(id_: int = 31, name: str = TITLE) -> dict:
    return {"id": id_, "name": name, "redemption_type": "COUPON"}


def no_promotion_yet(api) -> None:
    api.get(PROMOTIONS, json=listing(), match=[matchers.query_param_matcher(
        {"code": CODE, "redemption_type": "COUPON"})])
    api.get(PROMOTIONS, json=listing(), match=[matchers.query_param_matcher(
        {"name": TITLE, "redemption_type": "COUPON"})])


def body(action: dict, *, minimum: str | None = "20.00") -> dict:
    rule = {"action": action, "apply_once": True}
    if minimum:
        rule["condition"] = {"cart": {"minimum_spend": minimum}}
    return {"name": TITLE, "redemption_type": "COUPON", "coupon_type": "SINGLE", "status": "ENABLED",
            "rules": [rule], "max_uses": 1, "start_date": "2026-11-24T09:30:00+00:00",
            "end_date": "2026-12-08T09:30:00+00:00", "currency_code": "USD",
            "can_be_used_with_other_promotions": True}


@pytest.mark.parametrize("overrides, action", [
    ({}, {"cart_value": {"discount": {"fixed_amount": "5.00"}}}),
    ({"kind": RewardKind.PERCENTAGE, "value": Decimal("10.0000")},
     {"cart_value": {"discount": {"percentage_amount": "10"}}}),
    ({"kind": RewardKind.FREE_SHIPPING, "value": Decimal("0")},
     {"shipping": {"free_shipping": True, "zone_ids": "*"}}),
    ({"kind": RewardKind.FREE_PRODUCT, "value": Decimal("0"), "product_variant_id": "77"},
     {"cart_items": {"discount": {"percentage_amount": "100"}, "items": {"variants": [77]},
                     "quantity": 1, "add_free_item": True}}),
])
def test_a_single_use_promotion_then_its_code(api, sleeps, overrides, action):
    no_promotion_yet(api)
    api.post(PROMOTIONS, status=201, json={"data": promotion(), "meta": {}},
             match=[matchers.json_params_matcher(body(action))])
    api.post(f"{PROMOTIONS}/31/codes", status=201,
             json={"data": {"id": 5, "code": CODE, "max_uses": 1}, "meta": {}},
             match=[matchers.json_params_matcher({"code": CODE, "max_uses": 1,
                                                  "max_uses_per_customer": 1})])

    assert provider(sleeps).create_code(make_spec(**overrides), "loyalty-redeem-42") == "31"
    assert api.calls[2].request.headers["X-Auth-Token"] == TOKEN


def test_no_minimum_sends_no_condition(api, sleeps):
    no_promotion_yet(api)
    api.post(PROMOTIONS, status=201, json={"data": promotion()},
             match=[matchers.json_params_matcher(body({"cart_value": {"discount": {
                 "fixed_amount": "5.00"}}}, minimum=None))])
    api.post(f"{PROMOTIONS}/31/codes", status=201, json={"data": {"id": 5, "code": CODE}})
    provider(sleeps).create_code(make_spec(min_order_subtotal=Decimal("0")), "k")


def test_our_code_already_there_is_success_without_creating_anything(api, sleeps):
    api.get(PROMOTIONS, json=listing(promotion()))
    assert provider(sleeps).create_code(make_spec(), "k") == "31"
    assert len(api.calls) == 1


def test_a_promotion_left_without_its_code_is_reused(api, sleeps):
    api.get(PROMOTIONS, json=listing())
    # The name filter matches loosely; only the exact name is ours.
    api.get(PROMOTIONS, json=listing(promotion(30, name=f"{TITLE} copy"), promotion(31)))
    api.post(f"{PROMOTIONS}/31/codes", status=201, json={"data": {"id": 5, "code": CODE}})
    assert provider(sleeps).create_code(make_spec(), "k") == "31"


def test_a_code_held_by_another_promotion_is_rejected(api, sleeps):
    api.get(PROMOTIONS, json=listing(promotion(12, name="Black Friday")))
    with pytest.raises(ProviderRejected, match="another BigCommerce promotion"):
        provider(sleeps).create_code(make_spec(), "k")


def test_a_duplicate_code_answer_from_a_race_looks_the_code_up(api, sleeps):
    no_promotion_yet(api)
    api.post(PROMOTIONS, status=201, json={"data": promotion()})
    api.post(f"{PROMOTIONS}/31/codes", status=409, json={"status": 409, "title": "Code already exists"})
    api.get(PROMOTIONS, json=listing(promotion()))
    assert provider(sleeps).create_code(make_spec(), "k") == "31"


def test_a_refused_code_is_rejected_and_its_promotion_removed(api, sleeps):
    no_promotion_yet(api)
    api.post(PROMOTIONS, status=201, json={"data": promotion()})
    api.post(f"{PROMOTIONS}/31/codes", status=422, json={"status": 422, "title": "Invalid code"})
    api.get(PROMOTIONS, json=listing())
    api.delete(f"{PROMOTIONS}/31", status=204)
    with pytest.raises(ProviderRejected, match="refused the code"):
        provider(sleeps).create_code(make_spec(), "k")
    assert api.calls[-1].request.method == "DELETE"  # the promotion is not left behind


def test_invalid_promotion_is_rejected_and_outages_are_unavailable(api, sleeps):
    no_promotion_yet(api)
    api.post(PROMOTIONS, status=422, json={"status": 422, "title": "The field 'currency_code' is invalid"})
    with pytest.raises(ProviderRejected, match="currency_code"):
        provider(sleeps).create_code(make_spec(), "k")

    api.get(PROMOTIONS, status=500)
    api.get(PROMOTIONS, body=requests.ReadTimeout())
    with pytest.raises(ProviderUnavailable):
        provider(sleeps, attempts=2).create_code(make_spec(), "k")


def test_rate_limit_waits_then_goes_on(api, sleeps):
    api.get(PROMOTIONS, status=429, headers={"Retry-After": "2"})
    api.get(PROMOTIONS, json=listing(promotion()))
    assert provider(sleeps).create_code(make_spec(), "k") == "31"
    assert sleeps == [2.0]


def test_revoke_deletes_the_code_then_the_promotion(api, sleeps):
    api.delete(f"{PROMOTIONS}/codes", status=204, match=[matchers.query_param_matcher({"code": CODE})])
    api.delete(f"{PROMOTIONS}/31", status=204)
    provider(sleeps).revoke_code("31", make_spec())
    assert [c.request.method for c in api.calls] == ["DELETE", "DELETE"]


def test_revoke_without_a_reference_finds_ours_or_finds_nothing(api, sleeps):
    api.get(PROMOTIONS, json=listing(promotion()))
    api.delete(f"{PROMOTIONS}/codes", status=204)
    api.delete(f"{PROMOTIONS}/31", status=204)
    provider(sleeps).revoke_code(None, make_spec())

    api.get(PROMOTIONS, json=listing())
    provider(sleeps).revoke_code(None, make_spec())
    assert len(api.calls) == 4
