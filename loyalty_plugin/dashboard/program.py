"""The program editor's page, and the storefront widget's preview inside it: as a guest
sees it, or as a customer the owner picks sees it when signed in on the storefront."""
from __future__ import annotations

from flask import Blueprint
from marshmallow import EXCLUDE

from ..db import get_session
from ..errors import Unprocessable
from ..rules.identity import customer_digest
from ..schemas.customers import PreviewQuerySchema
from ..services.queries import search_customers
from .customers import get_account, query_args
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
MATCHES = 10


@bp.get("")
def index():
    query = PreviewQuerySchema(unknown=EXCLUDE).load(query_args())
    matches = None
    if query["preview_q"]:
        matches, _ = search_customers(get_session(), shop_id=current_shop().id, q=query["preview_q"],
                                      limit=MATCHES, cursor=None)
    account = get_account(query["customer"]) if query["customer"] else None
    return render_program(preview={"q": query["preview_q"] or "", "matches": matches, "account": account})


@bp.get("/preview")
def preview():
    """The digest is made here with the shop's widget secret, exactly as the shop's theme
    makes it; the secret itself never reaches the page."""
    query = PreviewQuerySchema(unknown=EXCLUDE).load(query_args())
    shop = current_shop()
    identity = {}
    if query["customer"] is not None:
        account = get_account(query["customer"])
        if not account.platform_customer_id:
            raise Unprocessable("A guest account has no storefront sign-in to preview.",
                                details={"field": "customer"})
        identity = {"customer_id": account.platform_customer_id,
                    "digest": customer_digest(account.platform_customer_id, shop.widget_secret),
                    "account": account}
    response = page("preview.html", shop_id=shop.id, **identity)
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response
