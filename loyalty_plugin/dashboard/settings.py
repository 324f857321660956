"""The settings page: points expiry, referrals (with their welcome and referrer rewards),
birthday points and customer emails, each saved through its own service and shown again
with its problems next to their fields when refused."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for
from marshmallow import Schema

from ..db import get_session
from ..models import EmailKind, ExpiryPolicy, ReferrerReward, Shop, utcnow
from ..schemas.birthdays import BirthdayProgramSchema
from ..schemas.email import EmailSettingsSchema
from ..schemas.expiry import ExpiryPolicySchema
from ..schemas.referrals import ReferralProgramSchema
from ..services import birthdays, email_settings, expiry, referrals
from ..services.email_templates import LOCALES
from ..services.rewards import list_rewards
from .forms import Form, apply_change, form_values, load, typed
from .guard import current_shop
from .pages import page

bp = Blueprint("settings", __name__, url_prefix="/settings")

EXPIRY_FIELDS = ("expiry_policy", "expiry_days", "expiry_warning_days")
REFERRAL_FIELDS = ("referrals_enabled", "referral_points", "referral_limit", "referral_limit_days",
                   "welcome_reward_id", "referrer_reward", "referrer_reward_id")
EMAIL_FIELDS = ("enabled", "from_address", "from_name", "locale")
CHOICES = {
    "expiry_policy": [(ExpiryPolicy.NONE.value, "points never expire"),
                      (ExpiryPolicy.PER_LOT.value, "each earning expires on its own"),
                      (ExpiryPolicy.INACTIVITY.value, "all points expire after inactivity")],
    "referrer_reward": [(ReferrerReward.POINTS.value, "points"), (ReferrerReward.REWARD.value, "a reward code")],
    "locale": [(locale, locale) for locale in LOCALES],
    "email_kinds": [kind.value for kind in EmailKind],
}


def text(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else ""
    return "" if value is None else str(getattr(value, "value", value))


def current_forms(shop: Shop) -> dict[str, Form]:
    settings = shop.settings
    mail = email_settings.get_settings(get_session(), shop.id)
    email_values = {name: text(getattr(mail, name)) for name in EMAIL_FIELDS}
    email_values["kinds"] = list(mail.kinds or [])
    return {
        "expiry_form": Form(values={name: text(getattr(settings, name)) for name in EXPIRY_FIELDS}),
        "referral_form": Form(values={name: text(getattr(settings, name)) for name in REFERRAL_FIELDS}),
        "birthday_form": Form(values={"birthday_points": text(settings.birthday_points)}),
        "email_form": Form(values=email_values),
    }


def render_settings(status: int = 200, **refused: Form):
    shop = current_shop()
    forms = {**current_forms(shop), **refused}
    rewards = [(str(r.id), r.name) for r in list_rewards(get_session(), shop.id) if r.active]
    return page("settings.html", status, choices=CHOICES, reward_choices=[("", "none")] + rewards,
                smtp_configured=bool(current_app.config["LOYALTY_SMTP_URL"]),
                email_templates=email_settings.list_templates(get_session(), shop.id), **forms)


def save(form_name: str, form: Form, schema: Schema, data: dict[str, Any],
         apply: Callable[[dict[str, Any]], None], saved: str):
    """Load, apply through the service, commit and go back; or show the form's problems."""
    loaded = load(schema, data, form)
    if loaded is not None and form.ok:
        apply_change(form, lambda: apply(loaded))
        if form.ok:
            flash(saved)
            return redirect(url_for(".index"), 303)
    return render_settings(422, **{form_name: form})


@bp.get("")
def index():
    return render_settings()


@bp.post("/expiry")
def update_expiry():
    form = Form(values=form_values(request.form, EXPIRY_FIELDS))
    data = typed(form.values, ints=("expiry_days", "expiry_warning_days"), errors=form)
    shop = current_shop()
    return save("expiry_form", form, ExpiryPolicySchema(), data, lambda values: expiry.update_policy(
        get_session(), shop, policy=values.get("expiry_policy"), days=values.get("expiry_days"),
        warning_days=values.get("expiry_warning_days"), now=utcnow()),
        "Expiry policy saved; points already earned get their dates with the next run of the jobs.")


@bp.post("/referrals")
def update_referrals():
    form = Form(values=form_values(request.form, REFERRAL_FIELDS))
    data = typed(form.values, ints=("referral_points", "referral_limit", "referral_limit_days",
                                    "welcome_reward_id", "referrer_reward_id"),
                 bools=("referrals_enabled",), nullable=("welcome_reward_id", "referrer_reward_id"),
                 errors=form)
    shop = current_shop()
    return save("referral_form", form, ReferralProgramSchema(), data,
                lambda values: referrals.update_program(get_session(), shop, values), "Referral program saved.")


@bp.post("/birthdays")
def update_birthdays():
    form = Form(values=form_values(request.form, ("birthday_points",)))
    data = typed(form.values, ints=("birthday_points",), errors=form)
    shop = current_shop()
    return save("birthday_form", form, BirthdayProgramSchema(), data, lambda values: birthdays.update_program(
        get_session(), shop, points=values["birthday_points"]), "Birthday points saved.")


@bp.post("/email")
def update_email():
    form = Form(values=form_values(request.form, EMAIL_FIELDS))
    form.values["kinds"] = [kind[:100] for kind in request.form.getlist("kinds")[:20]]
    data = typed({k: form.values[k] for k in EMAIL_FIELDS}, bools=("enabled",),
                 nullable=("from_address", "from_name"), errors=form)
    data["kinds"] = form.values["kinds"]
    shop_id = current_shop().id
    return save("email_form", form, EmailSettingsSchema(), data, lambda values: email_settings.update_settings(
        get_session(), shop_id, values, utcnow()), "Email settings saved.")
