"""A shop's customer email settings and its own templates, over the built-in translations."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotFound, Unprocessable
from ..models import EmailKind, EmailSettings, EmailTemplate
from .email_templates import LOCALES, default_wording, template_problem


def get_settings(session: Session, shop_id: int) -> EmailSettings:
    """The stored settings, or the defaults (off, English, every kind) if none were saved."""
    settings = session.get(EmailSettings, shop_id)
    if settings is None:
        settings = EmailSettings(shop_id=shop_id, enabled=False, locale="en",
                                 kinds=[kind.value for kind in EmailKind])
    return settings


def update_settings(session: Session, shop_id: int, changes: dict[str, Any],
                    now: dt.datetime) -> EmailSettings:
    settings = get_settings(session, shop_id)
    for name in ("enabled", "from_address", "from_name", "locale"):
        if name in changes:
            setattr(settings, name, changes[name])
    if "kinds" in changes:
        settings.kinds = sorted({EmailKind(kind).value for kind in changes["kinds"]})
    if settings.enabled and not settings.from_address:
        raise Unprocessable("Emails need a sender address before they can be enabled.",
                            details={"fields": {"from_address": ["Required to enable emails."]}})
    settings.updated_at = now
    session.add(settings)
    session.flush()
    return settings


@dataclass(frozen=True)
class EffectiveTemplate:
    kind: EmailKind
    locale: str
    subject: str
    text: str
    html: str | None
    custom: bool  # the shop's own, rather than the built-in translation


def list_templates(session: Session, shop_id: int) -> list[EffectiveTemplate]:
    own = {(t.kind, t.locale): t for t in session.execute(select(EmailTemplate).where(
        EmailTemplate.shop_id == shop_id)).scalars()}
    return [_in_force(kind, locale, own.get((kind, locale))) for kind in EmailKind for locale in LOCALES]


def get_template(session: Session, shop_id: int, kind: str, locale: str) -> EffectiveTemplate:
    """The shop's template of one kind and language, or the built-in one."""
    return template_in_force(session, shop_id, _kind(kind, locale), locale)


def template_in_force(session: Session, shop_id: int, kind: EmailKind, locale: str) -> EffectiveTemplate:
    """What an email of ``kind`` in ``locale`` is written from: the shop's own template, or the
    built-in translation."""
    return _in_force(kind, locale, _own(session, shop_id, kind, locale))


def put_template(session: Session, shop_id: int, kind: str, locale: str, values: dict[str, Any],
                 now: dt.datetime) -> EffectiveTemplate:
    email_kind = _kind(kind, locale)
    problems = {name: [f"The {name} {problem}."] for name in ("subject", "text", "html")
                if values.get(name) and (problem := template_problem(values[name]))}
    if problems:
        raise Unprocessable("A template does not parse.", details={"fields": problems})
    template = _own(session, shop_id, email_kind, locale)
    if template is None:
        template = EmailTemplate(shop_id=shop_id, kind=email_kind, locale=locale)
        session.add(template)
    template.subject, template.text = values["subject"], values["text"]
    template.html = values.get("html")
    template.updated_at = now
    session.flush()
    return _in_force(email_kind, locale, template)


def delete_template(session: Session, shop_id: int, kind: str, locale: str) -> EffectiveTemplate:
    """Back to the built-in translation, which is returned."""
    email_kind = _kind(kind, locale)
    template = _own(session, shop_id, email_kind, locale)
    if template is not None:
        session.delete(template)
        session.flush()
    return _in_force(email_kind, locale, None)


def _in_force(kind: EmailKind, locale: str, own: EmailTemplate | None) -> EffectiveTemplate:
    wording = own or default_wording(kind, locale)
    return EffectiveTemplate(kind, locale, wording.subject, wording.text, wording.html, custom=own is not None)


def _own(session: Session, shop_id: int, kind: EmailKind, locale: str) -> EmailTemplate | None:
    return session.execute(select(EmailTemplate).where(
        EmailTemplate.shop_id == shop_id, EmailTemplate.kind == kind,
        EmailTemplate.locale == locale)).scalar_one_or_none()


def _kind(kind: str, locale: str) -> EmailKind:
    try:
        email_kind = EmailKind(kind)
    except ValueError:
        raise NotFound(f"No email {kind[:40]!r}; there are "
                       f"{', '.join(k.value for k in EmailKind)}.") from None
    if locale not in LOCALES:
        raise NotFound(f"No language {locale[:10]!r}; there are {', '.join(LOCALES)}.")
    return email_kind
