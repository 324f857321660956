"""CSV exports of the key's shop, streamed as the rows are read."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import Blueprint, Response, stream_with_context

from ..db import get_session
from ..services.exports import (CUSTOMER_COLUMNS, LEDGER_COLUMNS, csv_chunks, customer_rows,
                                ledger_rows)
from .contract import documented
from .helpers import api_key

bp = Blueprint("exports", __name__)


@bp.get("/exports/customers.csv")
@documented("Every customer as CSV, streamed", media_type="text/csv",
            example="external_id,email,first_name,last_name,available,pending,lifetime\n")
def export_customers():
    key = api_key()
    return _csv(f"customers-shop{key.shop_id}.csv", CUSTOMER_COLUMNS,
                customer_rows(get_session(), key.shop_id))


@bp.get("/exports/ledger.csv")
@documented("The whole ledger as CSV, streamed", media_type="text/csv",
            example="id,external_id,kind,points,status,created_at\n")
def export_ledger():
    key = api_key()
    return _csv(f"ledger-shop{key.shop_id}.csv", LEDGER_COLUMNS, ledger_rows(get_session(), key.shop_id))


def _csv(filename: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    response = Response(stream_with_context(csv_chunks(columns, rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
