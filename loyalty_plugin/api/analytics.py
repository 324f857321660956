"""The dashboard overview for a range of the shop's local days."""
from __future__ import annotations

from flask import Blueprint, request

from ..db import get_session
from ..models import utcnow
from ..schemas.analytics import OverviewQuerySchema, OverviewSchema
from ..services.analytics import default_range, overview
from .contract import documented
from .examples import OVERVIEW
from .helpers import api_key, current_shop

bp = Blueprint("analytics", __name__)


@bp.get("/analytics/overview")
@documented("Points, members, redemptions, code revenue, orders and liability over a range",
            response=OverviewSchema, query=OverviewQuerySchema, example=OVERVIEW, errors=(422,),
            description="Days are the shop's local days. Definitions: see the README's *Analytics*.")
def get_overview():
    shop = current_shop(api_key().shop_id)
    query = OverviewQuerySchema().load(request.args)
    now = utcnow()
    start, end = default_range(shop, now, start=query["start"], end=query["end"])
    return OverviewSchema().dump(overview(get_session(), shop, start=start, end=end,
                                          bucket=query["bucket"], now=now))
