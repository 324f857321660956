"""The ``loyalty`` command, run against the test database."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import select, update

from loyalty_plugin.models import (ApiKey, CustomerAccount, DeliveryStatus, InboundDelivery, Shop,
                                   utcnow)
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.factories import make_order, make_shop, post_shopify, shopify_order


def test_shop_create_prints_one_json_object(app, session):
    result = app.test_cli_runner().invoke(args=[
        "shop", "create", "--platform", "shopify", "--domain", "https://Cli-Shop.myshopify.com/",
        "--currency", "eur", "--webhook-secret", "given-secret", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"id", "api_key", "webhook_secret", "widget_secret", "webhook_url"} <= data.keys()
    assert data["webhook_secret"] == "given-secret"
    assert data["webhook_url"] == f"https://loyalty.example.test/webhooks/shopify/{data['id']}"
    shop = session.execute(select(Shop).where(Shop.id == data["id"])).scalar_one()
    assert (shop.domain, shop.currency) == ("cli-shop.myshopify.com", "EUR")
    # The API key is stored hashed only.
    stored = session.execute(select(ApiKey).where(ApiKey.shop_id == shop.id)).scalar_one()
    assert stored.key_hash == hashlib.sha256(data["api_key"].encode()).hexdigest()
    assert data["api_key"] not in (stored.key_hash, stored.prefix)
    client = app.test_client()
    response = client.get("/api/v1/customers/x", headers={"Authorization": f"Bearer {data['api_key']}"})
    assert response.status_code == 404


def test_shop_create_rejects_bad_input_and_duplicates(app):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["shop", "create", "--platform", "shopify", "--domain", "x.myshopify.com",
                              "--currency", "dollars"])
    assert bad.exit_code != 0 and "currency" in bad.output
    bad_zone = runner.invoke(args=["shop", "create", "--platform", "shopify", "--domain", "y.myshopify.com",
                                   "--timezone", "Mars/Olympus"])
    assert bad_zone.exit_code != 0 and "time zone" in bad_zone.output
    args = ["shop", "create", "--platform", "shopify", "--domain", "twice.myshopify.com"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "exists already" in again.output


def test_ledger_verify_exits_non_zero_when_a_cache_drifts(app, session):
    shop, _ = make_shop(session)
    post_shopify(app.test_client(), shop, "orders/paid", shopify_order(customer_id=12))
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["ledger", "verify", "--shop", str(shop.id)])
    assert ok.exit_code == 0, ok.output
    account = find_by_external_id(session, shop.id, "12")
    session.execute(update(CustomerAccount).where(CustomerAccount.id == account.id)
                    .values(available=CustomerAccount.available + 1))
    session.commit()
    drifted = runner.invoke(args=["ledger", "verify", "--shop", str(shop.id)])
    assert drifted.exit_code == 1
    assert "available cached 101, ledger says 100" in drifted.output


def test_webhooks_replay_applies_a_failed_delivery_once(app, session, monkeypatch):
    shop, _ = make_shop(session)
    client = app.test_client()

    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("webhooks.pipeline.apply_event", explode)
    response = post_shopify(client, shop, "orders/paid", shopify_order(customer_id=21), webhook_id="f1")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_error"
    assert "went away" not in response.get_data(as_text=True)
    delivery = session.execute(select(InboundDelivery).where(
        InboundDelivery.delivery_id == "f1")).scalar_one()
    assert delivery.status is DeliveryStatus.FAILED and delivery.body
    monkeypatch.undo()

    runner = app.test_cli_runner()
    result = runner.invoke(args=["webhooks", "replay", "--shop", str(shop.id)])
    assert result.exit_code == 0, result.output
    assert "Replayed 1 of 1" in result.output
    assert find_by_external_id(session, shop.id, "21").available == 100
    again = runner.invoke(args=["webhooks", "replay", "--id", str(delivery.id)])
    assert again.exit_code == 0
    session.expire_all()
    assert find_by_external_id(session, shop.id, "21").available == 100


def test_jobs_run_due_matures_pending_points_and_a_second_run_does_nothing(app, session):
    shop, _ = make_shop(session, pending_days=14)
    apply_order_snapshot(session, shop, make_order("old", customer_id="30", items="25"),
                         utcnow() - dt.timedelta(days=15))
    session.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "run-due"])
    assert result.exit_code == 0 and "mature_points: 1" in result.output, result.output
    account = find_by_external_id(session, shop.id, "30")
    session.refresh(account)
    assert (account.available, account.pending) == (25, 0)
    again = app.test_cli_runner().invoke(args=["jobs", "run-due"])
    assert again.exit_code == 0 and "mature_points: 0" in again.output


def test_jobs_list_and_unknown_job(app):
    listed = app.test_cli_runner().invoke(args=["jobs", "list"])
    assert {"mature_points", "tiers", "expiry", "ledger_audit"} <= {
        line.split()[0] for line in listed.output.splitlines()}
    unknown = app.test_cli_runner().invoke(args=["jobs", "run", "nope"])
    assert unknown.exit_code == 2 and "unknown job" in unknown.output


def test_worker_without_a_broker_says_what_to_set(app):
    result = app.test_cli_runner().invoke(args=["jobs", "enqueue", "tiers"])
    assert result.exit_code == 1 and "LOYALTY_BROKER_URL" in result.output


def test_db_current_shows_head(app):
    result = app.test_cli_runner().invoke(args=["db", "current"])
    assert result.exit_code == 0
    assert "head:" in result.output


def test_webhook_secret_rotation_keeps_the_previous_secret_until_dropped(app, session):
    shop, _ = make_shop(session, webhook_secret="old-secret")
    session.commit()
    result = app.test_cli_runner().invoke(
        args=["shop", "webhook-secret", "--shop", str(shop.id), "--secret", "stdin"], input="whsec_new\n")
    assert result.exit_code == 0, result.output
    session.refresh(shop)
    assert (shop.webhook_secret, shop.previous_webhook_secret) == ("whsec_new", "old-secret")
    assert "whsec_new" not in result.output
    dropped = app.test_cli_runner().invoke(
        args=["shop", "webhook-secret", "--shop", str(shop.id), "--drop-previous"])
    assert dropped.exit_code == 0
    session.refresh(shop)
    assert shop.webhook_secrets() == ["whsec_new"]
    missing = app.test_cli_runner().invoke(args=["shop", "webhook-secret", "--shop", "999999"])
    assert missing.exit_code == 1 and "No shop with id 999999" in missing.output
