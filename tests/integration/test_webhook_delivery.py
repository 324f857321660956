"""Delivering outbox events to a real receiver on loopback: signed, once, retried, dead, replayed."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from loyalty_plugin.models import (EventType, OutboundDelivery, OutboundEvent, OutboundStatus,
                                   WebhookEndpoint)
from loyalty_plugin.rules.backoff import MAX_ATTEMPTS, MAX_DELAY
from loyalty_plugin.services import dispatch
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.webhook_endpoints import EndpointSettings, create_endpoint
from loyalty_plugin.services.webhook_sender import WebhookSender
from tests.factories import make_order, make_shop
from tests.receiver import SLOW, Receiver, signature_is_valid

NOW = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.timezone.utc)
LOOPBACK = EndpointSettings(allow_loopback=True)


@pytest.fixture
def channels(no_network):
    no_network.add_passthru("http://127.0.0.1")
    channels = dispatch.Channels(webhooks=WebhookSender(allow_loopback=True, timeout=(2.0, 0.3)))
    yield channels
    channels.webhooks.close()


def endpoint_for(session, shop, url: str, *types: EventType) -> tuple[WebhookEndpoint, str]:
    return create_endpoint(session, shop.id, {"url": url, "event_types": list(types)}, NOW, LOOPBACK)


def deliveries(session, shop) -> list[OutboundDelivery]:
    session.expire_all()
    return list(session.execute(select(OutboundDelivery).where(
        OutboundDelivery.shop_id == shop.id).order_by(OutboundDelivery.id)).scalars())


def run(database, channels, at: dt.datetime, *, random=lambda: 0.5) -> int:
    return dispatch.deliver_due(database, at, channels=channels, rng=random)


def test_a_receiver_gets_each_subscribed_event_once_and_can_verify_it(database, session, channels):
    shop, _ = make_shop(session)
    with Receiver() as receiver:
        endpoint, secret = endpoint_for(session, shop, receiver.url, EventType.POINTS_EARNED)
        apply_order_snapshot(session, shop, make_order("A1", customer_id="c1", items="20"), NOW)
        apply_order_snapshot(session, shop, make_order("A2", customer_id="c2", items="30"), NOW)
        apply_order_snapshot(session, shop, make_order("A2", customer_id="c2", items="30",
                                                       cancelled=True), NOW)  # not subscribed
        session.commit()

        assert run(database, channels, NOW) == 2
        assert run(database, channels, NOW) == 0
        assert run(database, channels, NOW + dt.timedelta(days=30)) == 0

    assert len(receiver.received) == 2
    events = session.execute(select(OutboundEvent).where(
        OutboundEvent.type == EventType.POINTS_EARNED).order_by(OutboundEvent.id)).scalars().all()
    for received, event in zip(receiver.received, events):
        assert signature_is_valid(received, secret)
        assert not signature_is_valid(received, "whsec_someone-else")
        assert received.event == {"id": event.id, "type": "points.earned",
                                  "created_at": NOW.isoformat(), "shop_id": shop.id,
                                  "data": event.payload}
        assert received.headers["X-Loyalty-Event-Id"] == str(event.id)
        assert received.headers["Content-Type"] == "application/json"
    assert [r.event["data"]["points"] for r in receiver.received] == [20, 30]
    assert [(d.status, d.attempts, d.last_status_code) for d in deliveries(session, shop)] == [
        (OutboundStatus.DELIVERED, 1, 200)] * 2


def test_a_failing_receiver_is_retried_with_backoff_then_dead_then_replayed(
        database, session, client, channels):
    shop, api_key = make_shop(session)
    failures = [500, SLOW, 503] + [502] * (MAX_ATTEMPTS - 3)
    with Receiver(failures, slow_seconds=1.0) as receiver:
        endpoint_for(session, shop, receiver.url, EventType.POINTS_EARNED)
        apply_order_snapshot(session, shop, make_order("B1", items="10"), NOW)
        session.commit()

        at, waits = NOW, []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert run(database, channels, at) == 1
            (delivery,) = deliveries(session, shop)
            assert delivery.attempts == attempt
            if attempt < MAX_ATTEMPTS:
                assert delivery.status is OutboundStatus.PENDING
                waits.append(delivery.next_attempt_at - at)
                assert run(database, channels, delivery.next_attempt_at - dt.timedelta(seconds=1)) == 0
                at = delivery.next_attempt_at
        assert delivery.status is OutboundStatus.DEAD
        assert (delivery.last_status_code, delivery.last_error) == (502, "answered HTTP 502")
        # Half to all of 30 s, 60 s, 120 s... up to 6 h: with the random part at 0.5, three quarters.
        assert waits == [min(MAX_DELAY, dt.timedelta(seconds=30 * 2 ** n)) * 0.75
                         for n in range(MAX_ATTEMPTS - 1)]
        assert run(database, channels, at + dt.timedelta(days=30)) == 0  # the dead stay dead

        auth = {"Authorization": f"Bearer {api_key}"}
        dead = client.get("/api/v1/webhook-deliveries?status=dead", headers=auth).json["items"]
        assert [(d["id"], d["event_type"], d["attempts"]) for d in dead] == [
            (delivery.id, "points.earned", MAX_ATTEMPTS)]
        replayed = client.post(f"/api/v1/webhook-deliveries/{delivery.id}/replay", headers=auth)
        assert replayed.status_code == 202 and replayed.json["status"] == "pending"
        assert client.post(f"/api/v1/webhook-deliveries/{delivery.id}/replay",
                           headers=auth).status_code == 409  # already queued

        # The API stamps the replay with the wall clock, which may be before or after NOW.
        (queued,) = deliveries(session, shop)
        replay_at = queued.next_attempt_at
        assert run(database, channels, replay_at) == 1
        assert run(database, channels, replay_at) == 0

    assert len(receiver.received) == MAX_ATTEMPTS + 1
    assert len({r.event["id"] for r in receiver.received}) == 1  # the same event every time
    (delivery,) = deliveries(session, shop)
    assert (delivery.status, delivery.attempts, delivery.delivered_at) == (
        OutboundStatus.DELIVERED, 1, replay_at)
    assert client.get("/api/v1/webhook-deliveries?status=dead", headers=auth).json["items"] == []


def test_a_timeout_is_recorded_without_the_url(database, session, channels):
    shop, _ = make_shop(session)
    with Receiver([SLOW], slow_seconds=1.0) as receiver:
        endpoint_for(session, shop, receiver.url + "?token=do-not-log", EventType.POINTS_EARNED)
        apply_order_snapshot(session, shop, make_order("T1", items="10"), NOW)
        session.commit()
        assert run(database, channels, NOW) == 1
    (delivery,) = deliveries(session, shop)
    assert delivery.last_error.startswith("timed out") and delivery.last_status_code is None
    assert "do-not-log" not in delivery.last_error


def test_an_address_refused_at_send_time_is_never_contacted(database, session, no_network):
    """A URL saved under another policy (or a name that now resolves to loopback) is refused."""
    no_network.add_passthru("http://localhost")
    shop, _ = make_shop(session)
    strict = dispatch.Channels(webhooks=WebhookSender(allow_loopback=False))
    with Receiver() as receiver:
        endpoint_for(session, shop, receiver.url.replace("127.0.0.1", "localhost"), EventType.POINTS_EARNED)
        apply_order_snapshot(session, shop, make_order("S1", items="10"), NOW)
        session.commit()
        assert run(database, strict, NOW) == 1
    strict.webhooks.close()
    assert receiver.received == []
    (delivery,) = deliveries(session, shop)
    assert "loopback addresses are not allowed" in delivery.last_error


def test_inactive_endpoints_get_nothing(database, session, channels):
    shop, _ = make_shop(session)
    with Receiver() as receiver:
        endpoint, _ = endpoint_for(session, shop, receiver.url, EventType.POINTS_EARNED)
        endpoint.active = False
        apply_order_snapshot(session, shop, make_order("I1", items="10"), NOW)
        session.commit()
        assert run(database, channels, NOW) == 0
    assert receiver.received == [] and deliveries(session, shop) == []
    assert session.execute(select(OutboundEvent.fanned_out_at)).scalar_one() == NOW


def test_a_claimed_delivery_waits_for_its_lease_and_a_stale_outcome_is_dropped(database, session, channels):
    shop, _ = make_shop(session)
    with Receiver() as receiver:
        endpoint_for(session, shop, receiver.url, EventType.POINTS_EARNED)
        apply_order_snapshot(session, shop, make_order("L1", items="10"), NOW)
        session.commit()
        with database.transaction() as other:  # a worker that claims, then dies
            dispatch.fan_out(other, NOW)
            (claim,) = dispatch._claim(other, NOW, 10)
        assert run(database, channels, NOW + dispatch.LEASE - dt.timedelta(seconds=1)) == 0
        assert run(database, channels, NOW + dispatch.LEASE) == 1
        with database.transaction() as late:  # the dead worker's outcome arrives after all
            dispatch._record(late, claim, dispatch.SendResult(False, 500, "late"), NOW, lambda: 0.5)
    assert len(receiver.received) == 1
    (delivery,) = deliveries(session, shop)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (OutboundStatus.DELIVERED, 2, None)


def test_a_sender_that_blows_up_fails_that_delivery_only(database, session):
    class Exploding:
        def send(self, message):
            raise RuntimeError(f"boom at {message.url}")

        def close(self):
            pass

    shop, _ = make_shop(session)
    endpoint_for(session, shop, "https://hooks.example.com/x?token=t0k3n", EventType.POINTS_EARNED)
    apply_order_snapshot(session, shop, make_order("X1", items="10"), NOW)
    session.commit()
    assert run(database, dispatch.Channels(webhooks=Exploding()), NOW) == 1
    (delivery,) = deliveries(session, shop)
    assert (delivery.status, delivery.attempts, delivery.lease_token) == (OutboundStatus.PENDING, 1, None)
    assert delivery.last_error == "unexpected error (RuntimeError)"
    assert delivery.next_attempt_at > NOW
