"""Generated beneficiary lists: realistic Vietnamese names, valid citizen IDs, real BINs.

Deterministic for a seed, streamed (never the whole list in memory)."""

import random
from collections.abc import Iterator
from datetime import date, timedelta

from payments.registry.citizen_id import PROVINCE_OF_BIRTH_CODES, make_citizen_id
from payments.registry.import_rows import CSV_HEADER
from payments.registry.names import fold_name

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
          "Hồ", "Ngô", "Dương", "Lý", "K'")  # fmt: skip
MIDDLE_M = ("Văn", "Hữu", "Đức", "Công", "Quang", "Minh", "Thành")
MIDDLE_F = ("Thị", "Ngọc", "Thu", "Kim", "Thanh", "Mỹ")
GIVEN_M = ("Anh", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Quân",
           "Sơn", "Tài", "Thắng", "Tuấn", "Việt", "Đông")  # fmt: skip
GIVEN_F = ("An", "Bích", "Chi", "Dung", "Đào", "Giang", "Hà", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Mai",
           "Nga", "Oanh", "Phương", "Thảo", "Trang", "Vân", "Yến")  # fmt: skip
COMMUNES = ("24778", "24781", "24787", "24820", "24841", "24853", "22900", "22903", "22909", "24610", "24619")
BINS = ("970436", "970415", "970418", "970405", "970416", "970422", "970403")
CATEGORIES = (
    ("BTXH", "BTXH_ELDERLY_80_NO_PENSION", ""),
    ("BTXH", "BTXH_DISABILITY_SEVERE", ""),
    ("BTXH", "BTXH_ELDERLY_POOR_60_80", ""),
    ("NCC", "NCC_WAR_INVALID", "injury_rate={rate}"),
    ("NCC", "NCC_MARTYR_RELATIVE", "martyr_count={martyrs}"),
)


def generated_rows(count: int, seed: int = 7) -> Iterator[dict[str, str]]:
    """`count` CSV rows as dicts keyed by CSV_HEADER; row i always has the same person."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    provinces = sorted(PROVINCE_OF_BIRTH_CODES)
    for serial in range(count):
        yield _row(rng, serial, provinces)


def _row(rng: random.Random, serial: int, provinces: list[str]) -> dict[str, str]:
    sex = rng.choice(("male", "female"))
    born = date(1930, 1, 1) + timedelta(days=rng.randrange(0, 365 * 80))
    name = " ".join((rng.choice(FAMILY), rng.choice(MIDDLE_M if sex == "male" else MIDDLE_F),
                     rng.choice(GIVEN_M if sex == "male" else GIVEN_F)))  # fmt: skip
    programme, category, params = CATEGORIES[serial % len(CATEGORIES)]
    decided = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 500))
    row = dict.fromkeys(CSV_HEADER, "")
    row.update(
        citizen_id=make_citizen_id(rng.choice(provinces), born, sex, serial),
        full_name=name,
        date_of_birth=born.isoformat(),
        sex=sex,
        commune_code=rng.choice(COMMUNES),
        phone=f"09{rng.randrange(10**8):08d}",
        programme=programme,
        category=category,
        parameters=params.format(rate=rng.randrange(21, 101), martyrs=rng.randrange(1, 4)),
        decision_number=f"{serial % 9000 + 1}/QĐ-UBND",
        decision_date=decided.isoformat(),
        effective_date=decided.isoformat(),  # recorded as in force from the decision
    )
    _instrument(rng, row, serial, name)
    return row


def _instrument(rng: random.Random, row: dict[str, str], serial: int, name: str) -> None:
    kind = ("bank", "bank", "ewallet", "cash")[serial % 4]
    row["instrument_kind"] = kind
    if kind == "bank":
        row.update(
            bank_bin=rng.choice(BINS), account_number=f"{10**11 + serial:012d}", holder_name=fold_name(name)
        )
    elif kind == "ewallet":
        row.update(wallet_provider="VIETTEL_MONEY", wallet_phone=f"08{serial % 10**8:08d}")
