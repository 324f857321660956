"""VIP tiers and the tier program; a customer's tier standing and history."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, request
from sqlalchemy import select

from ..db import get_session
from ..models import Tier, TierChange, utcnow
from ..schemas.tiers import (CustomerTierSchema, TierCatalogSchema, TierChangeSchema,
                             TierInputSchema, TierProgramSchema, TierSchema, TierStatusSchema)
from ..services import tier_catalog
from ..services.tiers import tier_status
from . import examples as ex
from .contract import documented
from .customers import customer_account
from .helpers import api_key, idempotent, json_body
from .shops import current_shop

bp = Blueprint("tiers", __name__)

HISTORY_LIMIT = 100


@bp.get("/tiers")
@documented("The tier program and its tiers", response=TierCatalogSchema,
            params=[{"in": "query", "name": "include_archived", "schema": {"type": "boolean"},
                     "description": "Also list archived tiers."}],
            example={"program": ex.TIER_PROGRAM, "tiers": [ex.TIER]})
def list_tiers():
    shop = current_shop(api_key().shop_id)
    query = select(Tier).where(Tier.shop_id == shop.id).order_by(Tier.threshold, Tier.id)
    if request.args.get("include_archived", "").lower() not in ("1", "true"):
        query = query.where(Tier.archived_at.is_(None))
    tiers = get_session().execute(query).scalars().all()
    return {"program": TierProgramSchema().dump(shop.settings), "tiers": TierSchema(many=True).dump(tiers)}


@bp.post("/tiers")
@documented("Create a tier", status=201, response=TierSchema, body=TierInputSchema,
            body_example={"name": "Gold", "threshold": "500", "multiplier": "1.5"},
            errors=(409,), example=ex.TIER)
def create_tier():
    key = api_key(write=True)
    body = json_body()
    values = TierInputSchema().load(body)
    shop = current_shop(key.shop_id)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        return TierSchema().dump(tier_catalog.create_tier(get_session(), shop, values, now)), 201

    return idempotent(key.shop_id, "tier.create", body, write)


@bp.get("/tiers/<int:tier_id>")
@documented("One tier", response=TierSchema, example=ex.TIER)
def get_tier(tier_id: int):
    return TierSchema().dump(tier_catalog.get_tier(get_session(), api_key().shop_id, tier_id))


@bp.patch("/tiers/<int:tier_id>")
@documented("Change a tier", response=TierSchema, body=TierInputSchema(partial=True),
            body_example={"multiplier": "2"}, errors=(409,), example=ex.TIER)
def update_tier(tier_id: int):
    key = api_key(write=True)
    body = json_body()
    changes = TierInputSchema(partial=True).load(body)
    shop = current_shop(key.shop_id)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        tier = tier_catalog.update_tier(get_session(), shop, tier_id, changes, now)
        return TierSchema().dump(tier), 200

    return idempotent(key.shop_id, "tier.update", {"tier": tier_id, **body}, write)


@bp.delete("/tiers/<int:tier_id>")
@documented("Archive a tier; its members keep it until re-evaluated", response=TierSchema,
            example={**ex.TIER, "archived_at": ex.WHEN})
def archive_tier(tier_id: int):
    key = api_key(write=True)
    shop = current_shop(key.shop_id)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        return TierSchema().dump(tier_catalog.archive_tier(get_session(), shop, tier_id, now)), 200

    return idempotent(key.shop_id, "tier.archive", {"tier": tier_id}, write)


@bp.get("/tiers/program")
@documented("The tier program", response=TierProgramSchema, example=ex.TIER_PROGRAM)
def get_program():
    return TierProgramSchema().dump(current_shop(api_key().shop_id).settings)


@bp.patch("/tiers/program")
@documented("Change the tier program", response=TierProgramSchema, body=TierProgramSchema,
            body_example={"tier_window": "rolling_12_months"}, example=ex.TIER_PROGRAM)
def update_program():
    key = api_key(write=True)
    body = json_body()
    changes = TierProgramSchema().load(body)
    shop = current_shop(key.shop_id)

    def write(_reference: str | None, _now: dt.datetime) -> tuple[dict, int]:
        return TierProgramSchema().dump(tier_catalog.update_program(get_session(), shop, changes)), 200

    return idempotent(key.shop_id, "tier.program", body, write)


@bp.get("/customers/<external_id>/tier")
@documented("A customer's tier, progress and tier history", response=CustomerTierSchema,
            example={"status": {"tier": None, "since": None, "expires_at": None, "progress": "120",
                                "basis": "points", "window": "lifetime", "window_start": None,
                                "next_tier": None, "remaining": None}, "history": []})
def get_customer_tier(external_id: str):
    key = api_key()
    shop = current_shop(key.shop_id)
    account = customer_account(key.shop_id, external_id)
    session = get_session()
    history = session.execute(select(TierChange).where(TierChange.account_id == account.id)
                              .order_by(TierChange.id.desc()).limit(HISTORY_LIMIT)).scalars().all()
    return {"status": TierStatusSchema().dump(tier_status(session, shop, account, utcnow())),
            "history": TierChangeSchema(many=True).dump(history)}
