"""One sentence per ledger entry saying where its points came from. Pure: no database."""
from __future__ import annotations

from decimal import Decimal

from ..models import EntryKind, LedgerEntry, Order

KIND_NAMES = {
    EntryKind.EARN: "Earned on an order", EntryKind.SIGNUP_BONUS: "Sign-up bonus",
    EntryKind.ADJUSTMENT: "Manual adjustment", EntryKind.REFUND_CLAWBACK: "Taken back for a refund",
    EntryKind.CANCEL_CLAWBACK: "Taken back for a cancelled order",
    EntryKind.MERGE_IN: "Moved in from a guest account", EntryKind.MERGE_OUT: "Moved to another account",
    EntryKind.TIER_BONUS: "Tier entry bonus", EntryKind.REDEEM: "Spent on a reward",
    EntryKind.REDEEM_REFUND: "Given back for a code", EntryKind.EXPIRE: "Expired",
    EntryKind.IMPORT: "Opening balance imported", EntryKind.IMPORT_REVERT: "Import reverted",
    EntryKind.BIRTHDAY_BONUS: "Birthday bonus", EntryKind.REFERRAL_BONUS: "Referral bonus",
    EntryKind.REFERRAL_CLAWBACK: "Referral bonus taken back",
}


def number(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def order_label(order: Order | None) -> str | None:
    if order is None:
        return None
    return order.name or f"#{order.platform_order_id}"


def explain(entry: LedgerEntry, order: Order | None, currency: str) -> str:
    """E.g. "Order #1001: 120 USD x 1 point per unit x 1.5 tier multiplier = 180 points
    (earning rules version 3)"."""
    parts = []
    label = order_label(order)
    if entry.kind is EntryKind.EARN and entry.base_amount is not None and entry.rate is not None:
        multiplier = entry.multiplier if entry.multiplier is not None else Decimal(1)
        parts.append(f"{number(entry.base_amount)} {currency} x {number(entry.rate)} points per "
                     f"{currency} x {number(multiplier)} tier multiplier = {entry.points} points")
        if entry.rule_version is not None:
            parts.append(f"(earning rules version {entry.rule_version})")
        return (f"Order {label}: " if label else "") + " ".join(parts)
    if label:
        parts.append(f"Order {label}.")
    if entry.reason:
        parts.append(entry.reason + ("" if entry.reason.endswith(".") else "."))
    if entry.actor:
        parts.append(f"By {entry.actor}.")
    return " ".join(parts)
