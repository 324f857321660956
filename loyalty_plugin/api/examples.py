"""Example answers for the API's documentation, shared by the routes that show them."""
from __future__ import annotations

WHEN = "2026-11-20T10:00:00+00:00"

CUSTOMER = {"external_id": "207119551", "email": "bob.norman@example.com", "first_name": "Bob",
            "last_name": "Norman", "points": {"available": 1250, "pending": 100, "lifetime": 2400},
            "created_at": WHEN}

LEDGER_ENTRY = {"id": 9182, "kind": "earn", "points": 100, "status": "pending", "created_at": WHEN,
                "matures_at": "2026-12-04T10:00:00+00:00", "expires_at": None, "source": "order",
                "source_ref": "5000000123", "reason": None, "actor": None, "base_amount": "100.00", "rate": "1",
                "multiplier": "1", "rule_version": 3}

TIER = {"id": 2, "name": "Gold", "threshold": "500", "multiplier": "1.5", "entry_bonus_points": 200,
        "entry_reward_id": None, "perks": ["Free shipping"], "created_at": WHEN, "updated_at": WHEN,
        "archived_at": None}

TIER_PROGRAM = {"tier_basis": "points_earned", "tier_window": "lifetime", "tier_downgrade": "requalify",
                "tier_grace_days": 0, "tier_downgrade_notice_days": 14, "tiers_version": 4}

EXPIRY_POLICY = {"expiry_policy": "inactivity", "expiry_days": 365, "expiry_warning_days": 14,
                 "expiry_enabled_at": WHEN}

BIRTHDAY = {"month": 3, "day": 14, "year": None, "set_at": WHEN, "next_payout": "2027-03-14"}

EMAIL_SETTINGS = {"enabled": True, "from_address": "rewards@shop.example", "from_name": "Shop rewards",
                  "locale": "en", "kinds": ["points_earned"], "smtp_configured": True}

EMAIL_TEMPLATE = {"kind": "points_earned", "locale": "en", "subject": "You earned {{ points }} points",
                  "text": "Hi {{ first_name }}, ...", "html": None, "custom": True}

ENDPOINT = {"id": 7, "url": "https://hooks.shop.example/loyalty", "description": "CRM sync",
            "event_types": ["points.earned"], "active": True, "created_at": WHEN, "updated_at": WHEN}

OUTBOUND_DELIVERY = {"id": 311, "event_id": 902, "event_type": "points.earned", "channel": "webhook",
                     "endpoint_id": 7, "status": "dead", "attempts": 8, "next_attempt_at": WHEN,
                     "last_status_code": 500, "last_error": "HTTP 500", "created_at": WHEN,
                     "delivered_at": None}

REFERRAL = {"id": 41, "status": "pending", "reason": None, "note": None,
            "referrer": {"external_id": "207119551"},
            "friend": {"email": "alice@example.com", "external_id": None}, "order_id": None,
            "referrer_points": 500, "welcome_code": None, "referrer_code": None, "created_at": WHEN,
            "linked_at": None, "completed_at": None, "closed_at": None}

REFERRAL_PROGRAM = {"referrals_enabled": True, "referral_points": 500, "referral_limit": 10,
                    "referral_limit_days": 30, "welcome_reward_id": 3, "referrer_reward": "points",
                    "referrer_reward_id": None}

REWARD = {"id": 3, "name": "$5 off", "description": "Five dollars off your next order",
          "kind": "fixed_amount", "points_cost": 500, "value": "5.00", "min_points": None,
          "max_points": None, "product_variant_id": None, "min_order_subtotal": "20.00",
          "validity_days": 30, "required_tier_id": None, "per_customer_limit": None, "active": True,
          "archived": False, "created_at": WHEN, "updated_at": WHEN, "archived_at": None}
REWARD_CODE = {"id": 57, "code": "SHOP-7KQ2M9XH", "status": "issued", "origin": "redemption",
               "reward_id": 3, "kind": "fixed_amount", "value": "5.00", "min_order_subtotal": "20.00",
               "product_variant_id": None, "points_spent": 500, "provider": "native",
               "platform_ref": "SHOP-7KQ2M9XH", "failure": None, "expires_at": "2026-12-20T10:00:00+00:00",
               "created_at": WHEN, "issued_at": WHEN, "used_at": None, "cancelled_at": None,
               "used_order_id": None, "order_revenue": None}
NATIVE_DISCOUNT = {"code": "SHOP-7KQ2M9XH", "type": "fixed_amount", "value": "5.00",
                   "min_order_subtotal": "20.00", "product_variant_id": None,
                   "expires_at": "2026-12-20T10:00:00+00:00"}
WIDGET_SETTINGS = {"primary_color": "#3b5bdb", "launcher_position": "bottom_right",
                   "launcher_text": "Rewards", "locale": "en",
                   "storefront_origins": ["https://shop.example"],
                   "sign_in_url": "https://shop.example/account/login",
                   "sign_up_url": "https://shop.example/account/register", "updated_at": WHEN}

PROGRAM_SETTINGS = {"points_per_unit": "1", "rounding": "floor", "include_shipping": False,
                    "include_taxes": False, "min_order_amount": "0.0000", "award_on": "paid",
                    "pending_days": 14, "skip_test_orders": True, "signup_bonus_points": 0,
                    "negative_balance": "allow", "timezone": "America/New_York", "currency": "USD",
                    "rule_version": 3, "updated_at": WHEN}
_ORDER_FIGURES = {"orders": 412, "customers": 301, "revenue": "28840.00",
                  "average_order_value": "70.00", "orders_per_customer": "1.37"}
_POINTS_FLOW = {"issued": 18250, "reversed": 400, "redeemed": 9000, "expired": 1200}
OVERVIEW = {"from": "2026-11-01", "to": "2026-11-30", "bucket": "month", "timezone": "America/New_York",
            "currency": "USD", "today": "2026-11-20",
            "buckets": [{"from": "2026-11-01", "to": "2026-11-30", "points": _POINTS_FLOW,
                         "members": 1480, "new_members": 95, "active_members": 310,
                         "code_orders": 64, "code_revenue": "5120.00"}],
            "points": _POINTS_FLOW, "members": 1480, "new_members": 95, "active_members": 310,
            "redeeming_members": 61, "redemption_rate": "0.0412", "code_orders": 64,
            "code_revenue": "5120.00",
            "orders": {"members": _ORDER_FIGURES, "guests": {**_ORDER_FIGURES, "orders": 198,
                                                             "customers": 190, "revenue": "11880.00",
                                                             "average_order_value": "60.00",
                                                             "orders_per_customer": "1.04"}},
            "liability": {"points": 152000, "pending_points": 8000, "point_value": "0.01",
                          "value": "1520.00"}}
