"""Reconciliation: orders whose webhooks never arrived, found through the platform's API.

Every order changed in the window is parsed by the same parsers the webhooks
use and applied through the same service (``apply_event``), one transaction per
order, so running it twice, or over orders the webhooks already brought,
changes nothing. An order that fails is counted and the run goes on; a listing
that fails ends the run as incomplete.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyalty_plugin.db import Database
from loyalty_plugin.encryption import SecretBox
from loyalty_plugin.errors import NotFound, ProviderError
from loyalty_plugin.events import OrderChanged, OrderSnapshot
from loyalty_plugin.models import Order, OrderRefund, utcnow
from loyalty_plugin.providers import Provider, ShopifyOAuth, provider_for
from loyalty_plugin.services.credentials import get_credentials
from loyalty_plugin.services.shopify_tokens import token_source_for
from loyalty_plugin.services.events import apply_event
from loyalty_plugin.services.shops import get_shop

from .base import PayloadError
from .sources import Candidate, candidates

log = logging.getLogger(__name__)

APPLIED, KNOWN, FAILED = "applied", "already_known", "failed"


@dataclass(frozen=True)
class OrderResult:
    order_id: str
    outcome: str
    note: str


@dataclass
class ReconcileSummary:
    shop_id: int
    platform: str
    since: str
    seen: int = 0
    applied: int = 0
    already_known: int = 0
    failed: int = 0
    complete: bool = True
    error: str | None = None
    failures: list[dict] = field(default_factory=list)

    def add(self, result: OrderResult) -> None:
        self.seen += 1
        setattr(self, result.outcome, getattr(self, result.outcome) + 1)
        if result.outcome == FAILED and len(self.failures) < 100:
            self.failures.append({"order_id": result.order_id, "error": result.note})

    def as_dict(self) -> dict:
        return asdict(self)


class Reconciliation:
    """Iterate it to run, one result per order (a progress bar can wrap it); ``summary`` adds up."""

    def __init__(self, db: Database, shop_id: int, platform: str, since: dt.datetime,
                 provider: Provider, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.db, self.shop_id, self.since = db, shop_id, since
        self.provider, self.clock = provider, clock
        self.summary = ReconcileSummary(shop_id=shop_id, platform=platform, since=since.isoformat())

    def __iter__(self) -> Iterator[OrderResult]:
        try:
            for candidate in candidates(self.provider, self.since):
                result = self._reconcile(candidate)
                self.summary.add(result)
                yield result
        except ProviderError as exc:
            self.summary.complete = False
            self.summary.error = exc.message
            log.warning("reconcile listing failed shop=%s error=%s", self.shop_id, exc.message)

    def _reconcile(self, candidate: Candidate) -> OrderResult:
        try:
            snapshot = candidate.load()
        except (ProviderError, PayloadError) as exc:
            message = exc.message if isinstance(exc, ProviderError) else f"malformed order: {exc}"
            log.warning("reconcile order failed shop=%s order=%s error=%s", self.shop_id,
                        candidate.order_id, message)
            return OrderResult(candidate.order_id, FAILED, message)
        try:
            return self._apply(snapshot)
        except Exception as exc:  # one bad order must not stop the others
            log.exception("reconcile order failed shop=%s order=%s", self.shop_id, snapshot.order_id)
            return OrderResult(snapshot.order_id, FAILED, f"{type(exc).__name__}: {str(exc)[:200]}")

    def _apply(self, snapshot: OrderSnapshot) -> OrderResult:
        with self.db.transaction() as session:
            shop = get_shop(session, self.shop_id)
            if shop is None:
                raise NotFound(f"Shop {self.shop_id} is gone.")
            before = order_state(session, shop.id, snapshot.order_id)
            outcome = apply_event(session, shop, OrderChanged(snapshot), self.clock())
            after = order_state(session, shop.id, snapshot.order_id)
        if before == after:
            return OrderResult(snapshot.order_id, KNOWN, "no change")
        log.info("reconcile applied shop=%s order=%s note=%s", self.shop_id, snapshot.order_id,
                 outcome.note)
        return OrderResult(snapshot.order_id, APPLIED, outcome.note)


def order_state(session: Session, shop_id: int, platform_order_id: str) -> tuple | None:
    """What applying an order can change; equal before and after means it was known already."""
    session.flush()
    row = session.execute(
        select(Order.status, Order.points_awarded, Order.points_reversed, Order.is_paid,
               Order.is_fulfilled, Order.is_cancelled, Order.snapshot_seen, Order.account_id,
               select(func.count()).where(OrderRefund.order_id == Order.id,
                                          OrderRefund.applied_at.is_not(None)).scalar_subquery(),
               select(func.count()).where(OrderRefund.order_id == Order.id).scalar_subquery())
        .where(Order.shop_id == shop_id, Order.platform_order_id == platform_order_id)).one_or_none()
    return None if row is None else tuple(row)


def start_reconciliation(db: Database, shop_id: int, since: dt.datetime, box: SecretBox, *,
                         provider: Provider | None = None, http: requests.Session | None = None,
                         shopify_oauth: ShopifyOAuth | None = None) -> Reconciliation:
    """A run over the shop's platform API, built from its stored credentials unless given one.

    With ``shopify_oauth``, an expiring Shopify token is refreshed whenever it is due.
    """
    with db.transaction() as session:
        shop = get_shop(session, shop_id)
        if shop is None:
            raise NotFound(f"No shop with id {shop_id}.")
        if provider is None:
            creds = get_credentials(session, shop.id, box)
            tokens = token_source_for(db, shop.id, creds, box, shopify_oauth)
            provider = provider_for(shop, creds, session=http, token_source=tokens)
        platform = shop.platform.value
    return Reconciliation(db, shop_id, platform, since, provider)


def reconcile_shop(db: Database, shop_id: int, since: dt.datetime, box: SecretBox, *,
                   provider: Provider | None = None, http: requests.Session | None = None,
                   shopify_oauth: ShopifyOAuth | None = None) -> ReconcileSummary:
    """Run a whole reconciliation (the entry point for a scheduled job)."""
    run = start_reconciliation(db, shop_id, since, box, provider=provider, http=http,
                               shopify_oauth=shopify_oauth)
    for _ in run:
        pass
    return run.summary
