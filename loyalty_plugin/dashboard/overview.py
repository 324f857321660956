"""The overview: the program's numbers over a range of days, with charts."""
from __future__ import annotations

from flask import Blueprint, request

from ..db import get_session
from ..models import utcnow
from ..schemas.analytics import OverviewQuerySchema
from ..services.analytics import default_range, overview
from .charts import grouped_bars
from .guard import current_shop
from .pages import page

bp = Blueprint("overview", __name__)


@bp.get("/")
def index():
    shop = current_shop()
    now = utcnow()
    # The dashboard's form names the range start/end; the API's schema calls them from/to.
    args = {{"start": "from", "end": "to"}.get(k, k): v for k, v in request.args.items() if v}
    query = OverviewQuerySchema().load(args)
    start, end = default_range(shop, now, start=query["start"], end=query["end"])
    numbers = overview(get_session(), shop, start=start, end=end, bucket=query["bucket"], now=now)
    labels = [b.first.isoformat() for b in numbers.buckets]
    points = grouped_bars(labels, [
        ("issued", "Issued", [b.points.issued for b in numbers.buckets]),
        ("redeemed", "Redeemed", [b.points.redeemed for b in numbers.buckets]),
        ("expired", "Expired", [b.points.expired for b in numbers.buckets]),
    ])
    members = grouped_bars(labels, [
        ("members", "Members", [b.members for b in numbers.buckets]),
        ("active", "Active members", [b.active_members for b in numbers.buckets]),
    ])
    return page("overview.html", numbers=numbers, points_chart=points, members_chart=members,
                bucket=numbers.bucket.value)
