"""The widget JSON API under ``/widget/v1/<shop_id>``: thin views over the storefront services."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, g, jsonify, request

from loyalty_plugin.api.helpers import json_body
from loyalty_plugin.db import Executor, get_db, get_reader, get_session, lazy_session
from loyalty_plugin.errors import ErrorCode, Forbidden, NotFound, Unauthorized
from loyalty_plugin.models import CustomerAccount, Shop, ShopStatus, WidgetSettings, utcnow
from loyalty_plugin.schemas.rewards import RedemptionSchema
from loyalty_plugin.services import storefront
from loyalty_plugin.services.accounts import find_by_external_id
from loyalty_plugin.services.referral_codes import draw_referral_code, referral_link
from loyalty_plugin.services.shop_cache import ShopCache
from loyalty_plugin.services.widget_settings import shop_with_widget_settings

from . import redeem
from .assets import assets_version
from .conditional import with_etag
from .i18n import messages, resolve_locale
from .identity import CUSTOMER_HEADER, DIGEST_HEADER, verified_customer
from .origins import add_cors_headers, allowed_origins, origin_allowed
from .schemas import ConfigSchema, EstimateQuerySchema, GuestSummarySchema, dump_customer_summary
from .theme import accent_text_color, text_color_on

bp = Blueprint("widget_api", __name__, url_prefix="/widget/v1/<int:shop_id>")

CATALOG_KEY = "widget_catalog"
SHOPS_KEY = "widget_shops"
PUBLIC_MAX_AGE = 300
PRIVATE_MAX_AGE = 20
# Schemas hold no request state; building them is not free, so each is built once.
_CONFIG = ConfigSchema()
_GUEST = GuestSummarySchema()
_ESTIMATE_QUERY = EstimateQuerySchema()
_REDEEM = RedemptionSchema()  # the admin API's: one definition of a redemption request
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_BY_IDENTITY = f"{CUSTOMER_HEADER}, {DIGEST_HEADER}"


@bp.record_once
def _make_catalog_cache(state) -> None:
    # One per app: a test's app never sees another app's shops.
    state.app.extensions[CATALOG_KEY] = storefront.CatalogCache(
        ttl=state.app.config["LOYALTY_WIDGET_CATALOG_TTL"])
    shops = state.app.extensions[SHOPS_KEY] = ShopCache(ttl=state.app.config["LOYALTY_WIDGET_SHOP_TTL"])
    shops.watch(get_db(state.app).sessionmaker)


@dataclass(frozen=True)
class WidgetContext:
    shop: Shop
    settings: WidgetSettings
    origin: str | None


@bp.url_value_preprocessor
def _pull_shop_id(_endpoint: str | None, values: dict | None) -> None:
    g.widget_shop_id = values.pop("shop_id") if values else None


@bp.before_request
def _load_shop() -> None:
    # Reads take the cached shop; a write (a redemption) reads it afresh.
    found = (current_app.extensions[SHOPS_KEY].get(lazy_session, g.widget_shop_id)
             if request.method in _READS else shop_with_widget_settings(get_session(), g.widget_shop_id))
    if found is None or found[0].status is not ShopStatus.ACTIVE:
        raise NotFound("No such shop.", code=ErrorCode.SHOP_NOT_FOUND)
    shop, settings = found
    origin = request.headers.get("Origin")
    allowed = allowed_origins(shop, settings, [current_app.config["LOYALTY_PUBLIC_URL"]])
    if not origin_allowed(origin, allowed):
        raise Forbidden("This page's origin may not use the shop's widget.",
                        code=ErrorCode.ORIGIN_NOT_ALLOWED)
    g.widget = WidgetContext(shop, settings, origin)


@bp.after_request
def _headers(response: Response) -> Response:
    context: WidgetContext | None = g.get("widget")
    if context is not None and context.origin:
        add_cors_headers(response, context.origin, preflight=request.method == "OPTIONS")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _catalog() -> storefront.CatalogCache:
    return current_app.extensions[CATALOG_KEY]


def _customer_id() -> str | None:
    """The signed-in customer's id; None for a guest; 401 for a bad signature."""
    return verified_customer(request.headers.get(CUSTOMER_HEADER), request.headers.get(DIGEST_HEADER),
                             g.widget.shop.widget_secret)


