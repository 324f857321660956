"""Customers' birthdays and the points the shop gives on them."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint

from ..db import get_session
from ..models import utcnow
from ..schemas.birthdays import BirthdayInputSchema, BirthdayProgramSchema, BirthdaySchema
from ..services import birthdays
from . import examples as ex
from .contract import documented
from .customers import customer_account
from .helpers import api_key, idempotent, json_body
from .shops import current_shop

bp = Blueprint("birthdays", __name__)


@bp.get("/customers/<external_id>/birthday")
@documented("A customer's birthday and next payout", response=BirthdaySchema, example=ex.BIRTHDAY)
def get_birthday(external_id: str):
    key = api_key()
    shop = current_shop(key.shop_id)
    account = customer_account(key.shop_id, external_id)
    return BirthdaySchema().dump(birthdays.birthday_of(shop, account, utcnow()))


@bp.put("/customers/<external_id>/birthday")
@documented("Set a customer's birthday", response=BirthdaySchema, body=BirthdayInputSchema,
            body_example={"month": 3, "day": 14}, example=ex.BIRTHDAY)
def set_birthday(external_id: str):
    key = api_key(write=True)
    data = BirthdayInputSchema().load(json_body())
    shop = current_shop(key.shop_id)
    account = customer_account(key.shop_id, external_id)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        birthday = birthdays.set_birthday(get_session(), shop, account, now=now, **data)
        return BirthdaySchema().dump(birthday), 200

    return idempotent(key.shop_id, "birthday.set", {"customer": external_id, **data}, write)


@bp.delete("/customers/<external_id>/birthday")
@documented("Forget a customer's birthday", response=BirthdaySchema,
            example={**ex.BIRTHDAY, "month": None, "day": None, "set_at": None, "next_payout": None})
def clear_birthday(external_id: str):
    key = api_key(write=True)
    shop = current_shop(key.shop_id)
    account = customer_account(key.shop_id, external_id)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        return BirthdaySchema().dump(birthdays.clear_birthday(get_session(), shop, account, now)), 200

    return idempotent(key.shop_id, "birthday.clear", {"customer": external_id}, write)


@bp.get("/birthdays/settings")
@documented("The birthday program", response=BirthdayProgramSchema, example={"birthday_points": 100})
def get_settings():
    return BirthdayProgramSchema().dump(current_shop(api_key().shop_id).settings)


@bp.patch("/birthdays/settings")
@documented("Change the birthday points", response=BirthdayProgramSchema, body=BirthdayProgramSchema,
            body_example={"birthday_points": 250}, example={"birthday_points": 250})
def update_settings():
    key = api_key(write=True)
    body = json_body()
    changes = BirthdayProgramSchema().load(body)
    shop = current_shop(key.shop_id)

    def write(_reference: str | None, _now: dt.datetime) -> tuple[dict, int]:
        settings = birthdays.update_program(get_session(), shop, points=changes["birthday_points"])
        return BirthdayProgramSchema().dump(settings), 200

    return idempotent(key.shop_id, "birthday.settings", body, write)
