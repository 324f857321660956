"""Reconciliation as a scheduled job: every connected shop, over the last two days."""
from __future__ import annotations

import datetime as dt
import logging

from flask import Flask
from sqlalchemy import select

from loyalty_plugin.db import Database
from loyalty_plugin.encryption import box_from_config
from loyalty_plugin.errors import LoyaltyError
from loyalty_plugin.jobs.registry import Job, register_job
from loyalty_plugin.models import Platform, Shop, ShopCredentials, ShopStatus
from loyalty_plugin.providers import ShopifyApp, ShopifyOAuth

from .reconcile import reconcile_shop

log = logging.getLogger(__name__)

# Platforms retry failed webhooks for up to a few days; two days of overlap between
# six-hourly runs catches what they gave up on, and re-applying is harmless.
WINDOW = dt.timedelta(days=2)


def register_reconcile_job(app: Flask) -> None:
    def run(database: Database, now: dt.datetime) -> int:
        shopify_app = ShopifyApp.from_config(app.config)
        return reconcile_connected_shops(database, now, box_from_config(app.config),
                                         ShopifyOAuth(shopify_app) if shopify_app else None)

    register_job(app, Job("reconcile", "Apply orders whose webhooks never arrived (last 2 days)",
                          run, dt.timedelta(hours=6)))


def reconcile_connected_shops(database: Database, now: dt.datetime, box,
                              shopify_oauth: ShopifyOAuth | None = None) -> int:
    """Returns how many orders were applied; one shop's failure does not stop the others."""
    with database.transaction() as session:
        shop_ids = session.execute(
            select(Shop.id).join(ShopCredentials, ShopCredentials.shop_id == Shop.id)
            .where(Shop.status == ShopStatus.ACTIVE, Shop.platform != Platform.CUSTOM)
            .order_by(Shop.id)).scalars().all()
    applied = 0
    for shop_id in shop_ids:
        try:
            summary = reconcile_shop(database, shop_id, now - WINDOW, box, shopify_oauth=shopify_oauth)
        except LoyaltyError as exc:
            log.warning("reconcile skipped shop=%s: %s", shop_id, exc.message)
            continue
        applied += summary.applied
        log.info("reconcile shop=%s seen=%s applied=%s known=%s failed=%s complete=%s", shop_id,
                 summary.seen, summary.applied, summary.already_known, summary.failed,
                 summary.complete)
    return applied
