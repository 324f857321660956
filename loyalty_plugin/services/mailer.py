"""Sending one email through the operator's SMTP server (``LOYALTY_SMTP_URL``).

``smtp://user:password@host:587`` uses STARTTLS whenever the server offers it;
``smtps://user:password@host:465`` speaks TLS from the first byte. User and
password are optional and percent-decoded. The password is never logged nor
shown in an error.

The server's certificate is checked against the system's trusted authorities,
or only against those in ``LOYALTY_SMTP_CA_FILE`` (a PEM file) when it is set:
for a relay whose certificate a private authority signed.
"""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from .webhook_sender import SendResult

TIMEOUT = 15.0


@dataclass(frozen=True)
class EmailJob:
    delivery_id: int
    from_address: str
    from_name: str | None
    to: str
    subject: str
    text: str
    html: str | None = None

    def message(self) -> EmailMessage:
        message = EmailMessage()
        message["From"] = formataddr((self.from_name or "", self.from_address))
        message["To"] = self.to
        message["Subject"] = self.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(idstring=f"loyalty-{self.delivery_id}",
                                           domain=self.from_address.rpartition("@")[2] or None)
        message.set_content(self.text)
        if self.html:
            message.add_alternative(self.html, subtype="html")
        return message


class InvalidSmtpUrl(ValueError):
    pass


@dataclass(frozen=True)
class Mailer:
    host: str
    port: int
    implicit_tls: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = TIMEOUT
    ca_file: str | None = None

    @classmethod
    def from_url(cls, url: str, *, ca_file: str | None = None) -> Mailer | None:
        """None for an empty setting; InvalidSmtpUrl (without the password) for a bad one."""
        if not url:
            return None
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise InvalidSmtpUrl("LOYALTY_SMTP_URL is not a valid URL") from None
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise InvalidSmtpUrl("LOYALTY_SMTP_URL must look like smtp://user:password@host:port "
                                 "or smtps://...")
        implicit_tls = parts.scheme == "smtps"
        if ca_file and not os.path.isfile(ca_file):
            raise InvalidSmtpUrl("LOYALTY_SMTP_CA_FILE does not name a readable file")
        return cls(host=parts.hostname, port=port or (465 if implicit_tls else 25),
                   implicit_tls=implicit_tls, user=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None,
                   ca_file=ca_file or None)

    def send(self, job: EmailJob) -> SendResult:
        context = ssl.create_default_context(cafile=self.ca_file)
        try:
            if self.implicit_tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                        context=context)
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                client.ehlo()
                if not self.implicit_tls and client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                if self.user:
                    client.login(self.user, self.password or "")
                client.send_message(job.message())
        except smtplib.SMTPResponseException as exc:
            return SendResult(False, exc.smtp_code, f"the SMTP server answered {exc.smtp_code}")
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()), (None, b""))[0]
            return SendResult(False, code, f"the SMTP server refused the recipient ({code})")
        except (smtplib.SMTPException, OSError) as exc:
            return SendResult(False, error=f"could not send through SMTP ({type(exc).__name__})")
        return SendResult(True)
