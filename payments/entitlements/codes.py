"""The rate codes the calculator knows: what each one measures and who may override it.

The figures themselves are data (the `rates` table, seeded from data/rates.json). This module
only names the codes, because a new code is useless until the calculator reads it.
"""

from dataclasses import dataclass
from enum import StrEnum

NATIONAL = "national"
WAR_INVALID_RATES = range(21, 101)  # one table row per percentage point (DOMAIN)


class Unit(StrEnum):
    VND = "vnd"  # an amount in đồng
    COEFFICIENT = "coefficient"  # a multiplier, stored exactly in thousandths
    YEARS = "years"  # an age threshold


class Override(StrEnum):
    NONE = "none"  # national only
    HIGHER_ONLY = "higher_only"  # a province may set more than the national figure, never less


@dataclass(frozen=True)
class RateCode:
    code: str
    unit: Unit
    description: str
    override: Override = Override.NONE


def war_invalid_code(injury_rate: int) -> str:
    return f"ncc.war_invalid.{injury_rate}"


def martyr_relative_code(martyr_count: int) -> str:
    return f"ncc.martyr_relative.{min(martyr_count, 3)}"


_V, _C, _Y = Unit.VND, Unit.COEFFICIENT, Unit.YEARS
_BASE = (
    RateCode(
        "btxh.standard_level", _V, "BTXH standard level (mức chuẩn trợ giúp xã hội)", Override.HIGHER_ONLY
    ),
    RateCode("btxh.rounding_unit", _V, "BTXH amounts are rounded half up to this many đồng"),
    RateCode("btxh.coef.elderly_poor_alone.60_79", _C, "elderly, poor, no supporter, 60 to under 80"),
    RateCode("btxh.coef.elderly_poor_alone.80_plus", _C, "elderly, poor, no supporter, 80 or over"),
    RateCode("btxh.coef.elderly_80_no_pension", _C, "80 or over without a pension"),
    RateCode("btxh.coef.disability_extreme", _C, "extremely severe disability"),
    RateCode(
        "btxh.coef.disability_extreme.child_or_elderly", _C, "extremely severe disability, child/elderly"
    ),
    RateCode("btxh.coef.disability_severe", _C, "severe disability"),
    RateCode("btxh.coef.disability_severe.child_or_elderly", _C, "severe disability, child or elderly"),
    RateCode("btxh.coef.single_parent.per_child", _C, "poor single parent, per child raised"),
    RateCode("btxh.coef.child_no_support.under_4", _C, "child with no one to support them, under 4"),
    RateCode("btxh.coef.child_no_support.4_to_15", _C, "child with no one to support them, 4 to under 16"),
    RateCode("btxh.age.elderly", _Y, "age from which a person counts as elderly"),
    RateCode("btxh.age.very_old", _Y, "age of the 80-or-over categories"),
    RateCode("btxh.age.child_end", _Y, "age at which a person stops counting as a child"),
    RateCode("btxh.age.infant_end", _Y, "age that ends the under-4 child coefficient"),
    RateCode("btxh.funeral_multiplier", _C, "funeral support = this × BTXH standard level"),
    RateCode(
        "social_pension.amount", _V, "social pension (trợ cấp hưu trí xã hội) per month", Override.HIGHER_ONLY
    ),
    RateCode("social_pension.min_age", _Y, "age from which the social pension is due"),
    RateCode("social_pension.funeral_multiplier", _C, "funeral support = this × BTXH standard level"),
    RateCode("ncc.standard_level", _V, "NCC standard level (mức chuẩn trợ cấp ưu đãi)"),
    RateCode("ncc.rounding_unit", _V, "NCC amounts derived from the standard are rounded to this many đồng"),
    RateCode("ncc.martyr_relative.1", _V, "relative of one martyr"),
    RateCode("ncc.martyr_relative.2", _V, "relative of two martyrs"),
    RateCode("ncc.martyr_relative.3", _V, "relative of three or more martyrs"),
    RateCode("ncc.heroic_mother", _V, "Heroic Mother (Bà mẹ Việt Nam anh hùng)"),
    RateCode("ncc.heroic_mother.supplement", _V, "Heroic Mother supplement (phụ cấp)"),
    RateCode("ncc.nursing.home", _C, "nursing care at home = this × NCC standard, per occasion"),
    RateCode("ncc.nursing.centre", _C, "nursing care in a centre = this × NCC standard, per occasion"),
    RateCode("ncc.funeral_multiplier", _C, "NCC funeral allowance = this × base salary"),
    RateCode("base_salary", _V, "base salary (lương cơ sở)"),
)
_WAR_INVALID = tuple(
    RateCode(war_invalid_code(rate), _V, f"war invalid, injury rate {rate} %") for rate in WAR_INVALID_RATES
)

RATE_CODES: dict[str, RateCode] = {c.code: c for c in _BASE + _WAR_INVALID}
