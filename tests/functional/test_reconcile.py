"""Reconciliation over fake platform APIs (``responses``): missed orders applied once, known
orders left alone, failures counted without stopping the run."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import responses
import stripe
from sqlalchemy import select

from loyalty_plugin.encryption import box_from_config
from loyalty_plugin.jobs.registry import run_job
from loyalty_plugin.models import CustomerAccount, Order, Platform, utcnow
from loyalty_plugin.services.credentials import set_credentials
from loyalty_plugin.services.ledger import verify_balances
from tests.factories import fixture_bytes, make_shop, post_shopify, shopify_order
from webhooks.reconcile import reconcile_shop
from webhooks.woocommerce import sign as sign_woocommerce

SINCE = dt.datetime(2026, 11, 17, tzinfo=dt.timezone.utc)
GRAPHQL = "https://recon.myshopify.com/admin/api/2026-10/graphql.json"
BC = "https://api.bigcommerce.com/stores/abc123"
WOO = "https://woo.example.com/wp-json/wc/v3/orders"
STRIPE_SESSIONS = "https://api.stripe.com/v1/checkout/sessions"


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def configure(app, session, platform: Platform, domain: str, **values):
    shop, api_key = make_shop(session, platform=platform, domain=domain)
    set_credentials(session, shop.id, box_from_config(app.config), values=values, now=utcnow())
    return shop, api_key


def run(app, database, shop):
    return reconcile_shop(database, shop.id, SINCE, box_from_config(app.config))


def balance(session, shop, customer_id: str) -> int:
    return session.execute(select(CustomerAccount.available).where(
        CustomerAccount.shop_id == shop.id, CustomerAccount.platform_customer_id == customer_id)
    ).scalar_one()


# --- Shopify (GraphQL Admin API) --------------------------------------------------------------

def money(amount: str) -> dict:
    return {"shopMoney": {"amount": amount, "currencyCode": "USD"}}


def graphql_order(order_id: int, *, subtotal: str = "120.00", customer: int = 77,
                  status: str = "PAID", refunds: list | None = None) -> dict:
    return {
        "id": f"gid://shopify/Order/{order_id}", "legacyResourceId": str(order_id),
        "name": f"#{order_id % 10000}", "email": "bob.norman@example.com", "test": False,
        "cancelledAt": None, "updatedAt": "2026-11-20T15:00:00Z", "currencyCode": "USD",
        "taxesIncluded": False, "displayFinancialStatus": status,
        "displayFulfillmentStatus": "UNFULFILLED", "discountCodes": [],
        "customer": {"id": f"gid://shopify/Customer/{customer}", "firstName": "Bob",
                     "lastName": "Norman"},
        "subtotalPriceSet": money(subtotal), "totalTaxSet": money("8.00"),
        "totalShippingPriceSet": money("10.00"),
        "lineItems": {"nodes": [{"isGiftCard": False, "quantity": 1, "originalTotalSet": money(subtotal),
                                 "discountAllocations": [], "taxLines": []}]},
        "refunds": refunds or [],
    }


def fake_shopify(api, orders: dict[str, dict | None]):
    """One GraphQL endpoint: the id listing, then each order; ``None`` answers 'no such order'."""
    def reply(request):
        sent = json.loads(request.body)
        if "ChangedOrders" in sent["query"]:
            nodes = [{"id": f"gid://shopify/Order/{i}", "legacyResourceId": i} for i in orders]
            data = {"orders": {"nodes": nodes, "pageInfo": {"hasNextPage": False, "endCursor": None}}}
        else:
            data = {"order": orders[sent["variables"]["id"].rsplit("/", 1)[-1]]}
        return 200, {}, json.dumps({"data": data})

    api.add_callback(responses.POST, GRAPHQL, callback=reply, content_type="application/json")


def shopify_shop(app, session):
    return configure(app, session, Platform.SHOPIFY, "recon.myshopify.com", access_token="shpat_recon")


def test_shopify_missed_order_is_applied_once_and_a_second_run_applies_nothing(
        app, database, session, api):
    shop, _ = shopify_shop(app, session)
    fake_shopify(api, {"5001": graphql_order(5001)})

    first = run(app, database, shop)
    second = run(app, database, shop)

    assert (first.seen, first.applied, first.already_known, first.failed) == (1, 1, 0, 0)
    assert first.complete
    assert (second.seen, second.applied, second.already_known, second.failed) == (1, 0, 1, 0)
    assert balance(session, shop, "77") == 120
    assert api.calls[0].request.headers["X-Shopify-Access-Token"] == "shpat_recon"


def test_shopify_order_known_from_its_webhook_is_already_known(app, client, database, session, api):
    shop, _ = shopify_shop(app, session)
    delivered = post_shopify(client, shop, "orders/paid", shopify_order(5002, customer_id=77))
    assert delivered.json["note"] == "awarded 100 points"
    fake_shopify(api, {"5002": graphql_order(5002, subtotal="100.00")})

    summary = run(app, database, shop)

    assert (summary.seen, summary.applied, summary.already_known) == (1, 0, 1)
    assert balance(session, shop, "77") == 100


def test_shopify_refund_seen_only_by_reconciliation_is_applied(app, client, database, session, api):
    shop, _ = shopify_shop(app, session)
    post_shopify(client, shop, "orders/paid", shopify_order(5003, customer_id=77))
    refund = {"id": "gid://shopify/Refund/9", "legacyResourceId": "9", "createdAt": "2026-11-21T09:00:00Z",
              "refundLineItems": {"nodes": [{"quantity": 1, "lineItem": {"isGiftCard": False},
                                             "subtotalSet": money("25.00"), "totalTaxSet": money("2.00")}]},
              "transactions": {"nodes": [{"kind": "REFUND", "status": "SUCCESS"}]}}
    fake_shopify(api, {"5003": graphql_order(5003, subtotal="100.00", status="PARTIALLY_REFUNDED",
                                             refunds=[refund])})

    summary = run(app, database, shop)

    assert (summary.applied, summary.already_known) == (1, 0)
    assert balance(session, shop, "77") == 75
    assert verify_balances(session, shop_id=shop.id) == []


def test_shopify_a_failing_order_is_counted_and_the_others_still_apply(app, database, session, api):
    shop, _ = shopify_shop(app, session)
    broken = graphql_order(6002)
    broken["subtotalPriceSet"] = money("a lot")
    fake_shopify(api, {"6001": graphql_order(6001, customer=81), "6002": broken, "6003": None,
                       "6004": graphql_order(6004, customer=84)})

    summary = run(app, database, shop)

    assert (summary.seen, summary.applied, summary.failed) == (4, 2, 2)
    assert [f["order_id"] for f in summary.failures] == ["6002", "6003"]
    assert "subtotalPriceSet.shopMoney.amount is not a number" in summary.failures[0]["error"]
    assert "no order 6003" in summary.failures[1]["error"]
    assert balance(session, shop, "81") == balance(session, shop, "84") == 120


def test_shopify_listing_failure_ends_the_run_incomplete(app, database, session, api):
    shop, _ = shopify_shop(app, session)
    api.post(GRAPHQL, status=401, json={"errors": "[API] Invalid API key or access token"})
    summary = run(app, database, shop)
    assert not summary.complete and summary.seen == 0
    assert "Shopify answered 401" in summary.error
    assert "shpat_recon" not in summary.error


# --- BigCommerce --------------------------------------------------------------------------

BC_ORDER = {"id": 250, "customer_id": 11, "status_id": 11, "date_modified": "Tue, 25 Jun 2019 16:15:35 +0000",
            "shipping_cost_ex_tax": "10.0000", "total_tax": "8.0000", "default_currency_code": "USD",
            "billing_address": {"email": "janedoe@example.com"}}
BC_PRODUCTS = [{"id": 65, "type": "physical", "quantity": 2, "total_ex_tax": "100.0000",
                "applied_discounts": [{"amount": "10.0000", "code": "SAVE10"}]}]


def bigcommerce_shop(app, session):
    return configure(app, session, Platform.BIGCOMMERCE, "recon.mybigcommerce.com", store_hash="abc123",
                     access_token="bc-token", client_secret="bc-client-secret")


def serve_bigcommerce(api, orders: list[dict], *, broken: set[int] = frozenset()):
    api.get(f"{BC}/v2/orders", json=orders)
    for order in orders:
        if order["id"] in broken:
            api.get(f"{BC}/v2/orders/{order['id']}/products", status=404,
                    json=[{"status": 404, "message": "The requested resource was not found."}])
            continue
        api.get(f"{BC}/v2/orders/{order['id']}/products", json=BC_PRODUCTS)
        api.get(f"{BC}/v3/orders/{order['id']}/payment_actions/refunds", json={"data": [], "meta": {}})


def test_bigcommerce_missed_order_is_applied_once_and_a_second_run_applies_nothing(
        app, database, session, api):
    shop, _ = bigcommerce_shop(app, session)
    serve_bigcommerce(api, [BC_ORDER])

    first = run(app, database, shop)
    second = run(app, database, shop)

    assert (first.seen, first.applied, first.failed) == (1, 1, 0)
    assert (second.seen, second.applied, second.already_known) == (1, 0, 1)
    assert balance(session, shop, "11") == 90
    listing = api.calls[0].request
    assert "min_date_modified=2026-11-17T00%3A00%3A00%2B00%3A00" in listing.url


def test_bigcommerce_order_known_from_its_webhook_is_already_known(app, client, database, session, api):
    shop, _ = bigcommerce_shop(app, session)
    serve_bigcommerce(api, [BC_ORDER])
    api.get(f"{BC}/v2/orders/250", json=BC_ORDER)
    body = fixture_bytes("bigcommerce/store_order_statusUpdated.json")
    delivered = client.post(f"/webhooks/bigcommerce/{shop.id}", data=body, headers={
        "Content-Type": "application/json", "X-Loyalty-Webhook-Token": shop.webhook_secret})
    assert delivered.json["note"] == "awarded 90 points"

    summary = run(app, database, shop)

    assert (summary.seen, summary.applied, summary.already_known) == (1, 0, 1)


def test_bigcommerce_a_failing_order_is_counted_and_the_others_still_apply(app, database, session, api):
    shop, _ = bigcommerce_shop(app, session)
    serve_bigcommerce(api, [{**BC_ORDER, "id": 251, "customer_id": 21},
                            {**BC_ORDER, "id": 252, "customer_id": 22},
                            {**BC_ORDER, "id": 253, "customer_id": 23}], broken={252})

    summary = run(app, database, shop)

    assert (summary.seen, summary.applied, summary.failed) == (3, 2, 1)
    assert summary.failures[0]["order_id"] == "252"
    assert "404" in summary.failures[0]["error"]
    orders = session.execute(select(Order.platform_order_id).where(Order.shop_id == shop.id)).scalars()
    assert sorted(orders) == ["251", "253"]


# --- WooCommerce --------------------------------------------------------------------------

def woo_order(order_id: int, *, customer: int = 26, total: str = "39.00", status: str = "completed",
              refunds: list | None = None) -> dict:
    """The shape of the REST docs' order 723 (``_orders.md``), trimmed to what matters here."""
    return {"id": order_id, "number": str(order_id), "status": status, "currency": "USD",
            "date_modified_gmt": "2026-11-20T15:00:00", "customer_id": customer,
            "discount_total": "0.00", "shipping_total": "10.00", "total_tax": "0.00", "total": total,
            "billing": {"first_name": "John", "last_name": "Doe", "email": "john.doe@example.com"},
            "line_items": [{"id": 315, "quantity": 1, "subtotal": "29.00", "total": "29.00"}],
            "fee_lines": [], "coupon_lines": [], "refunds": refunds or []}


