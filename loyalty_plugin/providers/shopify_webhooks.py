"""Shopify Admin GraphQL at install time: the shop's settings and its webhook subscriptions.

The privacy topics (``customers/data_request``, ``customers/redact``,
``shop/redact``) cannot be subscribed through the API: they are declared in the
app's ``shopify.app.toml`` (``compliance_topics``) or its Partner Dashboard.
"""
from __future__ import annotations

from collections.abc import Iterator

from ..errors import ProviderRejected
from .shopify import PAGE_SIZE, ShopifyProvider
from .subscriptions import WebhookSync

# What webhooks.shopify handles, as WebhookSubscriptionTopic values.
WEBHOOK_TOPICS = ("ORDERS_CREATE", "ORDERS_PAID", "ORDERS_UPDATED", "ORDERS_FULFILLED",
                  "ORDERS_CANCELLED", "REFUNDS_CREATE", "CUSTOMERS_CREATE", "CUSTOMERS_UPDATE",
                  "APP_UNINSTALLED")

SHOP_QUERY = "query LoyaltyShop { shop { currencyCode ianaTimezone } }"

SUBSCRIPTIONS_QUERY = """
query LoyaltyWebhookSubscriptions($first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id topic uri }
  }
}
"""

CREATE_SUBSCRIPTION = """
mutation LoyaltyWebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!,
                                          $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""


def shop_settings(provider: ShopifyProvider) -> tuple[str | None, str | None]:
    """The shop's currency and IANA time zone, as Shopify knows them."""
    shop = provider.graphql(SHOP_QUERY, {}).get("shop")
    if not isinstance(shop, dict):
        return None, None
    currency, zone = shop.get("currencyCode"), shop.get("ianaTimezone")
    return (currency if isinstance(currency, str) else None, zone if isinstance(zone, str) else None)


def webhook_subscriptions(provider: ShopifyProvider) -> Iterator[dict]:
    after: str | None = None
    while True:
        data = provider.graphql(SUBSCRIPTIONS_QUERY, {"first": PAGE_SIZE, "after": after})
        connection = data.get("webhookSubscriptions") or {}
        yield from (node for node in connection.get("nodes") or [] if isinstance(node, dict))
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage") or not page.get("endCursor"):
            return
        after = page["endCursor"]


def ensure_webhook_subscriptions(provider: ShopifyProvider, uri: str) -> WebhookSync:
    """Subscribe ``uri`` to every topic not already subscribed to it; nothing twice."""
    existing = {(node.get("topic"), node.get("uri")) for node in webhook_subscriptions(provider)}
    sync = WebhookSync()
    for topic in WEBHOOK_TOPICS:
        if (topic, uri) in existing:
            sync.kept.append(topic)
            continue
        data = provider.graphql(CREATE_SUBSCRIPTION, {
            "topic": topic, "webhookSubscription": {"uri": uri, "format": "JSON"}}, read_only=False)
        result = data.get("webhookSubscriptionCreate") or {}
        errors = [e for e in result.get("userErrors") or [] if isinstance(e, dict)]
        if errors or not isinstance(result.get("webhookSubscription"), dict):
            messages = "; ".join(str(e.get("message"))[:200] for e in errors[:3]) or "no subscription"
            raise ProviderRejected(f"Shopify refused the {topic} webhook subscription: {messages}.",
                                   details={"platform": "shopify", "topic": topic})
        sync.created.append(topic)
    return sync
