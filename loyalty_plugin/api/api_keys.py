"""The shop's admin API keys: list, create (the key shown once) and revoke."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint

from ..db import get_session
from ..schemas.api_keys import ApiKeyCreatedSchema, ApiKeyInputSchema, ApiKeySchema
from ..schemas.envelopes import list_of
from ..services import api_keys
from .contract import documented
from .examples import WHEN
from .helpers import api_key, idempotent, json_body

bp = Blueprint("api_keys", __name__)

KEY = {"id": 3, "name": "Zapier", "prefix": "lk_Jw8c2Q_", "scope": "read_only", "created_at": WHEN,
       "revoked_at": None}


@bp.get("/api-keys")
@documented("The shop's API keys, newest first; never the keys themselves",
            response=list_of(ApiKeySchema), example={"items": [KEY]})
def list_keys():
    return {"items": ApiKeySchema(many=True).dump(api_keys.list_api_keys(get_session(), api_key().shop_id))}


@bp.post("/api-keys")
@documented("Create an API key", status=201, response=ApiKeyCreatedSchema, body=ApiKeyInputSchema,
            description="The key is in this answer only. A repeat with the same Idempotency-Key "
                        "answers with the key's record but not the key, which is kept nowhere.",
            body_example={"name": "Zapier", "scope": "read_only"},
            example={**KEY, "key": "lk_Jw8c2Q_vI1hTz0rY3kUe8p2XcQm9bLd4sN6aRfG7oWj"})
def create_key():
    key = api_key(write=True)
    body = json_body()
    values = ApiKeyInputSchema().load(body)
    shown: dict[str, str] = {}

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        row, secret = api_keys.issue_api_key(get_session(), key.shop_id, name=values["name"],
                                             scope=values["scope"], now=now)
        shown["key"] = secret
        return ApiKeySchema().dump(row), 201

    answer, status = idempotent(key.shop_id, "api_key.create", body, write)
    return {**answer, **shown}, status


@bp.post("/api-keys/<int:key_id>/revoke")
@documented("Revoke an API key at once", response=ApiKeySchema, errors=(409,),
            description="A key may revoke itself, except the shop's last live read-write key "
                        "(409 last_write_key): create another first. Revoking twice is harmless.",
            example={**KEY, "revoked_at": WHEN})
def revoke_key(key_id: int):
    key = api_key(write=True)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        return ApiKeySchema().dump(api_keys.revoke_api_key(get_session(), key.shop_id, key_id, now)), 200

    return idempotent(key.shop_id, "api_key.revoke", {"key": key_id}, write)
