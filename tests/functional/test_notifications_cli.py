"""``loyalty jobs run-due`` sends what was announced, once, to a receiver on loopback."""
from __future__ import annotations

from tests.conftest import make_test_app
from tests.factories import make_shop, post_shopify, shopify_order
from tests.receiver import Receiver, signature_is_valid


def test_run_due_delivers_each_event_once_however_often_it_runs(database, session, no_network):
    no_network.add_passthru("http://127.0.0.1")
    app = make_test_app(database, LOYALTY_WEBHOOK_ALLOW_LOOPBACK=True)
    client, runner = app.test_client(), app.test_cli_runner()
    shop, api_key = make_shop(session)
    session.commit()
    with Receiver() as receiver:
        created = client.post("/api/v1/webhook-endpoints", headers={"Authorization": f"Bearer {api_key}"},
                              json={"url": receiver.url, "event_types": ["points.earned"]})
        assert created.status_code == 201, created.json
        assert post_shopify(client, shop, "orders/paid", shopify_order(customer_id=77)).status_code == 200

        first = runner.invoke(args=["jobs", "run-due"])
        second = runner.invoke(args=["jobs", "run-due"])

    assert first.exit_code == 0, first.output
    assert "notifications: 1" in first.output
    assert "notifications: 0" in second.output
    (received,) = receiver.received
    assert signature_is_valid(received, created.json["secret"])
    assert received.event["data"]["customer"]["id"] == "77"


def test_run_due_refuses_a_malformed_smtp_url_without_echoing_it(database):
    app = make_test_app(database, LOYALTY_SMTP_URL="mailto://user:hunter2@mail.example.com")
    result = app.test_cli_runner().invoke(args=["jobs", "run-due"])
    assert result.exit_code != 0
    assert "LOYALTY_SMTP_URL" in result.output and "hunter2" not in result.output
