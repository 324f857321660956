"""Customer emails through the outbox, sent to an SMTP sink on loopback."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from loyalty_plugin.events import CustomerRef
from loyalty_plugin.models import DeliveryChannel, EmailKind, OutboundDelivery, OutboundStatus
from loyalty_plugin.services import dispatch, email_settings, tier_catalog
from loyalty_plugin.services.mailer import InvalidSmtpUrl, Mailer
from loyalty_plugin.services.orders import apply_order_snapshot
from loyalty_plugin.services.webhook_sender import WebhookSender
from tests.factories import make_order, make_shop
from tests.smtp_sink import SmtpSink

NOW = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.timezone.utc)
FIRST_NAME = "{{ 7 * 7 }} <b>Zoé</b>"


@pytest.fixture
def shop(session):
    shop, _ = make_shop(session, domain="boutique.example.com")
    email_settings.update_settings(session, shop.id, {
        "enabled": True, "from_address": "fidelite@boutique.example.com", "from_name": "Boutique",
        "locale": "fr"}, NOW)
    return shop


def order(order_id: str, *, email: str | None = "zoe@example.com", items: str = "100", **kwargs):
    snapshot = make_order(order_id, customer_id=f"cust-{email}", email=email, items=items, **kwargs)
    return dataclasses.replace(snapshot, customer=CustomerRef(
        platform_id=f"cust-{email}", email=email, first_name=FIRST_NAME))


def send(database, sink: SmtpSink | None, at: dt.datetime = NOW) -> int:
    mailer = Mailer.from_url(f"smtp://shop%40mail:p%3Ass@127.0.0.1:{sink.port}") if sink else None
    channels = dispatch.Channels(webhooks=WebhookSender(), mailer=mailer)
    try:
        return dispatch.deliver_due(database, at, channels=channels, rng=lambda: 0.5)
    finally:
        channels.close()


def emails(session) -> list[OutboundDelivery]:
    session.expire_all()
    return list(session.execute(select(OutboundDelivery).where(
        OutboundDelivery.channel == DeliveryChannel.EMAIL).order_by(OutboundDelivery.id)).scalars())


def test_points_earned_is_mailed_in_the_shops_language_with_customer_text_inert(database, session, shop):
    apply_order_snapshot(session, shop, order("E1"), NOW)
    session.commit()
    with SmtpSink() as sink:
        assert send(database, sink) == 1
        assert send(database, sink) == 0
    (sent,) = sink.messages
    assert sent.login == ("shop@mail", "p:ss")
    assert sent.rcpt_to == ["<zoe@example.com>"]
    message = sent.message
    assert message["To"] == "zoe@example.com"
    assert message["From"] == "Boutique <fidelite@boutique.example.com>"
    assert message["Subject"] == "Vous avez gagné 100 points chez boutique.example.com"
    text = message.get_body(("plain",)).get_content()
    assert text.startswith(f"Bonjour {FIRST_NAME},")  # printed as written, never evaluated
    assert "Votre solde est de 100 points." in text
    (delivery,) = emails(session)
    assert (delivery.status, delivery.recipient) == (OutboundStatus.DELIVERED, "zoe@example.com")


def test_a_shop_template_with_html_escapes_customer_text(database, session, shop):
    email_settings.put_template(session, shop.id, "points_earned", "fr", {
        "subject": "+{{ points }} pour {{ first_name }}", "text": "Merci {{ first_name }}",
        "html": "<p>Merci {{ first_name }}, {{ points }} points</p>"}, NOW)
    apply_order_snapshot(session, shop, order("E2", items="12"), NOW)
    session.commit()
    with SmtpSink() as sink:
        assert send(database, sink) == 1
    message = sink.messages[0].message
    assert message["Subject"] == f"+12 pour {FIRST_NAME}"
    assert message.get_body(("plain",)).get_content().strip() == f"Merci {FIRST_NAME}"
    html = message.get_body(("html",)).get_content()
    assert "<p>Merci {{ 7 * 7 }} &lt;b&gt;Zoé&lt;/b&gt;, 12 points</p>" in html


def test_customers_without_email_and_kinds_the_shop_turned_off_are_skipped(database, session, shop):
    apply_order_snapshot(session, shop, order("E3", email=None), NOW)
    email_settings.update_settings(session, shop.id, {"kinds": [EmailKind.TIER_UP]}, NOW)
    apply_order_snapshot(session, shop, order("E4"), NOW)
    session.commit()
    with SmtpSink() as sink:
        assert send(database, sink) == 0
    assert sink.messages == [] and emails(session) == []


def test_a_promotion_is_mailed_and_a_downgrade_is_not(database, session, shop):
    tier_catalog.create_tier(session, shop, {"name": "Or", "threshold": Decimal("50")}, NOW)
    email_settings.update_settings(session, shop.id, {"kinds": [EmailKind.TIER_UP]}, NOW)
    apply_order_snapshot(session, shop, order("E5", items="80"), NOW)
    apply_order_snapshot(session, shop, order("E5", items="80", cancelled=True), NOW)
    session.commit()
    with SmtpSink() as sink:
        assert send(database, sink) == 1
    assert sink.messages[0].message["Subject"] == "Bienvenue au niveau Or chez boutique.example.com"


def test_smtp_refusals_are_retried_and_missing_smtp_settings_are_reported(database, session, shop):
    apply_order_snapshot(session, shop, order("E6"), NOW)
    session.commit()
    assert send(database, None) == 1
    (delivery,) = emails(session)
    assert delivery.last_error == "email is not configured (LOYALTY_SMTP_URL)"
    with SmtpSink(rcpt_answers=["451 mailbox busy"]) as sink:
        assert send(database, sink, delivery.next_attempt_at) == 1
        (delivery,) = emails(session)
        assert (delivery.status, delivery.last_status_code, delivery.attempts) == (
            OutboundStatus.PENDING, 451, 2)
        assert send(database, sink, delivery.next_attempt_at) == 1
    assert len(sink.messages) == 1
    assert emails(session)[0].status is OutboundStatus.DELIVERED


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.example.com", ("mail.example.com", 25, False, None, None)),
    ("smtps://u:p@mail.example.com", ("mail.example.com", 465, True, "u", "p")),
    ("smtp://a%40b:c%2Fd@mail.example.com:587", ("mail.example.com", 587, False, "a@b", "c/d")),
])
def test_smtp_urls(url, expected):
    mailer = Mailer.from_url(url)
    assert (mailer.host, mailer.port, mailer.implicit_tls, mailer.user, mailer.password) == expected
    assert "password" not in repr(mailer) and "c/d" not in repr(mailer)


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtp://host:port"])
def test_bad_smtp_urls_are_refused_without_echoing_them(url):
    with pytest.raises(InvalidSmtpUrl) as excinfo:
        Mailer.from_url(url.replace("//", "//user:secret-pw@", 1))
    assert "secret-pw" not in str(excinfo.value)


@pytest.mark.parametrize("text", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",  # reaching for Python's internals: the sandbox
    "{{ points + first_name }}", "{{ points / 0 }}", "{{ range(10 ** 9) | list }}",  # failing on the values
])
def test_a_template_that_fails_is_reported_on_the_delivery_and_nothing_is_sent(database, session, shop, text):
    email_settings.put_template(session, shop.id, "points_earned", "fr", {"subject": "Hi", "text": text}, NOW)
    apply_order_snapshot(session, shop, order("E7"), NOW)
    session.commit()
    with SmtpSink() as sink:
        assert send(database, sink) == 1
    assert sink.messages == []
    (delivery,) = emails(session)
    assert delivery.last_error.startswith("the points_earned template failed")
