"""What registering a platform's webhooks did: the same shape for every platform."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class WebhookSync:
    """Topics subscribed by this run, topics already subscribed (re-activated and
    re-keyed where the platform allows), never a topic twice."""

    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"created": list(self.created), "kept": list(self.kept)}
