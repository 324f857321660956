"""The default discount provider of each platform, from the shop's stored credentials."""
from __future__ import annotations

import pytest

from loyalty_plugin.encryption import box_from_config
from loyalty_plugin.errors import ProviderNotConfigured
from loyalty_plugin.models import Platform, utcnow
from loyalty_plugin.providers.bigcommerce_promotions import BigCommercePromotionProvider
from loyalty_plugin.providers.discounts import default_factory, discount_provider
from loyalty_plugin.providers.shopify_discounts import ShopifyDiscountProvider
from loyalty_plugin.providers.stripe_promotions import StripePromotionProvider
from loyalty_plugin.providers.woocommerce_coupons import WooCommerceCouponProvider
from loyalty_plugin.services.credentials import set_credentials
from tests.factories import make_shop

CREDENTIALS = {
    Platform.SHOPIFY: ({"access_token": "shpat_secret"}, ShopifyDiscountProvider),
    Platform.WOOCOMMERCE: ({"consumer_key": "ck_1", "consumer_secret": "cs_secret"},
                           WooCommerceCouponProvider),
    Platform.BIGCOMMERCE: ({"store_hash": "abc123", "access_token": "bc_secret"},
                           BigCommercePromotionProvider),
    Platform.STRIPE: ({"secret_key": "sk_test_secret"}, StripePromotionProvider),
}


@pytest.mark.parametrize("platform", list(CREDENTIALS))
def test_each_platform_gets_its_own_provider_once_connected(app, session, platform):
    values, provider_type = CREDENTIALS[platform]
    shop, _ = make_shop(session, platform=platform)

    with pytest.raises(ProviderNotConfigured) as excinfo:
        default_factory(shop, app)
    assert excinfo.value.status == 503 and f"no {platform.value} API credentials" in excinfo.value.message

    set_credentials(session, shop.id, box_from_config(app.config), values=values, now=utcnow())
    provider = default_factory(shop, app)
    assert isinstance(provider, provider_type) and provider.name == platform.value
    assert not provider.local


def test_the_app_uses_the_default_factory_and_reads_a_detached_shop_in_its_own_transaction(
        app, session):
    shop, _ = make_shop(session, platform=Platform.WOOCOMMERCE)
    set_credentials(session, shop.id, box_from_config(app.config),
                    values={"consumer_key": "ck_1", "consumer_secret": "cs_secret"}, now=utcnow())
    session.commit()
    session.expunge(shop)  # as the codes job holds it: loaded in a session already closed

    with app.app_context():
        assert isinstance(discount_provider(shop), WooCommerceCouponProvider)
    assert isinstance(discount_provider(shop, app), WooCommerceCouponProvider)
