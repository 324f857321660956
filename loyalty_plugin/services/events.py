"""Apply a normalised event to a shop: the one entry from adapters into the rules."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from .. import events as ev
from ..models import Shop
from . import customers, orders, shops
from .shop_rows import ShopRow, orm_shop

log = logging.getLogger(__name__)


def apply_event(session: Session, shop: Shop | ShopRow, event: ev.Event, now: dt.datetime) -> ev.Outcome:
    match event:
        case ev.OrderChanged(order=snapshot):
            return orders.apply_order_snapshot(session, shop, snapshot, now)
        case ev.RefundCreated(refund=refund):
            return orders.apply_refund(session, shop, refund, now)
    # The rest are rare and may change the shop: they get the object.
    shop = orm_shop(session, shop)
    match event:
        case ev.CustomerChanged(customer=ref, created=created):
            return customers.apply_customer_changed(session, shop, ref, created=created, now=now)
        case ev.CustomerDataRequested(customer=ref, order_ids=order_ids):
            return customers.record_data_request(session, shop, ref, order_ids)
        case ev.CustomerRedactRequested(customer=ref, order_ids=order_ids):
            return customers.redact_customer(session, shop, ref, order_ids, now)
        case ev.AppUninstalled():
            shops.uninstall_shop(session, shop, now)
            return ev.Outcome(note="shop uninstalled")
        case ev.ShopRedactRequested():
            shops.delete_shop(session, shop)
            return ev.Outcome(note="shop data deleted", shop_deleted=True)
        case ev.Unhandled(topic=topic):
            log.info("unhandled topic shop=%s topic=%s", shop.id, topic)
            return ev.Outcome(note=f"topic {topic} is not used by the program", ignored=True)
    raise TypeError(f"unknown event {type(event).__name__}")
