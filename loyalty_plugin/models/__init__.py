"""SQLAlchemy models, one module per aggregate; importing this registers them all."""
from .base import Base, utcnow
from .credentials import ShopCredentials
from .customer import CustomerAccount
from .delivery import DeliveryStatus, InboundDelivery
from .idempotency import IdempotencyRecord
from .ledger import (LIFETIME_KINDS, TIER_PROGRESS_KINDS, EntryKind, EntrySource, EntryStatus,
                     LedgerEntry, LotAllocation)
from .order import Order, OrderRefund, OrderStatus
from .reward import CodeOrigin, CodeStatus, Reward, RewardCode, RewardKind
from .shop import (ApiKey, ApiKeyScope, AwardOn, NegativeBalancePolicy, Platform, ProgramSettings,
                   Rounding, Shop, ShopStatus)
from .tier import DowngradePolicy, Tier, TierBasis, TierChange, TierChangeReason, TierWindow
from .widget import LauncherPosition, RateCounter, WidgetSettings

__all__ = [
    "ApiKey", "ApiKeyScope", "AwardOn", "Base", "CodeOrigin", "CodeStatus", "CustomerAccount",
    "DeliveryStatus", "DowngradePolicy", "EntryKind", "EntrySource", "EntryStatus",
    "IdempotencyRecord", "InboundDelivery", "LIFETIME_KINDS", "LauncherPosition", "LedgerEntry",
    "LotAllocation", "NegativeBalancePolicy", "Order", "OrderRefund", "OrderStatus", "Platform",
    "ProgramSettings", "RateCounter", "Reward", "RewardCode", "RewardKind", "Rounding", "Shop",
    "ShopCredentials", "ShopStatus", "TIER_PROGRESS_KINDS", "Tier", "TierBasis", "TierChange",
    "TierChangeReason", "TierWindow", "WidgetSettings", "utcnow",
]
