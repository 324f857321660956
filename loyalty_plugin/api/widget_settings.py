"""The storefront widget's look, language, links and allowed storefront origins."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint

from ..db import get_session
from ..schemas.widget_settings import WidgetSettingsSchema
from ..services.widget_settings import get_widget_settings, update_widget_settings
from . import examples as ex
from .contract import documented
from .helpers import api_key, current_shop, idempotent, json_body

bp = Blueprint("widget_settings", __name__)


@bp.get("/widget/settings")
@documented("The storefront widget's settings", response=WidgetSettingsSchema,
            example=ex.WIDGET_SETTINGS)
def get_settings():
    key = api_key()
    return WidgetSettingsSchema().dump(get_widget_settings(get_session(), key.shop_id))


@bp.patch("/widget/settings")
@documented("Change the storefront widget's settings", response=WidgetSettingsSchema,
            body=WidgetSettingsSchema, body_example={"primary_color": "#0b7285", "locale": "fr"},
            example={**ex.WIDGET_SETTINGS, "primary_color": "#0b7285", "locale": "fr"})
def update_settings():
    key = api_key(write=True)
    body = json_body()
    changes = WidgetSettingsSchema().load(body)
    shop = current_shop(key.shop_id)

    def write(_reference: str | None, now: dt.datetime) -> tuple[dict, int]:
        settings = update_widget_settings(get_session(), shop, changes, now)
        return WidgetSettingsSchema().dump(settings), 200

    return idempotent(key.shop_id, "widget.settings", body, write)
