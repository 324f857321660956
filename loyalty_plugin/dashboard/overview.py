"""The overview: the program's numbers over a period, with charts."""
from __future__ import annotations

from flask import Blueprint

from .pages import page

bp = Blueprint("overview", __name__)


@bp.get("/")
def index():
    return page("overview.html")
