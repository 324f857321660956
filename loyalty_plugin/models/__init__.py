"""SQLAlchemy models, one module per aggregate; importing this registers them all."""
from .base import Base, utcnow
from .credentials import ShopCredentials
from .customer import CustomerAccount, CustomerAddress
from .dashboard import DashboardUser, SignInLink
from .delivery import DeliveryStatus, InboundDelivery
from .email import EmailKind, EmailSettings, EmailTemplate
from .idempotency import IdempotencyRecord
from .imports import ImportBatch, ImportRow, ImportStatus
from .ledger import (LIFETIME_KINDS, TIER_PROGRESS_KINDS, EntryKind, EntrySource, EntryStatus,
                     LedgerEntry, LotAllocation)
from .oauth import UsedOAuthState
from .order import Order, OrderRefund, OrderStatus
from .outbox import (DeliveryChannel, EventType, ExpiryReminder, OutboundDelivery, OutboundEvent,
                     OutboundStatus)
from .referral import Referral, ReferralReason, ReferralStatus
from .reward import CodeOrigin, CodeStatus, Reward, RewardCode, RewardKind
from .shop import (ApiKey, ApiKeyScope, AwardOn, ExpiryPolicy, NegativeBalancePolicy, Platform,
                   ProgramSettings, ReferrerReward, Rounding, Shop, ShopStatus)
from .tier import (DowngradePolicy, Tier, TierBasis, TierChange, TierChangeReason, TierDowngradeNotice,
                   TierWindow)
from .webhook import WebhookEndpoint
from .widget import LauncherPosition, RateCounter, WidgetSettings

__all__ = [
    "ApiKey", "ApiKeyScope", "AwardOn", "Base", "CodeOrigin", "CodeStatus", "CustomerAccount",
    "CustomerAddress", "DashboardUser", "DeliveryChannel", "DeliveryStatus", "DowngradePolicy",
    "EmailKind",
    "EmailSettings", "EmailTemplate", "EntryKind", "EntrySource", "EntryStatus", "EventType",
    "ExpiryPolicy", "ExpiryReminder", "IdempotencyRecord", "ImportBatch", "ImportRow",
    "ImportStatus", "InboundDelivery", "LauncherPosition", "LedgerEntry", "LIFETIME_KINDS",
    "LotAllocation", "NegativeBalancePolicy", "Order", "OrderRefund", "OrderStatus",
    "OutboundDelivery", "OutboundEvent", "OutboundStatus", "Platform", "ProgramSettings",
    "RateCounter", "Referral", "ReferralReason", "ReferralStatus", "ReferrerReward", "Reward",
    "RewardCode", "RewardKind", "Rounding", "Shop", "ShopCredentials", "ShopStatus", "SignInLink",
    "Tier", "TIER_PROGRESS_KINDS", "TierBasis", "TierChange", "TierChangeReason",
    "TierDowngradeNotice", "TierWindow",
    "UsedOAuthState", "utcnow", "WebhookEndpoint", "WidgetSettings",
]
