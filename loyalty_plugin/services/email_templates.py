"""The words of customer emails: built-in translations, and the shop's own templates.

Templates are Jinja in a sandbox, since a shop's API key is enough to write one.
Customer and shop values are passed in as data, never spliced into the template,
so a first name like ``{{ config }}`` prints as written; HTML bodies escape them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError, TemplateRuntimeError
from jinja2.sandbox import SandboxedEnvironment

from ..models import EmailKind

LOCALES = ("en", "fr", "de", "es")
DEFAULT_LOCALE = "en"

_GREETING = {"en": "Hello{% if first_name %} {{ first_name }}{% endif %},",
             "fr": "Bonjour{% if first_name %} {{ first_name }}{% endif %},",
             "de": "Hallo{% if first_name %} {{ first_name }}{% endif %},",
             "es": "Hola{% if first_name %} {{ first_name }}{% endif %},"}

# (subject, body) per kind and locale; the greeting opens every body.
_DEFAULTS: dict[EmailKind, dict[str, tuple[str, str]]] = {
    EmailKind.POINTS_EARNED: {
        "en": ("You earned {{ points }} points at {{ shop_name }}",
               "You earned {{ points }} points for order {{ order_name }}. Your balance is {{ balance }} points."),
        "fr": ("Vous avez gagné {{ points }} points chez {{ shop_name }}",
               "Vous avez gagné {{ points }} points pour la commande {{ order_name }}. "
               "Votre solde est de {{ balance }} points."),
        "de": ("Sie haben {{ points }} Punkte bei {{ shop_name }} gesammelt",
               "Für die Bestellung {{ order_name }} haben Sie {{ points }} Punkte erhalten. "
               "Ihr Punktestand: {{ balance }} Punkte."),
        "es": ("Has ganado {{ points }} puntos en {{ shop_name }}",
               "Has ganado {{ points }} puntos por el pedido {{ order_name }}. Tu saldo es de {{ balance }} puntos."),
    },
    EmailKind.REWARD_ISSUED: {
        "en": ("Your reward from {{ shop_name }}: {{ reward_name }}",
               "Here is your reward {{ reward_name }}. Use the code {{ code }} at checkout."),
        "fr": ("Votre récompense de {{ shop_name }} : {{ reward_name }}",
               "Voici votre récompense {{ reward_name }}. Utilisez le code {{ code }} lors du paiement."),
        "de": ("Ihre Prämie von {{ shop_name }}: {{ reward_name }}",
               "Hier ist Ihre Prämie {{ reward_name }}. Geben Sie an der Kasse den Code {{ code }} ein."),
        "es": ("Tu recompensa de {{ shop_name }}: {{ reward_name }}",
               "Aquí tienes tu recompensa {{ reward_name }}. Usa el código {{ code }} al pagar."),
    },
    EmailKind.POINTS_EXPIRING: {
        "en": ("{{ points }} of your points at {{ shop_name }} expire on {{ expires_on }}",
               "{{ points }} points expire on {{ expires_on }}. Use them before then."),
        "fr": ("{{ points }} de vos points chez {{ shop_name }} expirent le {{ expires_on }}",
               "{{ points }} points expirent le {{ expires_on }}. Utilisez-les avant cette date."),
        "de": ("{{ points }} Ihrer Punkte bei {{ shop_name }} verfallen am {{ expires_on }}",
               "{{ points }} Punkte verfallen am {{ expires_on }}. Lösen Sie sie vorher ein."),
        "es": ("{{ points }} de tus puntos en {{ shop_name }} caducan el {{ expires_on }}",
               "{{ points }} puntos caducan el {{ expires_on }}. Úsalos antes de esa fecha."),
    },
    EmailKind.TIER_UP: {
        "en": ("Welcome to {{ tier_name }} at {{ shop_name }}",
               "You have reached {{ tier_name }}. Thank you for shopping with us."),
        "fr": ("Bienvenue au niveau {{ tier_name }} chez {{ shop_name }}",
               "Vous avez atteint le niveau {{ tier_name }}. Merci de votre fidélité."),
        "de": ("Willkommen im Status {{ tier_name }} bei {{ shop_name }}",
               "Sie haben den Status {{ tier_name }} erreicht. Danke für Ihre Treue."),
        "es": ("Bienvenido al nivel {{ tier_name }} en {{ shop_name }}",
               "Has alcanzado el nivel {{ tier_name }}. Gracias por tu confianza."),
    },
    EmailKind.TIER_DOWNGRADE_WARNING: {
        "en": ("Keep your {{ tier_name }} status at {{ shop_name }}",
               "Your {{ tier_name }} status runs until {{ expires_on }}. "
               "{% if projected_tier_name %}You will move to {{ projected_tier_name }}"
               "{% else %}You will lose it{% endif %} unless you "
               "{% if basis == 'amount_spent' %}spend {{ short }} {{ currency }} more"
               "{% elif basis == 'order_count' %}place {{ short }} more order{{ 's' if short != 1 }}"
               "{% else %}earn {{ short }} more points{% endif %} by then."),
        "fr": ("Gardez votre statut {{ tier_name }} chez {{ shop_name }}",
               "Votre statut {{ tier_name }} est valable jusqu'au {{ expires_on }}. "
               "{% if projected_tier_name %}Vous passerez au niveau {{ projected_tier_name }}"
               "{% else %}Vous le perdrez{% endif %} à moins "
               "{% if basis == 'amount_spent' %}de dépenser encore {{ short }} {{ currency }}"
               "{% elif basis == 'order_count' %}de passer encore {{ short }} commande{{ 's' if short != 1 }}"
               "{% else %}de gagner encore {{ short }} points{% endif %} d'ici là."),
        "de": ("Behalten Sie Ihren Status {{ tier_name }} bei {{ shop_name }}",
               "Ihr Status {{ tier_name }} gilt bis zum {{ expires_on }}. "
               "{% if projected_tier_name %}Sie wechseln dann zu {{ projected_tier_name }}"
               "{% else %}Sie verlieren ihn dann{% endif %}, es sei denn, Sie "
               "{% if basis == 'amount_spent' %}kaufen bis dahin noch für {{ short }} {{ currency }} ein"
               "{% elif basis == 'order_count' %}bestellen bis dahin noch {{ short }} Mal"
               "{% else %}sammeln bis dahin noch {{ short }} Punkte{% endif %}."),
        "es": ("Mantén tu nivel {{ tier_name }} en {{ shop_name }}",
               "Tu nivel {{ tier_name }} es válido hasta el {{ expires_on }}. "
               "{% if projected_tier_name %}Pasarás al nivel {{ projected_tier_name }}"
               "{% else %}Lo perderás{% endif %} a menos que "
               "{% if basis == 'amount_spent' %}gastes {{ short }} {{ currency }} más"
               "{% elif basis == 'order_count' %}hagas {{ short }} pedido{{ 's' if short != 1 }} más"
               "{% else %}ganes {{ short }} puntos más{% endif %} antes de esa fecha."),
    },
}

# What a template can print, and what each holds; the notification job fills exactly these.
PLACEHOLDERS = {
    "shop_name": "the shop's domain",
    "first_name": "the customer's first name, when known",
    "points": "the points earned, or about to expire",
    "balance": "the points available now",
    "order_name": "the order that earned them (\"#1001\")",
    "expires_on": "the last day expiring points can be used",
    "tier_name": "the tier reached, or the tier at risk",
    "projected_tier_name": "the tier a warned customer will move to",
    "basis": "what tiers count: points_earned, amount_spent or order_count",
    "short": "how much more the customer needs to keep their tier",
    "currency": "the shop's currency",
    "reward_name": "the reward a code was issued for",
    "code": "the issued discount code",
}

_TEXT = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
_HTML = SandboxedEnvironment(autoescape=True)


@dataclass(frozen=True)
class Wording:
    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str | None


def default_wording(kind: EmailKind, locale: str) -> Wording:
    locale = locale if locale in LOCALES else DEFAULT_LOCALE
    subject, body = _DEFAULTS[kind][locale]
    return Wording(subject=subject, text=f"{_GREETING[locale]}\n\n{body}\n\n{{{{ shop_name }}}}\n")


def template_problem(source: str) -> str | None:
    """Why ``source`` is not a usable template (a syntax error), or None."""
    try:
        _HTML.parse(source)
    except TemplateError as exc:
        return f"is not a valid template: {exc.message or exc}"
    return None


def render(wording: Wording, values: dict[str, Any]) -> RenderedEmail:
    """Raises jinja2.TemplateError when the template misbehaves: what the sandbox stops,
    and what fails on the values (``{{ points + first_name }}``, a division by zero)."""
    try:
        # A header holds one line: whatever the values contain, the subject stays one line.
        subject = " ".join(_TEXT.from_string(wording.subject).render(values).split())
        return RenderedEmail(subject=subject[:250], text=_TEXT.from_string(wording.text).render(values),
                             html=_HTML.from_string(wording.html).render(values) if wording.html else None)
    except TemplateError:
        raise
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
        raise TemplateRuntimeError(f"{type(exc).__name__}: {exc}") from exc


def sample_values(shop_name: str, currency: str) -> dict[str, Any]:
    """Every placeholder filled in as for a made-up customer: what a preview renders."""
    return {"shop_name": shop_name, "first_name": "Ada", "points": 120, "balance": 480,
            "order_name": "#1001", "expires_on": "2026-12-31", "tier_name": "Gold",
            "projected_tier_name": "Silver", "basis": "points_earned", "short": 120,
            "currency": currency, "reward_name": "$5 off", "code": "LOY-SAMPLE23"}
