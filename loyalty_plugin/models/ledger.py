"""The append-only points ledger: entries and the lot allocations between them."""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, Rate, str_enum, utcnow


class EntryKind(str, enum.Enum):
    EARN = "earn"
    SIGNUP_BONUS = "signup_bonus"
    ADJUSTMENT = "adjustment"
    REFUND_CLAWBACK = "refund_clawback"
    CANCEL_CLAWBACK = "cancel_clawback"
    MERGE_IN = "merge_in"
    MERGE_OUT = "merge_out"
    TIER_BONUS = "tier_bonus"
    REDEEM = "redeem"
    # Points given back for a code the platform refused or the shop cancelled.
    REDEEM_REFUND = "redeem_refund"
    EXPIRE = "expire"
    # An opening balance from a CSV import, and its reversal when the batch is reverted.
    IMPORT = "import"
    IMPORT_REVERT = "import_revert"
    BIRTHDAY_BONUS = "birthday_bonus"
    REFERRAL_BONUS = "referral_bonus"
    # A voided referral's bonus taken back.
    REFERRAL_CLAWBACK = "referral_clawback"


# Kinds that count toward lifetime points: earning and its corrections, not
# spending or expiry. Imported opening balances were earned elsewhere: spendable,
# but neither lifetime points nor tier progress here.
LIFETIME_KINDS = frozenset({
    EntryKind.EARN, EntryKind.SIGNUP_BONUS, EntryKind.ADJUSTMENT,
    EntryKind.REFUND_CLAWBACK, EntryKind.CANCEL_CLAWBACK,
    EntryKind.MERGE_IN, EntryKind.MERGE_OUT, EntryKind.TIER_BONUS,
    EntryKind.BIRTHDAY_BONUS, EntryKind.REFERRAL_BONUS, EntryKind.REFERRAL_CLAWBACK,
})

# Kinds that count as tier progress on the points basis: a tier's own entry bonus
# does not, or it could promote the customer again.
TIER_PROGRESS_KINDS = LIFETIME_KINDS - {EntryKind.TIER_BONUS}


class EntryStatus(str, enum.Enum):
    PENDING = "pending"
    AVAILABLE = "available"


class EntrySource(str, enum.Enum):
    ORDER = "order"
    REFUND = "refund"
    CUSTOMER = "customer"
    API = "api"
    MERGE = "merge"
    TIER = "tier"
    REDEMPTION = "redemption"
    EXPIRY = "expiry"
    IMPORT = "import"
    BIRTHDAY = "birthday"
    REFERRAL = "referral"


class LedgerEntry(Base):
    """One change to a balance. ``points`` is never updated.

    A credit is a lot: ``remaining`` is what debits have not yet consumed. A debit's
    ``remaining`` is the part not yet covered by any lot (a negative balance);
    later credits settle it. Allocations record every such match.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("shop_id", "idempotency_key"),
        CheckConstraint("points <> 0", name="points_nonzero"),
        CheckConstraint("remaining >= 0", name="remaining_nonnegative"),
        Index("ix_ledger_entries_account_id_desc", "account_id", "id"),
        Index("ix_ledger_entries_open_lots", "account_id", "status", "expires_at",
              sqlite_where=text("remaining > 0"), postgresql_where=text("remaining > 0")),
        # The expiry job's scan across accounts: open lots by expiry date.
        Index("ix_ledger_entries_expiring", "expires_at",
              sqlite_where=text("remaining > 0 AND points > 0"),
              postgresql_where=text("remaining > 0 AND points > 0")),
        # Reports over a shop's entries by date.
        Index("ix_ledger_entries_shop_created", "shop_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("customer_accounts.id", ondelete="CASCADE"))
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind))
    points: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[EntryStatus] = mapped_column(str_enum(EntryStatus))
    remaining: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    matures_at: Mapped[dt.datetime | None]
    matured_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]
    source: Mapped[EntrySource] = mapped_column(str_enum(EntrySource))
    source_ref: Mapped[str] = mapped_column(String(128))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    # What an earn entry was computed from, so a reversal stays exact after rules change.
    base_amount: Mapped[Decimal | None]
    rate: Mapped[Decimal | None] = mapped_column(Rate)
    multiplier: Mapped[Decimal | None] = mapped_column(Rate)
    rule_version: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(Text)
    # Who made a manual entry: a dashboard user's email, or the API key's name.
    actor: Mapped[str | None] = mapped_column(String(320))


class LotAllocation(Base):
    """``points`` of a credit lot matched against a debit; append-only."""

    __tablename__ = "lot_allocations"
    __table_args__ = (CheckConstraint("points > 0", name="points_positive"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    debit_entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id", ondelete="CASCADE"),
                                                index=True)
    lot_entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id", ondelete="CASCADE"),
                                              index=True)
    points: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
