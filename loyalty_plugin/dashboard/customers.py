"""Customers: search, a detail page that explains the balance, adjustments and codes."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from sqlalchemy import select

from ..api import cancel_flow
from ..db import get_session
from ..errors import Conflict, ErrorCode, InsufficientPoints, NotFound
from ..models import CodeStatus, CustomerAccount, utcnow
from ..schemas.customers import AdjustmentSchema, CustomerQuerySchema, PageQuerySchema
from ..services.adjustments import adjust_points
from ..services.codes import get_code, list_codes
from ..services.customer_history import history_page, tier_of
from ..services.queries import search_customers
from .explain import KIND_NAMES, explain, order_label
from .form_tokens import INCOMPLETE, is_form_token, new_form_token
from .forms import Form, form_values, load, typed
from .guard import current_shop, current_user
from .pages import page

bp = Blueprint("customers", __name__)

PAGE_SIZE = 25
HISTORY_SIZE = 50
CANCELLABLE = (CodeStatus.ISSUED, CodeStatus.PENDING)


def query_args() -> dict[str, str]:
    """Query parameters without empty ones, which a search form sends for a blank box."""
    return {key: value for key, value in request.args.items() if value != ""}


def get_account(account_id: int) -> CustomerAccount:
    account = get_session().execute(select(CustomerAccount).where(
        CustomerAccount.shop_id == current_shop().id, CustomerAccount.id == account_id)
    ).scalar_one_or_none()
    if account is None:
        raise NotFound(f"No customer {account_id} in this shop.", code=ErrorCode.CUSTOMER_NOT_FOUND)
    return account


@bp.get("/customers")
def index():
    query = CustomerQuerySchema().load({"limit": PAGE_SIZE, **query_args()})
    rows, next_cursor = search_customers(get_session(), shop_id=current_shop().id, **query)
    return page("customers.html", customers=rows, q=query["q"] or "", next_cursor=next_cursor)


@bp.get("/customers/<int:account_id>")
def detail(account_id: int):
    return render_detail(get_account(account_id), Form(values={"points": "", "reason": ""}))


def render_detail(account: CustomerAccount, form: Form, status: int = 200):
    session = get_session()
    cursor = PageQuerySchema().load(query_args())["cursor"]
    lines, next_cursor = history_page(session, account, limit=HISTORY_SIZE, cursor=cursor)
    codes, _ = list_codes(session, shop_id=account.shop_id, account_id=account.id, limit=100,
                          cursor=None)
    form.values.setdefault("form_token", new_form_token())
    return page("customer.html", status, account=account, tier=tier_of(session, account),
                lines=lines, next_cursor=next_cursor, codes=codes, form=form,
                cancellable=CANCELLABLE, kind_names=KIND_NAMES, explain=explain,
                order_label=order_label, now=utcnow())


@bp.post("/customers/<int:account_id>/adjustments")
def adjust(account_id: int):
    account = get_account(account_id)
    form = Form(values=form_values(request.form, ("points", "reason", "form_token")))
    if not is_form_token(form.values["form_token"]):
        form.values["form_token"] = new_form_token()
        form.message = INCOMPLETE
        return render_detail(account, form, 400)
    data = load(AdjustmentSchema(), typed({k: form.values[k] for k in ("points", "reason")},
                                          ints=("points",), errors=form), form)
    if data is None or not form.ok:
        return render_detail(account, form, 422)
    try:
        # The form's one-time token is the adjustment's key: a double submit adjusts once.
        entry = adjust_points(get_session(), account, points=data["points"], reason=data["reason"],
                              now=utcnow(), reference=f"dashboard-{form.values['form_token']}",
                              actor=current_user().email)
    except InsufficientPoints as exc:
        get_session().rollback()
        form.add("points", exc.message)
        return render_detail(get_account(account_id), form, 422)
    get_session().commit()
    flash(f"Adjusted by {entry.points:+d} points.")
    return redirect(url_for(".detail", account_id=account.id), 303)


@bp.post("/codes/<code>/cancel")
def cancel_code(code: str):
    shop = current_shop()
    target = get_code(get_session(), shop.id, code)  # a 404 before the platform is asked
    account_id = target.account_id
    try:
        cancelled, _ = cancel_flow.cancel(shop, code)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for(".detail", account_id=account_id), 303)
    get_session().commit()
    flash(f"Code {cancelled.code} cancelled; {cancelled.points_spent} points returned.")
    return redirect(url_for(".detail", account_id=account_id), 303)
