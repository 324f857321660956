"""CSV import batches of customers with opening balances, and what each row did."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, str_enum, utcnow


class ImportStatus(str, enum.Enum):
    # Rows are being applied, or a run stopped part-way: run the same file again to
    # finish it, or revert what was applied.
    APPLYING = "applying"
    APPLIED = "applied"
    FAILED = "failed"
    REVERTING = "reverting"
    REVERTED = "reverted"


class ImportBatch(Base):
    __tablename__ = "import_batches"
    __table_args__ = (Index("ix_import_batches_shop_id_file", "shop_id", "file_sha256"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    status: Mapped[ImportStatus] = mapped_column(str_enum(ImportStatus), default=ImportStatus.APPLYING)
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    rows_total: Mapped[int] = mapped_column(default=0)
    # Rows up to this line of the file are applied (committed); a resumed run starts after it.
    last_line: Mapped[int] = mapped_column(default=0)
    rows_applied: Mapped[int] = mapped_column(default=0)
    accounts_created: Mapped[int] = mapped_column(default=0)
    points_credited: Mapped[int] = mapped_column(BigInteger, default=0)
    points_debited: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_reverted: Mapped[int] = mapped_column(default=0)
    # Reverting: imported points the accounts lacked, taken as debt (negative balance
    # allowed); and points not taken back (expired meanwhile, or lacking under clamp).
    revert_debt: Mapped[int] = mapped_column(BigInteger, default=0)
    revert_shortfall: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[dt.datetime | None]
    reverted_at: Mapped[dt.datetime | None]


class ImportRow(Base):
    """One applied line of a batch; unique per (batch, line), so a line applies once."""

    __tablename__ = "import_rows"
    __table_args__ = (UniqueConstraint("batch_id", "line"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    line: Mapped[int]
    account_id: Mapped[int] = mapped_column(ForeignKey("customer_accounts.id", ondelete="CASCADE"))
    account_created: Mapped[bool] = mapped_column(default=False)
    # What the file asked for, and what the ledger entry really moved (a clamped
    # negative balance moves less).
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    points_applied: Mapped[int] = mapped_column(BigInteger, default=0)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="CASCADE"))
    revert_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_entries.id", ondelete="CASCADE"))
    reverted_at: Mapped[dt.datetime | None]
    # When this line set the customer's birthday (they had none); a revert clears it only
    # if nobody has changed it since.
    birthday_set_at: Mapped[dt.datetime | None]
