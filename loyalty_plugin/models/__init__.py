"""SQLAlchemy models, one module per aggregate; importing this registers them all."""
from .base import Base, utcnow
from .credentials import ShopCredentials
from .customer import CustomerAccount
from .delivery import DeliveryStatus, InboundDelivery
from .idempotency import IdempotencyRecord
from .imports import ImportBatch, ImportRow, ImportStatus
from .ledger import (LIFETIME_KINDS, TIER_PROGRESS_KINDS, EntryKind, EntrySource, EntryStatus,
                     LedgerEntry, LotAllocation)
from .oauth import UsedOAuthState
from .order import Order, OrderRefund, OrderStatus
from .reward import CodeOrigin, CodeStatus, Reward, RewardCode, RewardKind
from .shop import (ApiKey, ApiKeyScope, AwardOn, ExpiryPolicy, NegativeBalancePolicy, Platform,
                   ProgramSettings, Rounding, Shop, ShopStatus)
from .tier import DowngradePolicy, Tier, TierBasis, TierChange, TierChangeReason, TierWindow

__all__ = [
    "ApiKey", "ApiKeyScope", "AwardOn", "Base", "CodeOrigin", "CodeStatus", "CustomerAccount",
    "DeliveryStatus", "DowngradePolicy", "EntryKind", "EntrySource", "EntryStatus", "ExpiryPolicy",
    "IdempotencyRecord", "ImportBatch", "ImportRow", "ImportStatus", "InboundDelivery",
    "LIFETIME_KINDS", "LedgerEntry", "LotAllocation",
    "NegativeBalancePolicy", "Order", "OrderRefund", "OrderStatus", "Platform", "ProgramSettings",
    "Reward", "RewardCode", "RewardKind", "Rounding", "Shop", "ShopCredentials", "ShopStatus",
    "TIER_PROGRESS_KINDS", "Tier", "TierBasis", "TierChange", "TierChangeReason", "TierWindow",
    "UsedOAuthState", "utcnow",
]
