"""Bar charts as plain geometry for an inline SVG: no script, no external library. Pure."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_TICKS = 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str
    label: str  # "Issued 2026-11-20: 240", read by screen readers and shown on hover


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    top: int
    series: list[tuple[str, str]]


def grouped_bars(labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]], *,
                 width: int = 640, height: int = 220, axis: int = 20) -> Chart:
    """One group of bars per label, one bar per series ``(css name, title, values)``.

    Negative values draw no bar but keep their number in the label."""
    plot = height - axis
    top = max([1, *(value for _, _, values in series for value in values)])
    slot = width / max(len(labels), 1)
    bar_width = max(slot * 0.8 / max(len(series), 1), 1.0)
    bars = []
    for index, label in enumerate(labels):
        for position, (css, title, values) in enumerate(series):
            value = values[index]
            bar_height = plot * max(value, 0) / top
            bars.append(Bar(x=round(index * slot + slot * 0.1 + position * bar_width, 2),
                            y=round(plot - bar_height, 2), width=round(bar_width, 2),
                            height=round(bar_height, 2), series=css, label=f"{title} {label}: {value}"))
    step = max(1, -(-len(labels) // MAX_TICKS))
    ticks = [(round(index * slot + slot / 2, 2), label) for index, label in enumerate(labels)
             if index % step == 0]
    return Chart(width=width, height=height, bars=bars, ticks=ticks, top=top,
                 series=[(css, title) for css, title, _ in series])
