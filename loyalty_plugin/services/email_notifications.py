"""Customer emails as a delivery channel of the outbox.

An event becomes an email when the shop sends that kind of email and the
customer has an address; customers without one are skipped at fan-out. The
message is rendered when the delivery is claimed, from the shop's template for
its language if it has one, else from the built-in translation.
"""
from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

from jinja2 import TemplateError
from sqlalchemy.orm import Session

from ..models import (CustomerAccount, EmailKind, EmailSettings, EventType,
                      OutboundDelivery, OutboundEvent, Shop)
from .email_settings import template_in_force
from .email_templates import Wording, render
from .mailer import EmailJob, Mailer

__all__ = ["EmailJob", "Mailer", "kind_for", "prepare", "recipient_for"]

_ADDRESS = re.compile(r"^[^@\s\"<>,;]+@[^@\s\"<>,;]+\.[^@\s\"<>,;]+$")


def kind_for(event: OutboundEvent) -> EmailKind | None:
    """The email an event calls for: a promotion does, a downgrade does not."""
    if event.type is EventType.TIER_CHANGED:
        return EmailKind.TIER_UP if event.payload.get("direction") == "up" else None
    return {EventType.POINTS_EARNED: EmailKind.POINTS_EARNED,
            EventType.REWARD_ISSUED: EmailKind.REWARD_ISSUED,
            EventType.POINTS_EXPIRING: EmailKind.POINTS_EXPIRING,
            EventType.TIER_DOWNGRADE_WARNING: EmailKind.TIER_DOWNGRADE_WARNING}.get(event.type)


def recipient_for(session: Session, event: OutboundEvent) -> str | None:
    kind = kind_for(event)
    if kind is None or event.account_id is None:
        return None
    settings = session.get(EmailSettings, event.shop_id)
    if settings is None or not settings.enabled or not settings.from_address \
            or kind.value not in settings.kinds:
        return None
    account = session.get(CustomerAccount, event.account_id)
    if account is None or account.redacted_at is not None or not account.email:
        return None
    return account.email if _ADDRESS.match(account.email) else None


def prepare(session: Session, delivery: OutboundDelivery) -> EmailJob | str:
    """The message to send, or why there is none to send."""
    event = delivery.event
    kind = kind_for(event)
    settings = session.get(EmailSettings, delivery.shop_id)
    shop = session.get(Shop, delivery.shop_id)
    if kind is None or settings is None or shop is None or not settings.from_address \
            or not delivery.recipient:
        return "email is no longer set up for this shop"
    account = session.get(CustomerAccount, event.account_id) if event.account_id else None
    try:
        rendered = render(_wording(session, shop.id, kind, settings.locale),
                          _values(shop, account, event.payload))
    except TemplateError as exc:
        return f"the {kind.value} template failed: {exc.message or type(exc).__name__}"
    return EmailJob(delivery_id=delivery.id, from_address=settings.from_address,
                    from_name=" ".join((settings.from_name or "").split()) or None,
                    to=delivery.recipient, subject=rendered.subject, text=rendered.text,
                    html=rendered.html)


def _wording(session: Session, shop_id: int, kind: EmailKind, locale: str) -> Wording:
    template = template_in_force(session, shop_id, kind, locale)
    return Wording(subject=template.subject, text=template.text, html=template.html)


def _values(shop: Shop, account: CustomerAccount | None, data: dict[str, Any]) -> dict[str, Any]:
    balance = data.get("balance") or {}
    needed = data.get("needed") or {}
    expires_at = data.get("expires_at")
    return {
        "shop_name": shop.domain,
        "first_name": account.first_name if account is not None else None,
        "points": data.get("points"),
        "balance": balance.get("available"),
        "order_name": data.get("order_name") or data.get("order_id"),
        "expires_on": _local_date(expires_at, shop.timezone) if isinstance(expires_at, str) else None,
        # The tier reached (tier.changed) or the tier at risk (tier.downgrade_warning).
        "tier_name": (data.get("to") or data.get("tier") or {}).get("name"),
        "projected_tier_name": (data.get("projected") or {}).get("name"),
        "basis": needed.get("basis"),
        "short": needed.get("short"),
        "currency": shop.currency,
        "reward_name": (data.get("reward") or {}).get("name"),
        "code": data.get("code"),
    }


def _local_date(moment: str, timezone: str) -> str:
    """The last local day points are usable: an expiry at midnight ends the day before."""
    local = dt.datetime.fromisoformat(moment).astimezone(zoneinfo.ZoneInfo(timezone))
    return (local - dt.timedelta(microseconds=1)).date().isoformat()
