"""Reference data shipped with the registry (data/*.csv), read into plain rows.

Migration 0003 inserts these rows into an empty database; `payments registry import-units`
reads the official unit list with the same parsers. No session here.
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

PROGRAMMES = (
    {"code": "BTXH", "name_vi": "Bảo trợ xã hội", "name_en": "Social assistance"},
    {"code": "NCC", "name_vi": "Người có công với cách mạng", "name_en": "People with meritorious service"},
)


def read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def parse_parameter_specs(raw: str) -> list[dict[str, Any]]:
    """'injury_rate:int:21:100;x:decimal:0.1:10' -> [{"name", "type", "min", "max"}, ...]."""
    specs = []
    for item in filter(None, (part.strip() for part in raw.split(";"))):
        name, kind, low, high = item.split(":")
        specs.append({"name": name, "type": kind, "min": low, "max": high})
    return specs


def category_rows() -> list[dict[str, Any]]:
    return [
        {
            "code": row["code"],
            "programme_code": row["programme"],
            "name_vi": row["name_vi"],
            "name_en": row["name_en"],
            "parameters": parse_parameter_specs(row["parameters"]),
            "unverified": row["unverified"] == "1",
        }
        for row in read_csv("categories.csv")
    ]


def _optional_date(raw: str | None) -> date | None:
    return date.fromisoformat(raw) if raw else None


def unit_row(row: dict[str, str], *, commune: bool) -> dict[str, Any]:
    """One province or commune row from the official list's columns."""
    parsed: dict[str, Any] = {
        "code": row["code"].strip(),
        "name": row["name"].strip(),
        "valid_from": _optional_date(row.get("valid_from")),
        "valid_to": _optional_date(row.get("valid_to")),
        "successor_code": (row.get("successor_code") or "").strip() or None,
    }
    if commune:
        parsed["province_code"] = row["province_code"].strip()
        parsed["unverified"] = row.get("unverified", "0") == "1"
    return parsed


def successors_last(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Rows ordered so that each successor is inserted before the units that point to it."""
    pending = list(rows)
    placed: set[str] = set()
    while pending:
        ready = [
            r for r in pending if r["successor_code"] in (None, *placed) or r["successor_code"] == r["code"]
        ]
        if not ready:  # a successor outside this list: it must already be in the database
            yield from pending
            return
        yield from ready
        placed.update(r["code"] for r in ready)
        pending = [r for r in pending if r["code"] not in placed]


def province_rows() -> list[dict[str, Any]]:
    return list(successors_last(unit_row(r, commune=False) for r in read_csv("provinces.csv")))


def commune_rows() -> list[dict[str, Any]]:
    return list(successors_last(unit_row(r, commune=True) for r in read_csv("communes.csv")))


def bank_rows() -> list[dict[str, Any]]:
    return [
        {
            "bin": r["bin"],
            "short_name": r["short_name"],
            "name": r["name"],
            "active": True,
            "unverified": r["unverified"] == "1",
        }
        for r in read_csv("banks.csv")
    ]


def wallet_provider_rows() -> list[dict[str, Any]]:
    return [{"code": r["code"], "name": r["name"], "active": True} for r in read_csv("wallet_providers.csv")]
