"""The rewards catalog: list, create, read, change and archive rewards."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, request

from ..db import get_session
from ..schemas.rewards import RewardInputSchema, RewardListQuerySchema, RewardSchema
from ..services import rewards
from .helpers import api_key, idempotent, json_body

bp = Blueprint("rewards", __name__)


@bp.get("/rewards")
def list_rewards():
    key = api_key()
    query = RewardListQuerySchema().load(request.args)
    items = rewards.list_rewards(get_session(), key.shop_id, include_archived=query["include_archived"],
                                 active=query["active"])
    return {"items": RewardSchema(many=True).dump(items)}


@bp.post("/rewards")
def create_reward():
    key = api_key(write=True)
    data = RewardInputSchema().load(json_body())

    def create(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        return RewardSchema().dump(rewards.create_reward(get_session(), key.shop_id, data, now)), 201

    return idempotent(key.shop_id, "reward-create", data, create)


@bp.get("/rewards/<int:reward_id>")
def get_reward(reward_id: int):
    key = api_key()
    return RewardSchema().dump(rewards.get_reward(get_session(), key.shop_id, reward_id))


@bp.patch("/rewards/<int:reward_id>")
def update_reward(reward_id: int):
    key = api_key(write=True)
    changes: dict[str, Any] = RewardInputSchema(partial=True).load(json_body())

    def update(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        reward = rewards.update_reward(get_session(), key.shop_id, reward_id, changes, now)
        return RewardSchema().dump(reward), 200

    return idempotent(key.shop_id, "reward-update", {"id": reward_id, **changes}, update)


@bp.delete("/rewards/<int:reward_id>")
def archive_reward(reward_id: int):
    key = api_key(write=True)

    def archive(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        return RewardSchema().dump(rewards.archive_reward(get_session(), key.shop_id, reward_id, now)), 200

    return idempotent(key.shop_id, "reward-archive", {"id": reward_id}, archive)
