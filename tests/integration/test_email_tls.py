"""Customer emails over TLS: smtps:// and STARTTLS to a loopback server with its own authority."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from loyalty_plugin.events import CustomerRef
from loyalty_plugin.models import OutboundStatus
from loyalty_plugin.services import dispatch, email_settings
from loyalty_plugin.services.mailer import EmailJob, InvalidSmtpUrl, Mailer
from loyalty_plugin.services.orders import apply_order_snapshot
from tests.factories import make_order, make_shop
from tests.integration.test_email_delivery import emails
from tests.smtp_tls import TlsSmtpServer, self_signed_certificate

NOW = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.timezone.utc)
JOB = EmailJob(delivery_id=1, from_address="rewards@shop.example", from_name="Shop", to="ada@example.com",
               subject="Hello", text="Your points are waiting.")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed_certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.mark.parametrize("scheme, implicit", [("smtps", True), ("smtp", False)])
def test_mail_goes_over_tls_to_a_server_the_ca_file_vouches_for(certificate, scheme, implicit):
    with TlsSmtpServer(certificate, implicit=implicit) as server:
        mailer = Mailer.from_url(f"{scheme}://rewards%40shop:s3cr%3At@127.0.0.1:{server.port}",
                                 ca_file=str(certificate.cert_file))
        result = mailer.send(JOB)
    assert result.ok, result.error
    (envelope,) = server.received.envelopes
    assert envelope.rcpt_tos == ["ada@example.com"]
    assert b"Your points are waiting." in envelope.content
    # The password only ever crossed the wire encrypted (the server refuses it otherwise).
    assert server.received.logins == [("rewards@shop", "s3cr:t", True)]


@pytest.mark.parametrize("scheme, implicit", [("smtps", True), ("smtp", False)])
def test_a_certificate_nobody_vouches_for_is_refused_before_anything_is_sent(certificate, scheme, implicit):
    with TlsSmtpServer(certificate, implicit=implicit) as server:
        # The system's authorities do not know the test's own.
        result = Mailer.from_url(f"{scheme}://u:p@127.0.0.1:{server.port}").send(JOB)
    assert not result.ok and "SSLCertVerificationError" in result.error
    assert server.received.envelopes == [] and server.received.logins == []


def test_a_ca_file_that_is_not_there_is_a_configuration_error():
    with pytest.raises(InvalidSmtpUrl, match="LOYALTY_SMTP_CA_FILE") as excinfo:
        Mailer.from_url("smtps://u:hunter2@mail.example:465", ca_file="/nonexistent/ca.pem")
    assert "hunter2" not in str(excinfo.value)


def test_the_outbox_mails_over_smtps_with_the_configured_ca_file(database, session, certificate):
    shop, _ = make_shop(session, domain="boutique.example.com")
    email_settings.update_settings(session, shop.id, {
        "enabled": True, "from_address": "rewards@boutique.example.com", "kinds": ["points_earned"]}, NOW)
    snapshot = make_order("T1", customer_id="c-tls", email="zoe@example.com", items="40")
    apply_order_snapshot(session, shop, dataclasses.replace(
        snapshot, customer=CustomerRef(platform_id="c-tls", email="zoe@example.com")), NOW)
    session.commit()
    with TlsSmtpServer(certificate, implicit=True) as server:
        channels = dispatch.channels_from_config({
            "LOYALTY_SMTP_URL": f"smtps://loyalty:pw@127.0.0.1:{server.port}",
            "LOYALTY_SMTP_CA_FILE": str(certificate.cert_file)})
        try:
            assert dispatch.deliver_due(database, NOW, channels=channels, rng=lambda: 0.5) == 1
        finally:
            channels.close()
    (envelope,) = server.received.envelopes
    assert b"You earned 40 points" in envelope.content
    (delivery,) = emails(session)
    assert delivery.status is OutboundStatus.DELIVERED
