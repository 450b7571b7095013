"""What a practice pays Meta for its WhatsApp messages: a rate per pricing category, in one currency.

Meta charges per delivered message by the template's category and the recipient's country, and tells which
messages it charged in the `pricing` field of the status webhooks (`category`, `type`, `billable`): that is
the ground truth the dashboard counts. The money is the count times the practice's rate for the category,
taken when the status arrives (so a later rate change does not reprice the past) and kept in millionths of
the currency, so sums stay exact.

Defaults: Meta publishes its rate cards per market and changes them (per-message pricing from 2025-07-01,
lower North American utility rates from 2026-01-01, service messages charged from 2026-10-01), and the
project's reference notes give no market's rates, only ranges (April 2026: utility $0.0008 to $0.0550,
marketing $0.0109 to $0.1597). So no rate is assumed: what Meta marks free costs nothing, and a charged
category without a rate is counted and shown as unpriced until the practice sets one.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

MICROS = 1_000_000
CATEGORIES = ("marketing", "utility", "authentication", "authentication-international", "service")
"""Meta's pricing categories that can be charged (`referral_conversion`, a free entry point, never is)."""


class WhatsAppPricing(BaseModel):
    """A practice's WhatsApp rates (`[practices.whatsapp]`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    """ISO 4217 code of the rates, as Meta bills the business (USD, EUR, INR...)."""
    rates: dict[str, Annotated[float, Field(ge=0, le=10)]] = Field(default_factory=dict)
    """The price of one charged message per pricing category, e.g. `{utility = 0.004, marketing = 0.025}`."""

    @field_validator("rates")
    @classmethod
    def _known_categories(cls, rates: dict[str, float]) -> dict[str, float]:
        if unknown := sorted(set(rates) - set(CATEGORIES)):
            raise ValueError(f"unknown pricing categories {unknown}; Meta's are {list(CATEGORIES)}")
        return rates

    def micros(self, category: str) -> int | None:
        """One charged message of this category, in millionths of the currency; None when no rate is set."""
        rate = self.rates.get(category)
        return None if rate is None else round(rate * MICROS)