def woocommerce_shop(app, session):
    return configure(app, session, Platform.WOOCOMMERCE, "woo.example.com",
                     api_url="https://woo.example.com", consumer_key="ck_recon",
                     consumer_secret="cs_recon")


def serve_woocommerce(api, orders: list[dict]):
    api.get(WOO, json=orders, headers={"X-WP-TotalPages": "1", "X-WP-Total": str(len(orders))})


def test_woocommerce_missed_order_is_applied_once_and_a_second_run_applies_nothing(
        app, database, session, api):
    shop, _ = woocommerce_shop(app, session)
    serve_woocommerce(api, [woo_order(723, refunds=[{"id": 726, "total": "-10.00"}])])

    first = run(app, database, shop)
    second = run(app, database, shop)

    assert (first.seen, first.applied, first.failed) == (1, 1, 0)
    assert (second.seen, second.applied, second.already_known) == (1, 0, 1)
    # 29.00 earned, then the refund of 10.00 of the 39.00 paid takes back that share of it.
    assert balance(session, shop, "26") == 22
    assert "modified_after=2026-11-17T00%3A00%3A00" in api.calls[0].request.url


def test_woocommerce_order_known_from_its_webhook_is_already_known(app, client, database, session, api):
    shop, _ = woocommerce_shop(app, session)
    body = json.dumps(woo_order(724)).encode()
    delivered = client.post(f"/webhooks/woocommerce/{shop.id}", data=body, headers={
        "Content-Type": "application/json", "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-Signature": sign_woocommerce(body, shop.webhook_secret)})
    assert delivered.json["note"] == "awarded 29 points"
    serve_woocommerce(api, [woo_order(724)])

    summary = run(app, database, shop)

    assert (summary.seen, summary.applied, summary.already_known) == (1, 0, 1)


