"""HTML form text into the values the API schemas load, and their problems by field.

A form sends every field as text, and an empty box for "not set"; the schemas
expect JSON types. Converting first lets one schema check both the API and the
dashboard, so the rules are written once.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from marshmallow import Schema, ValidationError

from ..db import get_session
from ..errors import LoyaltyError

T = TypeVar("T")

FieldErrors = dict[str, list[str]]


@dataclass
class Form:
    """What the user typed (shown again on an error) and what was wrong, by field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: FieldErrors = field(default_factory=dict)
    message: str | None = None

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    @property
    def ok(self) -> bool:
        return not self.errors and self.message is None


def form_values(form: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    return {name: str(form.get(name, "")).strip() for name in names}


def typed(values: Mapping[str, str], *, ints: Iterable[str] = (), bools: Iterable[str] = (),
          nullable: Iterable[str] = (), errors: Form) -> dict[str, Any]:
    """Text to JSON-like values: whole numbers, check boxes ("on"), and empty boxes left out
    (or None for the ``nullable`` ones, which clears them)."""
    ints, bools, nullable = set(ints), set(bools), set(nullable)
    data: dict[str, Any] = {}
    for name, text in values.items():
        if name in bools:
            data[name] = text in ("on", "true", "1")
        elif text == "":
            if name in nullable:
                data[name] = None
        elif name in ints:
            try:
                data[name] = int(text)
            except ValueError:
                errors.add(name, "Must be a whole number.")
        else:
            data[name] = text
    return data


def load(schema: Schema, data: dict[str, Any], form: Form) -> dict[str, Any] | None:
    """The schema's result, or None with every problem recorded on ``form``."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        for name, problems in messages.items():
            for problem in problems if isinstance(problems, list) else [str(problems)]:
                form.add(name, str(problem))
        return None


def record_refusal(exc: LoyaltyError, form: Form) -> None:
    """A service's refusal next to the field it names, or as the form's message."""
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    if isinstance(fields, dict) and fields:
        for name, problems in fields.items():
            for problem in problems if isinstance(problems, list) else [problems]:
                form.add(name, str(problem))
        return
    name = exc.details.get("field") if isinstance(exc.details, dict) else None
    if isinstance(name, str):
        form.add(name, exc.message)
    else:
        form.message = exc.message


def apply_change(form: Form, change: Callable[[], T]) -> T | None:
    """What the service call ``change`` returns, committed; or, when the service refuses,
    None, the transaction rolled back and the refusal recorded on ``form`` (``form.ok``
    is then false)."""
    try:
        result = change()
    except LoyaltyError as exc:
        get_session().rollback()
        record_refusal(exc, form)
        return None
    get_session().commit()
    return result
