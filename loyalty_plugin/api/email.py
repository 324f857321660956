"""Customer emails: the shop's settings and its templates per kind and language."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app

from ..db import get_session
from ..schemas.email import EmailSettingsSchema, EmailTemplateInputSchema, EmailTemplateSchema
from ..schemas.envelopes import list_of
from ..services import email_settings
from . import examples as ex
from .contract import documented
from .helpers import api_key, idempotent, json_body

bp = Blueprint("email", __name__)


def _shown(settings) -> dict:
    return {**EmailSettingsSchema().dump(settings),
            "smtp_configured": bool(current_app.config["LOYALTY_SMTP_URL"])}


@bp.get("/email-settings")
@documented("The shop's customer email settings", response=EmailSettingsSchema, example=ex.EMAIL_SETTINGS)
def get_settings():
    return _shown(email_settings.get_settings(get_session(), api_key().shop_id))


@bp.patch("/email-settings")
@documented("Change the email settings", response=EmailSettingsSchema, body=EmailSettingsSchema,
            body_example={"enabled": True, "from_address": "rewards@shop.example"},
            example=ex.EMAIL_SETTINGS)
def update_settings():
    key = api_key(write=True)
    body = json_body()
    changes = EmailSettingsSchema().load(body)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        return _shown(email_settings.update_settings(get_session(), key.shop_id, changes, now)), 200

    return idempotent(key.shop_id, "email.settings", body, write)


@bp.get("/email-templates")
@documented("Every email template, the shop's own or the default", response=list_of(EmailTemplateSchema),
            example={"items": [ex.EMAIL_TEMPLATE]})
def list_templates():
    found = email_settings.list_templates(get_session(), api_key().shop_id)
    return {"items": EmailTemplateSchema(many=True).dump(found)}


@bp.put("/email-templates/<kind>/<locale>")
@documented("Set the shop's template of one kind and language", response=EmailTemplateSchema,
            body=EmailTemplateInputSchema, example=ex.EMAIL_TEMPLATE,
            body_example={"subject": "You earned {{ points }} points", "text": "Hi {{ first_name }}, ..."})
def put_template(kind: str, locale: str):
    key = api_key(write=True)
    body = json_body()
    values = EmailTemplateInputSchema().load(body)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        template = email_settings.put_template(get_session(), key.shop_id, kind, locale, values, now)
        return EmailTemplateSchema().dump(template), 200

    return idempotent(key.shop_id, "email.template", {"kind": kind, "locale": locale, **body}, write)


@bp.delete("/email-templates/<kind>/<locale>")
@documented("Go back to the default template", response=EmailTemplateSchema,
            example={**ex.EMAIL_TEMPLATE, "custom": False})
def delete_template(kind: str, locale: str):
    key = api_key(write=True)

    def write(_reference: str | None, _now: dt.datetime) -> tuple[dict, int]:
        template = email_settings.delete_template(get_session(), key.shop_id, kind, locale)
        return EmailTemplateSchema().dump(template), 200

    return idempotent(key.shop_id, "email.template.delete", {"kind": kind, "locale": locale}, write)
