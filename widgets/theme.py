"""The widget's colours, chosen so text on the shop's colour stays readable (WCAG 2.x)."""
from __future__ import annotations

BLACK = "#000000"
WHITE = "#ffffff"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(color: str) -> float:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_color_on(background: str) -> str:
    """Black or white, whichever contrasts more with ``background``.

    For any background one of the two reaches at least 4.5:1, the WCAG AA ratio
    for normal text, so no shop colour can make the launcher unreadable.
    """
    return WHITE if contrast_ratio(background, WHITE) >= contrast_ratio(background, BLACK) else BLACK


def accent_text_color(background: str) -> str:
    """The shop colour when it is readable as text on white, else black."""
    return background if contrast_ratio(background, WHITE) >= 4.5 else BLACK
