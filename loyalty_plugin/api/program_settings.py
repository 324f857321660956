"""The shop's program settings: earning rules, pending days, negative balances, time zone."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint

from ..db import get_session
from ..schemas.program_settings import ProgramSettingsSchema
from ..services.program_settings import read_program_settings, update_program_settings
from . import examples as ex
from .contract import documented
from .helpers import api_key, current_shop, idempotent, json_body

bp = Blueprint("program_settings", __name__)

_DESCRIPTION = ("Expiry, tiers and referrals have their own settings: `/expiry`, `/tiers/program` "
                "and `/referrals/settings`.")


@bp.get("/program/settings")
@documented("The program's earning rules, pending days, negative-balance policy and time zone",
            response=ProgramSettingsSchema, example=ex.PROGRAM_SETTINGS, description=_DESCRIPTION)
def get_settings():
    return ProgramSettingsSchema().dump(read_program_settings(current_shop(api_key().shop_id)))


@bp.patch("/program/settings")
@documented("Change the earning rules, pending days, negative-balance policy or time zone",
            response=ProgramSettingsSchema, body=ProgramSettingsSchema,
            body_example={"points_per_unit": "2", "pending_days": 30, "timezone": "Europe/Paris"},
            example={**ex.PROGRAM_SETTINGS, "points_per_unit": "2", "pending_days": 30,
                     "timezone": "Europe/Paris", "rule_version": 4},
            description="Earning rules apply to orders awarded from now on; points already "
                        "awarded keep what they were computed from. Any change to them raises "
                        "`rule_version`. A new time zone moves day boundaries from now on; "
                        "dates already given keep their instant. " + _DESCRIPTION)
def update_settings():
    key = api_key(write=True)
    body = json_body()
    changes = ProgramSettingsSchema().load(body)
    shop = current_shop(key.shop_id)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        view = update_program_settings(get_session(), shop, changes, now=now)
        return ProgramSettingsSchema().dump(view), 200

    return idempotent(key.shop_id, "program.settings", body, write)
