"""Shopify discount codes against a fake GraphQL Admin API: exact inputs, duplicates, throttling, revoke."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests

from loyalty_plugin.errors import ProviderRejected, ProviderUnavailable
from loyalty_plugin.models import Platform, RewardKind, Shop
from loyalty_plugin.providers import RetryPolicy
from loyalty_plugin.providers.platform_discounts import platform_discount_provider
from loyalty_plugin.providers.shopify_discounts import ShopifyDiscountProvider
from loyalty_plugin.services.credentials import PlatformCredentials
from tests.providers import make_spec

TOKEN = "shpat_0123456789abcdef"
URL = "https://blue-bird.myshopify.com/admin/api/2026-10/graphql.json"
NODE = "gid://shopify/DiscountCodeNode/1057371279"
TITLE = "Loyalty reward BLUEBRD-ABCD-EFGH-JKMN (100 points)"


def provider(sleeps, attempts: int = 3) -> ShopifyDiscountProvider:
    shop = Shop(id=7, platform=Platform.SHOPIFY, domain="blue-bird.myshopify.com")
    made = platform_discount_provider(shop, PlatformCredentials(access_token=TOKEN),
                                      sleep=sleeps.append, retry=RetryPolicy(attempts=attempts))
    assert isinstance(made, ShopifyDiscountProvider) and made.name == "shopify"
    return made


def created(field: str = "discountCodeBasicCreate") -> dict:
    return {"data": {field: {"codeDiscountNode": {"id": NODE}, "userErrors": []}}}


def user_errors(*errors: dict, field: str = "discountCodeBasicCreate") -> dict:
    return {"data": {field: {"codeDiscountNode": None, "userErrors": list(errors)}}}


def lookup(title: str | None) -> dict:
    node = None if title is None else {"id": NODE, "codeDiscount": {"title": title}}
    return {"data": {"codeDiscountNodeByCode": node}}


def sent(api, index: int = 0) -> dict:
    return json.loads(api.calls[index].request.body)


COMMON = {
    "title": TITLE, "code": "BLUEBRD-ABCD-EFGH-JKMN", "startsAt": "2026-11-24T09:30:00Z",
    "endsAt": "2026-12-08T09:30:00Z", "usageLimit": 1, "appliesOncePerCustomer": True,
    "context": {"customers": {"add": ["gid://shopify/Customer/1001"]}},
    "minimumRequirement": {"subtotal": {"greaterThanOrEqualToSubtotal": "20.00"}},
}


def test_a_fixed_amount_code_is_restricted_to_the_customer_single_use_with_minimum_and_end(api, sleeps):
    api.post(URL, json=created())

    assert provider(sleeps).create_code(make_spec(), "loyalty-redeem-42") == NODE

    body = sent(api)
    assert "discountCodeBasicCreate(basicCodeDiscount: $discount)" in body["query"]
    assert body["variables"] == {"discount": {**COMMON, "customerGets": {
        "value": {"discountAmount": {"amount": "5.00", "appliesOnEachItem": False}},
        "items": {"all": True}}}}
    headers = api.calls[0].request.headers
    assert headers["X-Shopify-Access-Token"] == TOKEN and headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("overrides, gets", [
    ({"kind": RewardKind.PERCENTAGE, "value": Decimal("15.0000")},
     {"value": {"percentage": 0.15}, "items": {"all": True}}),
    ({"kind": RewardKind.FREE_PRODUCT, "value": Decimal("0"), "product_variant_id": "39072856"},
     {"value": {"percentage": 1.0},
      "items": {"products": {"productVariantsToAdd": ["gid://shopify/ProductVariant/39072856"]}}}),
])
def test_percentage_and_free_product_shapes(api, sleeps, overrides, gets):
    api.post(URL, json=created())
    provider(sleeps).create_code(make_spec(**overrides), "k")
    assert sent(api)["variables"]["discount"]["customerGets"] == gets


def test_free_shipping_uses_its_own_mutation_for_every_destination(api, sleeps):
    api.post(URL, json=created("discountCodeFreeShippingCreate"))

    spec = make_spec(kind=RewardKind.FREE_SHIPPING, value=Decimal("0"),
                     min_order_subtotal=Decimal("0"), customer_platform_id="gid://shopify/Customer/9")
    assert provider(sleeps).create_code(spec, "k") == NODE

    body = sent(api)
    assert "discountCodeFreeShippingCreate(freeShippingCodeDiscount: $discount)" in body["query"]
    expected = {**COMMON, "context": {"customers": {"add": ["gid://shopify/Customer/9"]}},
                "destination": {"all": True}}
    del expected["minimumRequirement"]  # no minimum: none sent
    assert body["variables"] == {"discount": expected}


def test_our_own_code_already_there_is_success(api, sleeps):
    api.post(URL, json=user_errors({"field": ["basicCodeDiscount", "code"], "code": "TAKEN",
                                    "message": "Code must be unique."}))
    api.post(URL, json=lookup(TITLE))

    assert provider(sleeps).create_code(make_spec(), "k") == NODE
    assert sent(api, 1)["variables"] == {"code": "BLUEBRD-ABCD-EFGH-JKMN"}
    assert "codeDiscountNodeByCode" in sent(api, 1)["query"]


def test_a_code_taken_by_someone_elses_discount_is_rejected(api, sleeps):
    api.post(URL, json=user_errors({"field": ["basicCodeDiscount", "code"], "code": "TAKEN",
                                    "message": "Code must be unique."}))
    api.post(URL, json=lookup("Summer sale"))

    with pytest.raises(ProviderRejected, match="another Shopify discount"):
        provider(sleeps).create_code(make_spec(), "k")


def test_other_user_errors_are_rejected_with_shopifys_message(api, sleeps):
    api.post(URL, json=user_errors({"field": ["basicCodeDiscount", "endsAt"], "code": "INVALID",
                                    "message": "Ends at needs to be after starts_at"}))

    with pytest.raises(ProviderRejected) as excinfo:
        provider(sleeps).create_code(make_spec(), "k")
    assert "Ends at needs to be after starts_at" in excinfo.value.message
    assert excinfo.value.details["codes"] == ["INVALID"] and TOKEN not in str(excinfo.value.details)


THROTTLED = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
             "extensions": {"cost": {"requestedQueryCost": 10, "actualQueryCost": None,
                                     "throttleStatus": {"maximumAvailable": 2000,
                                                        "currentlyAvailable": 0,
                                                        "restoreRate": 100}}}}


def test_throttled_and_http_429_back_off_then_create(api, sleeps):
    api.post(URL, json=THROTTLED)
    api.post(URL, status=429, headers={"Retry-After": "1"})
    api.post(URL, json=created())

    assert provider(sleeps).create_code(make_spec(), "k") == NODE
    # The bucket needs 10 points at 100/s (floored at half a second), then Retry-After.
    assert sleeps == [0.5, 1.0]


def test_throttled_on_every_attempt_is_unavailable(api, sleeps):
    for _ in range(3):
        api.post(URL, json=THROTTLED)
    with pytest.raises(ProviderUnavailable, match="throttled"):
        provider(sleeps).create_code(make_spec(), "k")
    assert len(api.calls) == 3


def test_server_errors_and_timeouts_are_unavailable_and_a_retry_finds_the_code(api, sleeps):
    api.post(URL, status=502)
    api.post(URL, body=requests.ReadTimeout())
    with pytest.raises(ProviderUnavailable):
        provider(sleeps, attempts=2).create_code(make_spec(), "k")

    # The timed-out create did happen: the retry meets TAKEN and takes our discount.
    api.post(URL, status=500)
    api.post(URL, json=user_errors({"field": ["basicCodeDiscount", "code"], "code": "TAKEN",
                                    "message": "Code must be unique."}))
    api.post(URL, json=lookup(TITLE))
    assert provider(sleeps).create_code(make_spec(), "k") == NODE


@pytest.mark.parametrize("status", [401, 403, 404])
def test_client_errors_are_rejected_without_the_token(api, sleeps, status):
    api.post(URL, status=status, json={"errors": "[API] Invalid API key or access token"})
    with pytest.raises(ProviderRejected) as excinfo:
        provider(sleeps).create_code(make_spec(), "k")
    assert TOKEN not in excinfo.value.message and len(api.calls) == 1


def test_a_customer_without_a_shopify_id_gets_no_unrestricted_code(api, sleeps):
    with pytest.raises(ProviderRejected, match="no Shopify customer id"):
        provider(sleeps).create_code(make_spec(customer_platform_id=None), "k")
    assert len(api.calls) == 0


def test_revoke_deletes_the_discount(api, sleeps):
    api.post(URL, json={"data": {"discountCodeDelete": {"deletedCodeDiscountId": NODE,
                                                        "userErrors": []}}})
    provider(sleeps).revoke_code(NODE, make_spec())
    assert "discountCodeDelete(id: $id)" in sent(api)["query"]
    assert sent(api)["variables"] == {"id": NODE}


def test_revoke_without_a_reference_finds_the_code_first(api, sleeps):
    api.post(URL, json=lookup(TITLE))
    api.post(URL, json={"data": {"discountCodeDelete": {"deletedCodeDiscountId": NODE,
                                                        "userErrors": []}}})
    provider(sleeps).revoke_code(None, make_spec())
    assert sent(api, 1)["variables"] == {"id": NODE}


def test_revoking_a_code_that_is_gone_is_done(api, sleeps):
    api.post(URL, json=lookup(None))
    provider(sleeps).revoke_code(None, make_spec())  # never made: nothing to delete

    api.post(URL, json={"data": {"discountCodeDelete": {"deletedCodeDiscountId": None, "userErrors": [
        {"field": ["id"], "code": "INVALID", "message": "Discount does not exist"}]}}})
    api.post(URL, json=lookup(None))
    provider(sleeps).revoke_code(NODE, make_spec())


def test_a_refused_revoke_of_a_code_still_there_is_rejected(api, sleeps):
    api.post(URL, json={"data": {"discountCodeDelete": {"deletedCodeDiscountId": None, "userErrors": [
        {"field": ["id"], "code": "INTERNAL_ERROR", "message": "Could not delete"}]}}})
    api.post(URL, json=lookup(TITLE))
    with pytest.raises(ProviderRejected, match="Could not delete"):
        provider(sleeps).revoke_code(NODE, make_spec())
