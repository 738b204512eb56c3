"""Amounts as the shop prints them: "$1,749.00", "+$450.00", "-$20.00"."""

from __future__ import annotations

import re
from decimal import Decimal

MONEY = re.compile(r"(-?)\$([\d,]+\.\d{2})")


def money(text: str) -> Decimal:
    """The one amount in a text such as "Line total $1,749.00" (or "+$450.00")."""
    found = MONEY.findall(text)
    assert len(found) == 1, f"expected exactly one amount of money in {text!r}"
    sign, digits = found[0]
    amount = Decimal(digits.replace(",", ""))
    return -amount if sign else amount


def fmt(amount: Decimal) -> str:
    """Format as the shop does: $1,749.00."""
    return f"${amount:,.2f}"
