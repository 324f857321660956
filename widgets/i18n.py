"""The widget's texts in each language, and which language a storefront page gets.

Messages are plain text with ``{name}`` placeholders; plural messages are objects
keyed by the ``Intl.PluralRules`` categories the language uses (``one``, ``other``).
"""
from __future__ import annotations

import functools
import json
from importlib import resources

from loyalty_plugin.models.widget import WIDGET_LOCALES

DEFAULT_LOCALE = "en"


@functools.cache
def messages(locale: str) -> dict[str, str | dict[str, str]]:
    if locale not in WIDGET_LOCALES:
        raise KeyError(locale)
    text = resources.files(__package__).joinpath("locales", f"{locale}.json").read_text("utf-8")
    return json.loads(text)


def page_language(lang: str | None) -> str | None:
    """``fr-CA`` -> ``fr`` when we speak it; None for anything else (or nothing)."""
    if not lang:
        return None
    primary = lang.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in WIDGET_LOCALES else None


def resolve_locale(shop_locale: str | None, page_lang: str | None) -> str:
    """The shop's chosen language first; without one, the page's ``lang``; else English."""
    if shop_locale in WIDGET_LOCALES:
        return shop_locale
    return page_language(page_lang) or DEFAULT_LOCALE
