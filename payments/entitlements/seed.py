"""The seeded figures, read from data/rates.json: for tests and for checking the database.

Migration 0004 reads the same file when it seeds the `rates` table.
"""

import json
from datetime import date
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

from payments.entitlements.codes import RATE_CODES, Unit
from payments.entitlements.rateset import MILLI, RateRow, RateSet, coefficient_milli

SEED_FILE = Path(__file__).resolve().parent / "data" / "rates.json"


@cache
def seed_rows() -> tuple[RateRow, ...]:
    """Every row of the data file, in file order (ids are None: they are the database's)."""
    document = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    return tuple(row_from_json(item) for item in document["rates"])


def seed_rate_set(province_code: str | None = None) -> RateSet:
    return RateSet.from_rows(seed_rows(), province_code)


def row_from_json(item: dict[str, Any]) -> RateRow:
    unit = Unit(item["unit"])
    if RATE_CODES[item["code"]].unit is not unit:
        raise ValueError(f"{item['code']} is measured in {RATE_CODES[item['code']].unit}, not {unit}")
    return RateRow(
        code=item["code"],
        scope=item["scope"],
        valid_from=date.fromisoformat(item["valid_from"]),
        valid_to=date.fromisoformat(item["valid_to"]) if item["valid_to"] else None,
        unit=unit,
        value=Fraction(coefficient_milli(item["value"]), MILLI)
        if unit is Unit.COEFFICIENT
        else int(item["value"]),
        unverified=bool(item["unverified"]),
        source=item["source"],
    )
