"""What each admin route promises, declared next to the route itself.

``@documented(...)`` marks a view with its contract; ``openapi.build_spec`` walks the
app's URL map and turns every contract it finds into an OpenAPI operation, so a new
endpoint is documented by its own declaration, and an undeclared one fails a test.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from marshmallow import Schema

View = TypeVar("View", bound=Callable[..., Any])

CONTRACT_ATTRIBUTE = "__api_contract__"


@dataclass(frozen=True)
class Contract:
    summary: str
    response: type[Schema] | None = None
    example: Any = None
    status: int = 200
    description: str = ""
    query: type[Schema] | None = None
    params: Sequence[dict[str, Any]] = ()
    body: type[Schema] | Schema | None = None
    body_example: Any = None
    body_required: bool = True
    errors: Sequence[int] = ()
    also: Sequence[int] = ()
    media_type: str = "application/json"
    public: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def documented(summary: str, **details: Any) -> Callable[[View], View]:
    """Attach a :class:`Contract` to a view; place it under the route decorator.

    ``errors`` lists only the statuses the service itself can give (409, a 422 of
    its own); the ones every route of its kind gives (401, 403 on writes, 404 with
    a path id, 400/413/415/422 with a body) are added when the document is built.
    """
    contract = Contract(summary, **details)
    if contract.example is None and contract.media_type == "application/json":
        raise TypeError(f"{summary!r}: every documented endpoint needs an example answer")

    def mark(view: View) -> View:
        setattr(view, CONTRACT_ATTRIBUTE, contract)
        return view

    return mark


def contract_of(view: Callable[..., Any]) -> Contract | None:
    return getattr(view, CONTRACT_ATTRIBUTE, None)
