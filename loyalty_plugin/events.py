"""Normalised events: what every platform adapter turns a delivery into.

Adapters live in the ``webhooks`` package and produce these; services consume
them. Money is Decimal in the shop's currency, times are aware UTC.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .rules.earning import Amounts


@dataclass(frozen=True)
class PostalAddress:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True)
class CustomerRef:
    platform_id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    # Where the customer lives or ships to, for the referral fraud checks. Not part
    # of who the customer is, so two refs differing only here are the same customer.
    address: PostalAddress | None = field(default=None, compare=False)

    @property
    def is_identified(self) -> bool:
        return bool(self.platform_id or self.email)


@dataclass(frozen=True)
class RefundSnapshot:
    refund_id: str
    order_id: str
    amounts: Amounts
    # False while the refund's money has not moved (pending transactions).
    is_effective: bool = True
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class OrderSnapshot:
    """An order's state as one delivery reports it; any topic about an order carries one."""

    order_id: str
    customer: CustomerRef
    amounts: Amounts
    currency: str | None = None
    name: str | None = None
    is_paid: bool = False
    is_fulfilled: bool = False
    is_cancelled: bool = False
    is_test: bool = False
    updated_at: dt.datetime | None = None
    refunds: tuple[RefundSnapshot, ...] = ()
    discount_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderChanged:
    order: OrderSnapshot


@dataclass(frozen=True)
class RefundCreated:
    refund: RefundSnapshot


@dataclass(frozen=True)
class CustomerChanged:
    customer: CustomerRef
    created: bool = False


@dataclass(frozen=True)
class CustomerDataRequested:
    customer: CustomerRef
    order_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomerRedactRequested:
    customer: CustomerRef
    order_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShopRedactRequested:
    pass


@dataclass(frozen=True)
class AppUninstalled:
    pass


@dataclass(frozen=True)
class Unhandled:
    """An authentic delivery about something the program does not act on."""

    topic: str


Event = (OrderChanged | RefundCreated | CustomerChanged | CustomerDataRequested
         | CustomerRedactRequested | ShopRedactRequested | AppUninstalled | Unhandled)


@dataclass
class Outcome:
    """What applying an event did, for the delivery record and the response."""

    note: str
    ignored: bool = False
    account_id: int | None = None
    order_id: str | None = None
    # The event erased the shop itself, its delivery record included.
    shop_deleted: bool = False
    details: dict = field(default_factory=dict)
