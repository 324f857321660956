"""The rewards catalog: list, create, read, change and archive rewards."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, request

from ..db import get_session
from ..schemas.rewards import RewardInputSchema, RewardListQuerySchema, RewardSchema
from ..services import rewards
from ..schemas.envelopes import list_of
from . import examples as ex
from .contract import documented
from .helpers import api_key, idempotent, json_body

bp = Blueprint("rewards", __name__)


@bp.get("/rewards")
@documented("The rewards catalog", response=list_of(RewardSchema), query=RewardListQuerySchema,
            example={"items": [ex.REWARD]})
def list_rewards():
    key = api_key()
    query = RewardListQuerySchema().load(request.args)
    items = rewards.list_rewards(get_session(), key.shop_id, include_archived=query["include_archived"],
                                 active=query["active"])
    return {"items": RewardSchema(many=True).dump(items)}


@bp.post("/rewards")
@documented("Create a reward", status=201, response=RewardSchema, body=RewardInputSchema,
            body_example={"name": "$5 off", "kind": "fixed_amount", "points_cost": 500, "value": "5.00",
                          "min_order_subtotal": "20.00"}, example=ex.REWARD)
def create_reward():
    key = api_key(write=True)
    data = RewardInputSchema().load(json_body())

    def create(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        return RewardSchema().dump(rewards.create_reward(get_session(), key.shop_id, data, now)), 201

    return idempotent(key.shop_id, "reward-create", data, create)


@bp.get("/rewards/<int:reward_id>")
@documented("One reward", response=RewardSchema, example=ex.REWARD)
def get_reward(reward_id: int):
    key = api_key()
    return RewardSchema().dump(rewards.get_reward(get_session(), key.shop_id, reward_id))


@bp.patch("/rewards/<int:reward_id>")
@documented("Change a reward; codes already issued keep their terms", response=RewardSchema,
            body=RewardInputSchema(partial=True), body_example={"active": False},
            example={**ex.REWARD, "active": False})
def update_reward(reward_id: int):
    key = api_key(write=True)
    changes: dict[str, Any] = RewardInputSchema(partial=True).load(json_body())

    def update(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        reward = rewards.update_reward(get_session(), key.shop_id, reward_id, changes, now)
        return RewardSchema().dump(reward), 200

    return idempotent(key.shop_id, "reward-update", {"id": reward_id, **changes}, update)


@bp.delete("/rewards/<int:reward_id>")
@documented("Archive a reward; its codes stay valid", response=RewardSchema,
            example={**ex.REWARD, "archived": True, "archived_at": ex.WHEN})
def archive_reward(reward_id: int):
    key = api_key(write=True)

    def archive(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        return RewardSchema().dump(rewards.archive_reward(get_session(), key.shop_id, reward_id, now)), 200

    return idempotent(key.shop_id, "reward-archive", {"id": reward_id}, archive)
