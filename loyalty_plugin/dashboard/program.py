"""The program editor's page, and the storefront widget's preview inside it."""
from __future__ import annotations

from flask import Blueprint

from .editor import render_program
from .guard import current_shop
from .pages import page

bp = Blueprint("program", __name__, url_prefix="/program")

# The preview page loads the widget from this service like a storefront does, so
# its policy allows exactly the widget's own scripts, styles and API calls.
PREVIEW_POLICY = "; ".join((
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'self'",
))


@bp.get("")
def index():
    return render_program()


@bp.get("/preview")
def preview():
    response = page("preview.html", shop_id=current_shop().id)
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response
