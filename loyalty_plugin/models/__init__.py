"""SQLAlchemy models, one module per aggregate; importing this registers them all."""
from .base import Base, utcnow
from .credentials import ShopCredentials
from .customer import CustomerAccount
from .delivery import DeliveryStatus, InboundDelivery
from .idempotency import IdempotencyRecord
from .ledger import LIFETIME_KINDS, EntryKind, EntrySource, EntryStatus, LedgerEntry, LotAllocation
from .order import Order, OrderRefund, OrderStatus
from .shop import (ApiKey, ApiKeyScope, AwardOn, NegativeBalancePolicy, Platform, ProgramSettings,
                   Rounding, Shop, ShopStatus)

__all__ = [
    "ApiKey", "ApiKeyScope", "AwardOn", "Base", "CustomerAccount", "DeliveryStatus", "EntryKind",
    "EntrySource", "EntryStatus", "IdempotencyRecord", "InboundDelivery", "LIFETIME_KINDS",
    "LedgerEntry", "LotAllocation", "NegativeBalancePolicy", "Order", "OrderRefund", "OrderStatus",
    "Platform", "ProgramSettings", "Rounding", "Shop", "ShopCredentials", "ShopStatus", "utcnow",
]