def test_woocommerce_a_failing_order_is_counted_and_the_others_still_apply(app, database, session, api):
    shop, _ = woocommerce_shop(app, session)
    broken = {**woo_order(802, customer=32), "line_items": [{"id": 1, "total": "many"}]}
    serve_woocommerce(api, [woo_order(801, customer=31), broken, {"status": "completed"},
                            woo_order(803, customer=33)])

    summary = run(app, database, shop)

    assert (summary.seen, summary.applied, summary.failed) == (4, 2, 2)
    assert [f["order_id"] for f in summary.failures] == ["802", "?"]
    assert balance(session, shop, "31") == balance(session, shop, "33") == 29


# --- Stripe (Checkout Sessions) ----------------------------------------------------------

def checkout_session(number: int, *, customer: str = "cus_R1", subtotal: int | None = 5000,
                     currency: str = "usd") -> dict:
    """A completed, paid session in the shape of stripe/openapi's ``checkout.session`` fixture."""
    return {"id": f"cs_live_a1{number}", "object": "checkout.session", "mode": "payment",
            "status": "complete", "payment_status": "paid", "payment_intent": f"pi_3Rec{number}",
            "currency": currency, "amount_subtotal": subtotal, "amount_total": 5500,
            "total_details": {"amount_discount": 500, "amount_shipping": 0, "amount_tax": 1000},
            "customer": customer, "customer_details": {"email": "jenny.rosen@example.com"},
            "customer_email": None, "client_reference_id": None, "livemode": True,
            "created": 1763900000}


