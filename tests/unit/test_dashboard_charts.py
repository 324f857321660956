"""The overview's bar chart geometry and the ledger entry explanations."""
from __future__ import annotations

from decimal import Decimal

from loyalty_plugin.dashboard.charts import grouped_bars
from loyalty_plugin.dashboard.explain import explain
from loyalty_plugin.models import EntryKind, LedgerEntry, Order


def test_bars_scale_to_the_tallest_value_and_keep_their_numbers():
    chart = grouped_bars(["d1", "d2"], [("issued", "Issued", [100, 50]), ("redeemed", "Redeemed", [0, -20])],
                         width=200, height=120, axis=20)
    heights = {bar.label: bar.height for bar in chart.bars}
    assert heights == {"Issued d1: 100": 100.0, "Redeemed d1: 0": 0.0, "Issued d2: 50": 50.0,
                       "Redeemed d2: -20": 0.0}
    assert all(bar.y + bar.height == 100 for bar in chart.bars)
    assert chart.top == 100 and [label for _, label in chart.ticks] == ["d1", "d2"]


def test_many_days_get_at_most_eight_axis_labels():
    chart = grouped_bars([f"day{n}" for n in range(31)], [("issued", "Issued", [0] * 31)])
    assert len(chart.ticks) <= 8 and chart.top == 1
    assert all(bar.height == 0 for bar in chart.bars)


def test_an_earn_entry_explains_its_computation():
    entry = LedgerEntry(kind=EntryKind.EARN, points=180, base_amount=Decimal("120.0000"),
                        rate=Decimal("1.0000"), multiplier=Decimal("1.5000"), rule_version=3)
    assert explain(entry, Order(name="#1001", platform_order_id="55"), "EUR") == (
        "Order #1001: 120 EUR x 1 points per EUR x 1.5 tier multiplier = 180 points "
        "(earning rules version 3)")


def test_a_manual_entry_says_why_and_who():
    entry = LedgerEntry(kind=EntryKind.ADJUSTMENT, points=-5, reason="Goodwill", actor="ann@example.com")
    assert explain(entry, None, "USD") == "Goodwill. By ann@example.com."
