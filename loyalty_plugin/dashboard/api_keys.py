"""The shop's admin API keys: list, create (the key shown on that one page) and revoke.

The new key is rendered into the answer to the POST and kept nowhere else: not in
a flash message, which would put it in the session cookie. The form carries a
one-time token, so sending it twice creates one key.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for

from ..db import get_session
from ..errors import LoyaltyError
from ..models import ApiKey, ApiKeyScope, utcnow
from ..schemas.api_keys import ApiKeyInputSchema
from ..services import api_keys, idempotency
from .form_tokens import INCOMPLETE, claim_form, is_form_token, new_form_token
from .forms import Form, form_values, load, record_refusal, typed
from .guard import current_shop
from .pages import page

bp = Blueprint("api_keys", __name__)

SCOPES = [(ApiKeyScope.READ_WRITE.value, "read and write"), (ApiKeyScope.READ_ONLY.value, "read only")]


def new_key_form() -> Form:
    return Form(values={"name": "", "scope": ApiKeyScope.READ_WRITE.value})


def render_keys(form: Form, status: int = 200, *, created: ApiKey | None = None,
                secret: str | None = None):
    form.values.setdefault("form_token", new_form_token())
    return page("api_keys.html", status, keys=api_keys.list_api_keys(get_session(), current_shop().id),
                form=form, scopes=SCOPES, created=created, secret=secret)


@bp.get("/api-keys")
def index():
    return render_keys(new_key_form())


@bp.post("/api-keys")
def create():
    form = Form(values=form_values(request.form, ("name", "scope", "form_token")))
    if not is_form_token(form.values["form_token"]):
        form.values["form_token"] = new_form_token()
        form.message = INCOMPLETE
        return render_keys(form, 400)
    fields = {k: form.values[k] for k in ("name", "scope")}
    data = load(ApiKeyInputSchema(), typed(fields, errors=form), form)
    if data is None or not form.ok:
        return render_keys(form, 422)
    session, now = get_session(), utcnow()
    record, stored = claim_form(session, current_shop().id, "api_key", form.values["form_token"], now)
    if stored is not None:
        session.commit()
        return already_created(stored)
    row, secret = api_keys.issue_api_key(session, current_shop().id, name=data["name"],
                                         scope=data["scope"], now=now)
    idempotency.store(record, 201, {"id": row.id, "name": row.name, "prefix": row.prefix})
    session.commit()
    return render_keys(new_key_form(), 201, created=row, secret=secret)


def already_created(stored: idempotency.StoredResponse):
    """The answer to a second submit of one form: the key exists, its secret is gone."""
    body = stored.body
    return page("already_created.html", what="API key", name=f"{body['name']} ({body['prefix']}…)",
                secret_name="key", back=url_for(".index"), back_label="API keys")


@bp.post("/api-keys/<int:key_id>/revoke")
def revoke(key_id: int):
    try:
        key = api_keys.revoke_api_key(get_session(), current_shop().id, key_id, utcnow())
    except LoyaltyError as exc:
        if exc.status == 404:
            raise
        get_session().rollback()
        form = new_key_form()
        record_refusal(exc, form)
        return render_keys(form, exc.status)
    get_session().commit()
    flash(f"API key {key.name} ({key.prefix}…) revoked; it no longer works.")
    return redirect(url_for(".index"), 303)
