"""The program editor's tiers: create, change, archive, and the tier program's settings."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for

from ..db import get_session
from ..models import Tier, utcnow
from ..schemas.tiers import TierInputSchema, TierProgramSchema
from ..services import tier_catalog
from .editor import render_program
from .explain import number
from .forms import Form, apply_change, form_values, load, typed
from .guard import current_shop
from .pages import page

bp = Blueprint("tiers", __name__, url_prefix="/program")

TIER_FIELDS = ("name", "threshold", "multiplier", "entry_bonus_points", "entry_reward_id", "perks")
PROGRAM_FIELDS = ("tier_basis", "tier_window", "tier_downgrade", "tier_grace_days")


def tier_values(tier: Tier) -> dict[str, str]:
    return {"name": tier.name, "threshold": number(tier.threshold), "multiplier": number(tier.multiplier),
            "entry_bonus_points": str(tier.entry_bonus_points),
            "entry_reward_id": str(tier.entry_reward_id or ""), "perks": "\n".join(tier.perks or [])}


def tier_data(form: Form, *, partial: bool) -> dict[str, Any] | None:
    values = {k: v for k, v in form.values.items() if k != "perks"}
    data = typed(values, ints=("entry_bonus_points", "entry_reward_id"),
                 nullable=("entry_reward_id",), errors=form)
    data["perks"] = [line.strip() for line in form.values["perks"].splitlines() if line.strip()]
    loaded = load(TierInputSchema(partial=partial), data, form)
    return loaded if form.ok else None


@bp.post("/tiers")
def create():
    form = Form(values=form_values(request.form, TIER_FIELDS))
    data = tier_data(form, partial=False)
    if data is not None:
        tier = apply_change(form, lambda: tier_catalog.create_tier(get_session(), current_shop(), data, utcnow()))
        if tier is not None:
            flash(f"Tier {tier.name} created; customers are re-evaluated shortly.")
            return redirect(url_for("dashboard.program.index"), 303)
    return render_program(tier_form=form, status=422)


@bp.route("/tiers/<int:tier_id>", methods=["GET", "POST"])
def edit(tier_id: int):
    tier = tier_catalog.get_tier(get_session(), current_shop().id, tier_id)
    if request.method == "GET":
        return page("tier.html", tier=tier, form=Form(values=tier_values(tier)))
    form = Form(values=form_values(request.form, TIER_FIELDS))
    data = tier_data(form, partial=False)
    if data is not None:
        apply_change(form, lambda: tier_catalog.update_tier(get_session(), current_shop(), tier_id, data,
                                                            utcnow()))
        if form.ok:
            flash(f"Tier {data['name']} saved.")
            return redirect(url_for("dashboard.program.index"), 303)
    tier = tier_catalog.get_tier(get_session(), current_shop().id, tier_id)
    return page("tier.html", 422, tier=tier, form=form)


@bp.post("/tiers/<int:tier_id>/archive")
def archive(tier_id: int):
    tier = tier_catalog.archive_tier(get_session(), current_shop(), tier_id, utcnow())
    get_session().commit()
    flash(f"Tier {tier.name} archived; its members move to the tier they qualify for shortly.")
    return redirect(url_for("dashboard.program.index"), 303)


@bp.post("/tier-program")
def update_program():
    form = Form(values=form_values(request.form, PROGRAM_FIELDS))
    data = load(TierProgramSchema(), typed(form.values, ints=("tier_grace_days",), errors=form), form)
    if data is not None and form.ok:
        apply_change(form, lambda: tier_catalog.update_program(get_session(), current_shop(), data))
        if form.ok:
            flash("Tier program saved.")
            return redirect(url_for("dashboard.program.index"), 303)
    return render_program(program_form=form, status=422)
