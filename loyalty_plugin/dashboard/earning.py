"""The program editor's earning rules, pending days, negative balances and time zone."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for

from ..db import get_session
from ..models import utcnow
from ..schemas.program_settings import ProgramSettingsSchema
from ..services.program_settings import update_program_settings
from .editor import RULE_FIELDS, render_program
from .forms import Form, apply_change, form_values, load, typed
from .guard import current_shop

bp = Blueprint("earning", __name__, url_prefix="/program")

CHECKBOXES = ("include_shipping", "include_taxes", "skip_test_orders")


@bp.post("/earning")
def update():
    form = Form(values=form_values(request.form, RULE_FIELDS))
    data = load(ProgramSettingsSchema(), typed(form.values, ints=("pending_days", "signup_bonus_points"),
                                               bools=CHECKBOXES, errors=form), form)
    if data is not None and form.ok:
        view = apply_change(form, lambda: update_program_settings(get_session(), current_shop(), data,
                                                                  now=utcnow()))
        if view is not None:
            flash(f"Earning rules saved (version {view.rule_version}).")
            return redirect(url_for("dashboard.program.index"), 303)
    return render_program(rules_form=form, status=422)
