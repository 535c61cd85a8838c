"""How the console writes money, times and periods. Pure: no Flask, no session.

Amounts are whole đồng written the Vietnamese way, `1.878.000 ₫`, in both languages. Times
are stored in UTC and shown in Vietnam's time (UTC+7 all year, no daylight saving).
"""

import re
from datetime import date, datetime

from payments.clock import VIETNAM

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")  # as the API's schemas accept a period


def vnd(amount: int | None) -> str:
    """1878000 -> '1.878.000 ₫'; None -> '—'."""
    if amount is None:
        return "—"
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(int(amount)):,} ₫".replace(",", ".")


def count(number: int | None) -> str:
    """12345 -> '12.345'."""
    return "—" if number is None else f"{int(number):,}".replace(",", ".")


def local_time(moment: datetime | None) -> str:
    """An aware datetime as 'dd/mm/yyyy HH:MM' in Vietnam's time."""
    if moment is None:
        return "—"
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def local_date(day: date | None) -> str:
    return "—" if day is None else day.strftime("%d/%m/%Y")


def current_period(now: datetime) -> str:
    """The month under way in Vietnam as 'YYYY-MM'."""
    return now.astimezone(VIETNAM).strftime("%Y-%m")


def is_period(text: str) -> bool:
    """'2025-07' is a period; '2025-7', '2025-13' and '' are not."""
    return bool(MONTH.match(text))


def short_hash(value: str | None, length: int = 12) -> str:
    return "—" if not value else value[:length] + "…"


def instrument(snapshot: dict[str, str | None] | None) -> str:
    """A masked instrument snapshot as one line: '970436 · *********678'."""
    if not snapshot:
        return "—"
    if snapshot.get("kind") == "ewallet":
        parts = [snapshot.get("provider"), snapshot.get("phone")]
    else:
        parts = [snapshot.get("bin"), snapshot.get("account")]
    return " · ".join(part for part in parts if part) or "—"
