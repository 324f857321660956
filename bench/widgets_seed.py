"""The data bench/widgets.py reads: one shop, its program, and many customers with history.

The shop, tiers, rewards and widget settings go through the service's own code;
customers, ledger entries and codes are bulk SQL (``generate_series``), shaped
as the service writes them: three earn lots per customer, cached balances equal
to the ledger, a tier for those whose points reached one, a code for every fifth.

The shop runs referrals, as the demo and real shops do, so every summary shows
the customer's referral link. Nine customers in ten already have their referral
code (they have opened the panel before); the tenth draws it on their first
summary in the run, the one write a storefront read may do.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, text

from loyalty_plugin.app import create_app
from loyalty_plugin.db import get_db
from loyalty_plugin.migrate import upgrade
from loyalty_plugin.models import Platform, Reward, RewardKind, Shop, utcnow
from loyalty_plugin.rules.referrals import CODE_ALPHABET, CODE_LENGTH
from loyalty_plugin.services import tier_catalog
from loyalty_plugin.services.shops import create_shop
from loyalty_plugin.services.widget_settings import update_widget_settings

DOMAIN = "bench-widgets.myshopify.com"

CUSTOMERS = """
INSERT INTO customer_accounts (shop_id, platform_customer_id, email, first_name, last_name,
    available, pending, lifetime, tiers_version, created_at, updated_at)
SELECT :shop, 'c' || g, 'c' || g || '@bench.example', 'Bench', 'Customer ' || g, 0, 0, 0,
    :tiers_version, now(), now()
FROM generate_series(1, :customers) AS g
"""

ENTRIES = """
INSERT INTO ledger_entries (shop_id, account_id, kind, points, status, remaining, created_at,
    matured_at, source, source_ref, idempotency_key, base_amount, rate, multiplier, rule_version,
    reason)
SELECT a.shop_id, a.id, 'earn', p.points, 'available', p.points, now() - k * interval '9 days',
    now() - k * interval '9 days', 'order', 'b' || a.id || '-' || k,
    'order:b' || a.id || '-' || k || '\:earn', p.points, 1, 1, 1, 'Order #B' || a.id || '-' || k
FROM customer_accounts AS a
CROSS JOIN generate_series(1, 3) AS k
CROSS JOIN LATERAL (SELECT (a.id * 7 + k * 131) % 300 + 20 AS points) AS p
WHERE a.shop_id = :shop
"""

BALANCES = """
UPDATE customer_accounts AS a SET available = t.total, lifetime = t.total
FROM (SELECT account_id, sum(points) AS total FROM ledger_entries WHERE shop_id = :shop
      GROUP BY account_id) AS t
WHERE a.id = t.account_id
"""

TIERS = """
UPDATE customer_accounts SET tier_id = CASE WHEN lifetime >= :gold THEN :gold_id ELSE :silver_id END,
    tier_since = now()
WHERE shop_id = :shop AND lifetime >= :silver
"""

CODES = """
INSERT INTO reward_codes (shop_id, account_id, reward_id, code, status, origin, kind, value,
    min_order_subtotal, points_spent, provider, expires_at, created_at, issued_at)
SELECT a.shop_id, a.id, :reward, 'BENCH-' || a.id, 'issued', 'admin', 'fixed_amount', 5, 0, 0,
    'native', now() + interval '30 days', now(), now()
FROM customer_accounts AS a WHERE a.shop_id = :shop AND a.id % 5 = 0
"""

# The account id written in the referral codes' alphabet: unique per account, as drawn codes are.
REFERRAL_CODES = """
UPDATE customer_accounts AS a SET referral_code = (
    SELECT string_agg(substr(:alphabet, ((a.id / power(:base, k)::bigint) % :base)::int + 1, 1), ''
                      ORDER BY k DESC)
    FROM generate_series(0, :length - 1) AS k)
WHERE a.shop_id = :shop AND a.id % 10 <> 0
"""


def seed(url: str, *, customers: int, origin: str) -> tuple[int, str]:
    """Seed the benchmark database (once); returns the shop's id and widget secret."""
    app = create_app({"LOYALTY_DATABASE_URL": url, "LOYALTY_SCHEMA_CHECK": False,
                      "LOYALTY_LOG_LEVEL": "WARNING"})
    with app.app_context():
        engine = get_db().engine
        upgrade(engine)
        with get_db().transaction() as session:
            shop = session.execute(select(Shop).where(Shop.domain == DOMAIN)).unique().scalar_one_or_none()
            if shop is not None:
                return shop.id, shop.widget_secret
            now = utcnow()
            shop = create_shop(session, platform=Platform.SHOPIFY, domain=DOMAIN, now=now).shop
            shop.settings.referrals_enabled, shop.settings.referral_points = True, 500
            update_widget_settings(session, shop, {"storefront_origins": [origin]}, now)
            silver = tier_catalog.create_tier(session, shop, dict(
                name="Silver", threshold=Decimal("300"), multiplier=Decimal("1.25"),
                perks=["Early access"]), now)
            gold = tier_catalog.create_tier(session, shop, dict(
                name="Gold", threshold=Decimal("700"), multiplier=Decimal("1.5"),
                perks=["Free shipping", "Birthday gift"]), now)
            rewards = [Reward(shop_id=shop.id, name=name, kind=kind, points_cost=cost, value=Decimal(v))
                       for name, kind, cost, v in (
                           ("Free shipping", RewardKind.FREE_SHIPPING, 200, "0"),
                           ("$5 off", RewardKind.FIXED_AMOUNT, 300, "5"),
                           ("10% off", RewardKind.PERCENTAGE, 800, "10"),
                           ("$1 per 100 points", RewardKind.VARIABLE, 100, "1"),
                           ("Gold gift", RewardKind.FREE_PRODUCT, 400, "0"))]
            rewards[-1].required_tier_id = gold.id
            session.add_all(rewards)
            session.flush()
            params = {"shop": shop.id, "customers": customers, "gold": 700, "silver": 300,
                      "gold_id": gold.id, "silver_id": silver.id, "reward": rewards[1].id,
                      "tiers_version": shop.settings.tiers_version, "alphabet": CODE_ALPHABET,
                      "base": len(CODE_ALPHABET), "length": CODE_LENGTH}
            for statement in (CUSTOMERS, ENTRIES, BALANCES, TIERS, CODES, REFERRAL_CODES):
                session.execute(text(statement), params)
            shop_id, secret = shop.id, shop.widget_secret
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # What autovacuum leaves a shop's tables in once their rows are in: visibility
            # maps set (index-only scans skip the heap) and statistics current. A server
            # running without autovacuum would otherwise be measured on freshly loaded pages.
            connection.exec_driver_sql("VACUUM (ANALYZE)")
        engine.dispose()
    return shop_id, secret