def stripe_shop(app, session):
    return configure(app, session, Platform.STRIPE, "checkout.example.com", secret_key="sk_live_recon")


def serve_stripe(api, sessions: list[dict]):
    api.get(STRIPE_SESSIONS, json={"object": "list", "url": "/v1/checkout/sessions", "has_more": False,
                                   "data": sessions})


def test_stripe_missed_session_is_applied_once_and_a_second_run_applies_nothing(
        app, database, session, api):
    shop, _ = stripe_shop(app, session)
    serve_stripe(api, [checkout_session(1), checkout_session(2, customer="cus_JP", currency="jpy")])

    first = run(app, database, shop)
    second = run(app, database, shop)

    assert (first.seen, first.applied, first.failed) == (2, 2, 0)
    assert (second.seen, second.applied, second.already_known) == (2, 0, 2)
    assert balance(session, shop, "cus_R1") == 45  # (5000 - 500) cents
    assert balance(session, shop, "cus_JP") == 4500  # zero-decimal yen
    request = api.calls[0].request
    assert request.headers["Authorization"] == "Bearer sk_live_recon"
    assert "status=complete" in request.url and f"created%5Bgte%5D={int(SINCE.timestamp())}" in request.url


def test_stripe_session_known_from_its_webhook_is_already_known(app, client, database, session, api):
    shop, _ = stripe_shop(app, session)
    event = {"id": "evt_1Rec", "object": "event", "type": "checkout.session.completed",
             "data": {"object": checkout_session(3)}, "livemode": True}
    body = json.dumps(event).encode()
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), shop.webhook_secret)
    delivered = client.post(f"/webhooks/stripe/{shop.id}", data=body, headers={
        "Content-Type": "application/json", "Stripe-Signature": header})
    assert delivered.json["note"] == "awarded 45 points"
    serve_stripe(api, [checkout_session(3)])

    summary = run(app, database, shop)

    assert (summary.seen, summary.applied, summary.already_known) == (1, 0, 1)


