"""The program editor's rewards: create, change (or deactivate), archive."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for

from ..db import get_session
from ..models import Reward, utcnow
from ..schemas.rewards import RewardInputSchema
from ..services import rewards
from .editor import REWARD_KINDS, render_program
from .explain import number
from .forms import Form, apply_change, form_values, load, typed
from .guard import current_shop
from .pages import page

bp = Blueprint("rewards", __name__, url_prefix="/program")

FIELDS = ("name", "description", "kind", "points_cost", "value", "min_points", "max_points",
          "product_variant_id", "min_order_subtotal", "validity_days", "required_tier_id",
          "per_customer_limit", "active")
INTS = ("points_cost", "min_points", "max_points", "validity_days", "required_tier_id",
        "per_customer_limit")
NULLABLE = ("description", "min_points", "max_points", "product_variant_id", "required_tier_id",
            "per_customer_limit")


def reward_values(reward: Reward) -> dict[str, str]:
    values = {name: "" if getattr(reward, name) is None else str(getattr(reward, name))
              for name in FIELDS}
    values.update(kind=reward.kind.value, value=number(reward.value),
                  min_order_subtotal=number(reward.min_order_subtotal),
                  active="on" if reward.active else "")
    return values


def reward_data(form: Form) -> dict[str, Any] | None:
    data = typed(form.values, ints=INTS, bools=("active",), nullable=NULLABLE, errors=form)
    loaded = load(RewardInputSchema(), data, form)
    return loaded if form.ok else None


@bp.post("/rewards")
def create():
    form = Form(values=form_values(request.form, FIELDS))
    data = reward_data(form)
    if data is not None:
        reward = apply_change(form, lambda: rewards.create_reward(get_session(), current_shop().id, data,
                                                                  utcnow()))
        if reward is not None:
            flash(f"Reward {reward.name} created.")
            return redirect(url_for("dashboard.program.index"), 303)
    return render_program(reward_form=form, status=422)


@bp.route("/rewards/<int:reward_id>", methods=["GET", "POST"])
def edit(reward_id: int):
    reward = rewards.get_reward(get_session(), current_shop().id, reward_id)
    if request.method == "GET":
        return page("reward.html", reward=reward, form=Form(values=reward_values(reward)),
                    kinds=REWARD_KINDS)
    form = Form(values=form_values(request.form, FIELDS))
    data = reward_data(form)
    if data is not None:
        apply_change(form, lambda: rewards.update_reward(get_session(), current_shop().id, reward_id, data,
                                                         utcnow()))
        if form.ok:
            flash(f"Reward {data['name']} saved.")
            return redirect(url_for("dashboard.program.index"), 303)
    reward = rewards.get_reward(get_session(), current_shop().id, reward_id)
    return page("reward.html", 422, reward=reward, form=form, kinds=REWARD_KINDS)


@bp.post("/rewards/<int:reward_id>/archive")
def archive(reward_id: int):
    reward = rewards.archive_reward(get_session(), current_shop().id, reward_id, utcnow())
    get_session().commit()
    flash(f"Reward {reward.name} archived; codes already issued stay valid.")
    return redirect(url_for("dashboard.program.index"), 303)
