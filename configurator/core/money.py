"""Money as integer cents: parsed from what a merchant types, formatted for shoppers."""

from __future__ import annotations

import re

CURRENCY_SYMBOL = "$"
MAX_CENTS = 100_000_000  # $1,000,000.00: far above any real configurable product


class MoneyError(ValueError):
    """The text is not an amount of money we accept."""


_AMOUNT = re.compile(r"^(-?)(\d{1,9})(?:\.(\d{1,2}))?$")


def parse_cents(text: str, *, allow_negative: bool = False) -> int:
    """Parse "12", "12.5", "1,234.50", "$12" or "-5.00" into cents; refuse anything vaguer.

    Plain ASCII digits and at most one dot: no exponents, underscores or other scripts' digits,
    so what the merchant sees in the form is exactly what is stored.
    """
    cleaned = text.strip().replace(",", "").replace(" ", "")
    if cleaned.startswith("-" + CURRENCY_SYMBOL):
        cleaned = "-" + cleaned[2:]
    cleaned = cleaned.removeprefix(CURRENCY_SYMBOL)
    if not cleaned:
        raise MoneyError("Enter an amount, for example 12.50.")
    match = _AMOUNT.match(cleaned) if cleaned.isascii() else None
    if match is None:
        if re.fullmatch(r"-?\d+\.\d{3,}", cleaned):
            raise MoneyError("Use at most two decimals (cents).")
        if re.fullmatch(r"-?\d{10,}(\.\d*)?", cleaned):
            raise MoneyError("That amount is too large.")
        raise MoneyError("Enter an amount such as 12.50 (digits and one dot).")
    sign, whole, part = match.groups()
    cents = int(whole) * 100 + int((part or "0").ljust(2, "0"))
    if sign:
        cents = -cents
    if cents < 0 and not allow_negative:
        raise MoneyError("The amount cannot be negative.")
    if abs(cents) > MAX_CENTS:
        raise MoneyError("That amount is too large.")
    return cents


def format_cents(cents: int) -> str:
    """1234550 -> "$12,345.50"; negative amounts get a leading minus."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{CURRENCY_SYMBOL}{whole:,}.{part:02d}"


def format_delta(cents: int) -> str:
    """A price adjustment as shown next to an option: "+$40.00", "-$5.00" or ""."""
    if cents == 0:
        return ""
    return ("+" if cents > 0 else "") + format_cents(cents)


def cents_to_input(cents: int) -> str:
    """The value an admin input shows for an amount: "12.50"."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"
