"""The customer email templates: each kind and language edited, previewed with sample
values, or set back to the built-in translation."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from jinja2 import TemplateError

from ..db import get_session
from ..models import utcnow
from ..schemas.email import EmailTemplateInputSchema
from ..services import email_settings
from ..services.email_settings import EffectiveTemplate
from ..services.email_templates import PLACEHOLDERS, RenderedEmail, Wording, render, sample_values
from .forms import Form, apply_change, load
from .guard import current_shop
from .pages import page

bp = Blueprint("emails", __name__, url_prefix="/settings/emails")

FIELDS = ("subject", "text", "html")
MAX_FIELD = 100_000  # what is kept of a field to show again; the schema says what may be saved


@bp.route("/<kind>/<locale>", methods=["GET", "POST"])
def edit(kind: str, locale: str):
    shop = current_shop()
    template = email_settings.get_template(get_session(), shop.id, kind, locale)
    if request.method == "GET":
        return _page(template, Form(values={"subject": template.subject, "text": template.text,
                                            "html": template.html or ""}))
    form = Form(values={name: request.form.get(name, "")[:MAX_FIELD] for name in FIELDS})
    data = {"subject": form.values["subject"].strip(), "text": form.values["text"],
            "html": form.values["html"] if form.values["html"].strip() else None}
    loaded = load(EmailTemplateInputSchema(), data, form)
    if loaded is not None and form.ok:
        apply_change(form, lambda: email_settings.put_template(get_session(), shop.id, kind, locale, loaded,
                                                               utcnow()))
        if form.ok:
            flash(f"The {_title(template)} email is saved.")
            return redirect(url_for(".edit", kind=kind, locale=locale), 303)
    return _page(template, form, 422)


@bp.post("/<kind>/<locale>/reset")
def reset(kind: str, locale: str):
    template = email_settings.delete_template(get_session(), current_shop().id, kind, locale)
    get_session().commit()
    flash(f"The {_title(template)} email is back to the built-in wording.")
    return redirect(url_for(".edit", kind=kind, locale=locale), 303)


def _title(template: EffectiveTemplate) -> str:
    return f"{template.kind.value.replace('_', ' ')} ({template.locale})"


def _page(template: EffectiveTemplate, form: Form, status: int = 200):
    preview, problem = None, None
    if form.ok:
        preview, problem = _preview(form)
    return page("email_template.html", status, email=template, title=_title(template), form=form,
                placeholders=PLACEHOLDERS, preview=preview, preview_problem=problem)


def _preview(form: Form) -> tuple[RenderedEmail | None, str | None]:
    """The form's wording filled with sample values, or why it cannot be."""
    shop = current_shop()
    wording = Wording(subject=form.values["subject"], text=form.values["text"],
                      html=form.values["html"] or None)
    try:
        return render(wording, sample_values(shop.domain, shop.currency)), None
    except TemplateError as exc:
        return None, f"The template fails with sample values: {exc.message or type(exc).__name__}"