def test_stripe_a_failing_session_is_counted_and_the_others_still_apply(app, database, session, api):
    shop, _ = stripe_shop(app, session)
    serve_stripe(api, [checkout_session(4, customer="cus_A"), checkout_session(5, subtotal=None),
                       checkout_session(6, customer="cus_B")])

    summary = run(app, database, shop)

    assert (summary.seen, summary.applied, summary.failed) == (3, 2, 1)
    assert summary.failures == [{"order_id": "pi_3Rec5",
                                 "error": "malformed order: amount_subtotal is missing on a paid session"}]
    assert balance(session, shop, "cus_A") == balance(session, shop, "cus_B") == 45


# --- the command --------------------------------------------------------------------------

def test_reconcile_command_prints_a_json_summary_and_exits_1_on_failures(app, session, api):
    shop, _ = shopify_shop(app, session)
    fake_shopify(api, {"7001": graphql_order(7001), "7002": None})
    result = app.test_cli_runner().invoke(args=["reconcile", "--shop", str(shop.id), "--since",
                                                "2026-11-17", "--json"])
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert {k: summary[k] for k in ("shop_id", "platform", "since", "seen", "applied",
                                    "already_known", "failed", "complete")} == {
        "shop_id": shop.id, "platform": "shopify", "since": "2026-11-17T00:00:00+00:00", "seen": 2,
        "applied": 1, "already_known": 0, "failed": 1, "complete": True}

    again = app.test_cli_runner().invoke(args=["reconcile", "--shop", str(shop.id), "--since", "7d"])
    assert "Orders seen 2, applied 0, already known 1, failed 1." in again.stdout
    assert "Reconciling shop" in again.stderr


@pytest.mark.parametrize("since, message", [("yesterday", "neither Nd, Nh nor an ISO date"),
                                            ("2999-01-01", "cannot start in the future")])
def test_reconcile_command_rejects_a_bad_window(app, session, since, message):
    shop, _ = shopify_shop(app, session)
    result = app.test_cli_runner().invoke(args=["reconcile", "--shop", str(shop.id), "--since", since])
    assert result.exit_code == 2 and message in result.output


def test_reconcile_command_without_credentials_says_what_to_set(app, session):
    shop, _ = make_shop(session)
    result = app.test_cli_runner().invoke(args=["reconcile", "--shop", str(shop.id)])
    assert result.exit_code == 1
    assert "access_token missing" in result.output
    assert "loyalty shop credentials" in result.output


# --- the scheduled job ----------------------------------------------------------------------

def test_the_reconcile_job_covers_connected_shops_and_a_second_run_applies_nothing(
        app, session, database, api):
    shop, _ = shopify_shop(app, session)
    make_shop(session)  # a shop without credentials is not asked
    session.commit()
    fake_shopify(api, {"7101": graphql_order(7101)})
    now = dt.datetime(2026, 11, 20, 16, tzinfo=dt.timezone.utc)

    assert run_job(app, database, "reconcile", now) == 1
    assert run_job(app, database, "reconcile", now) == 0
    assert balance(session, shop, "77") == 120
