"""The overview: the program's numbers over a range of days, with charts."""
from __future__ import annotations

import datetime as dt
import zoneinfo

from flask import Blueprint, request
from marshmallow import Schema, ValidationError, fields, validates_schema

from ..db import get_session
from ..models import utcnow
from ..services.overview_numbers import MAX_DAYS, overview_numbers
from .charts import grouped_bars
from .guard import current_shop
from .pages import page

bp = Blueprint("overview", __name__)

DEFAULT_DAYS = 30


class RangeSchema(Schema):
    start = fields.Date(load_default=None)
    end = fields.Date(load_default=None)

    @validates_schema
    def _ordered(self, data, **_kwargs) -> None:
        start, end = data.get("start"), data.get("end")
        if start and end and (end < start or (end - start).days >= MAX_DAYS):
            raise ValidationError(f"end must be on or after start, at most {MAX_DAYS} days later.",
                                  "end")


@bp.get("/")
def index():
    shop = current_shop()
    query = RangeSchema().load({k: v for k, v in request.args.items() if v})
    today = utcnow().astimezone(zoneinfo.ZoneInfo(shop.timezone)).date()
    end = query["end"] or (query["start"] + dt.timedelta(days=DEFAULT_DAYS - 1)
                           if query["start"] else today)
    start = query["start"] or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    RangeSchema().load({"start": start.isoformat(), "end": end.isoformat()})
    numbers = overview_numbers(get_session(), shop, start=start, end=end)
    chart = grouped_bars([d.day.isoformat() for d in numbers.days], [
        ("issued", "Issued", [d.issued for d in numbers.days]),
        ("redeemed", "Redeemed", [d.redeemed for d in numbers.days]),
        ("expired", "Expired", [d.expired for d in numbers.days]),
    ])
    return page("overview.html", numbers=numbers, chart=chart, start=start, end=end,
                totals={name: sum(getattr(d, name) for d in numbers.days)
                        for name in ("issued", "redeemed", "expired")})