def _unknown_customer() -> NotFound:
    return NotFound("This customer has no points in this shop yet.", code=ErrorCode.CUSTOMER_NOT_FOUND)


def _customer() -> CustomerAccount | None:
    """The signed-in customer's account; None for a guest; 401/404 for a bad or unknown one."""
    customer_id = _customer_id()
    if customer_id is None:
        return None
    account = find_by_external_id(get_session(), g.widget.shop.id, customer_id)
    if account is None:
        raise _unknown_customer()
    return account


def _cached(body: dict, *, private: bool, max_age: int, by_identity: bool = True) -> Response:
    response = jsonify(body)
    response.headers["Cache-Control"] = f"{'private' if private else 'public'}, max-age={max_age}"
    if by_identity:
        # A shared cache must not give one visitor's answer to another. The response is
        # new, with no Vary yet: set as text, not through Response.vary's parsed set.
        response.headers["Vary"] = _BY_IDENTITY
    return with_etag(response)


@bp.get("/config")
def config() -> Response:
    context: WidgetContext = g.widget
    settings = context.settings
    locale = resolve_locale(settings.locale, request.args.get("lang"))
    body = _CONFIG.dump({
        "shop_id": context.shop.id, "currency": context.shop.currency, "locale": locale,
        "messages": messages(locale),
        "theme": {"primary": settings.primary_color, "on_primary": text_color_on(settings.primary_color),
                  "accent": accent_text_color(settings.primary_color),
                  "position": settings.launcher_position.value, "launcher_text": settings.launcher_text},
        "links": {"sign_in": settings.sign_in_url, "sign_up": settings.sign_up_url},
        "assets": {"version": assets_version()},
    })
    return _cached(body, private=False, max_age=PUBLIC_MAX_AGE, by_identity=False)


@bp.get("/summary")
def summary() -> Response:
    session = lazy_session  # the caches need it only when they miss
    customer_id = _customer_id()
    if customer_id is None:
        program = storefront.program_view(session, g.widget.shop, _catalog())
        return _cached(_GUEST.dump(program), private=False, max_age=PUBLIC_MAX_AGE)
    # One statement reads the signed-in view; the codes, when there are any, need not agree with it.
    reader = get_reader()
    view = storefront.signed_in_view(session, g.widget.shop, customer_id, utcnow(), cache=_catalog(),
                                     reader=reader)
    if view is None:
        raise _unknown_customer()
    referral = _referral_link(g.widget.shop, view.account, reader)
    if referral is not None:
        view = dataclasses.replace(view, referral=referral)
    return _cached(dump_customer_summary(view), private=True, max_age=PRIVATE_MAX_AGE)


def _referral_link(shop: Shop, account: storefront.AccountRow,
                   reader: Executor) -> storefront.ReferralLink | None:
    """The customer's link while the shop runs referrals; drawn on the first look, then kept.

    ``account``: a row with the account's ``id`` and ``referral_code``. Only the first
    look writes; every later one reads the code with the rest of the account.
    """
    if not shop.settings.referrals_enabled:
        return None
    code = account.referral_code
    if code is None:
        code = draw_referral_code(reader, account.id)
        # The view owns the transaction: a draw in the session commits here, one on an
        # autocommit reader has nothing left to commit.
        get_session().commit()
    return storefront.ReferralLink(code=code, link=referral_link(shop, code))


@bp.get("/estimate")
def estimate() -> Response:
    raw = request.args.getlist("price")
    prices = _ESTIMATE_QUERY.load({"price": raw})["price"]
    account = _customer()
    points = storefront.estimate_points(get_session(), g.widget.shop, account, prices)
    body = {"estimates": [{"price": text, "points": n} for text, n in zip(raw, points)]}
    return _cached(body, private=account is not None,
                   max_age=PRIVATE_MAX_AGE if account is not None else PUBLIC_MAX_AGE)


@bp.post("/redemptions")
def create_redemption() -> tuple[dict, int]:
    account = _customer()
    if account is None:
        raise Unauthorized("Sign in to redeem points.", code=ErrorCode.UNAUTHORIZED)
    data = _REDEEM.load(json_body())
    return redeem.redeem_for_customer(g.widget.shop, account, data)
