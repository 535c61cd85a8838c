"""Which rate codes each category reads. Structure only: every figure, including the age
limits, is a rate row.

A BTXH category may depend on age (a disabled child or elderly person has a higher
coefficient than a disabled adult); each band names the ages (as rate codes) it covers.
"""

from dataclasses import dataclass
from types import MappingProxyType

ELDERLY = "btxh.age.elderly"
VERY_OLD = "btxh.age.very_old"
CHILD_END = "btxh.age.child_end"
INFANT_END = "btxh.age.infant_end"

SOCIAL_PENSION = "btxh.social_pension"
PROVINCIAL_OTHER = "btxh.provincial_other"  # coefficient set by the provincial decision itself
WAR_INVALID = "ncc.war_invalid"
MARTYR_RELATIVE = "ncc.martyr_relative"
HEROIC_MOTHER = "ncc.heroic_mother"
NCC_CATEGORIES = frozenset({WAR_INVALID, MARTYR_RELATIVE, HEROIC_MOTHER})


@dataclass(frozen=True)
class Band:
    coefficient_code: str
    from_age: str | None = None  # rate code of the first age covered (inclusive)
    below_age: str | None = None  # rate code of the first age no longer covered
    per_child: bool = False  # coefficient × children raised
    without_pension: bool = False  # only for people without a pension


def _disability(code: str) -> tuple[Band, ...]:
    higher = f"{code}.child_or_elderly"
    return (Band(higher, below_age=CHILD_END), Band(code, CHILD_END, ELDERLY), Band(higher, from_age=ELDERLY))


BTXH_CATEGORIES = MappingProxyType(
    {
        "btxh.elderly_poor_alone": (
            Band("btxh.coef.elderly_poor_alone.60_79", ELDERLY, VERY_OLD),
            Band("btxh.coef.elderly_poor_alone.80_plus", from_age=VERY_OLD),
        ),
        "btxh.elderly_80_no_pension": (
            Band("btxh.coef.elderly_80_no_pension", from_age=VERY_OLD, without_pension=True),
        ),
        "btxh.disability_extreme": _disability("btxh.coef.disability_extreme"),
        "btxh.disability_severe": _disability("btxh.coef.disability_severe"),
        "btxh.single_parent": (Band("btxh.coef.single_parent.per_child", per_child=True),),
        "btxh.child_no_support": (
            Band("btxh.coef.child_no_support.under_4", below_age=INFANT_END),
            Band("btxh.coef.child_no_support.4_to_15", INFANT_END, CHILD_END),
        ),
    }
)

KNOWN_CATEGORIES = frozenset(BTXH_CATEGORIES) | {SOCIAL_PENSION, PROVINCIAL_OTHER} | NCC_CATEGORIES

# The registry's category codes (registry/data/categories.csv). Its age-banded codes map to one
# calculator category whose band follows the person's age month by month: a child enrolled
# under 4 moves to the 4-to-16 coefficient in the month of the fourth birthday.
REGISTRY_CATEGORIES = MappingProxyType(
    {
        "BTXH_CHILD_NO_SUPPORT_U4": "btxh.child_no_support",
        "BTXH_CHILD_NO_SUPPORT_4_16": "btxh.child_no_support",
        "BTXH_ELDERLY_POOR_60_80": "btxh.elderly_poor_alone",
        "BTXH_ELDERLY_POOR_80": "btxh.elderly_poor_alone",
        "BTXH_ELDERLY_80_NO_PENSION": "btxh.elderly_80_no_pension",
        "BTXH_SOCIAL_PENSION": SOCIAL_PENSION,
        "BTXH_DISABILITY_EXTREME": "btxh.disability_extreme",
        "BTXH_DISABILITY_EXTREME_CHILD_ELDERLY": "btxh.disability_extreme",
        "BTXH_DISABILITY_SEVERE": "btxh.disability_severe",
        "BTXH_DISABILITY_SEVERE_CHILD_ELDERLY": "btxh.disability_severe",
        "BTXH_SINGLE_PARENT_POOR": "btxh.single_parent",
        "BTXH_PROVINCIAL_OTHER": PROVINCIAL_OTHER,
        "NCC_MARTYR_RELATIVE": MARTYR_RELATIVE,
        "NCC_HEROIC_MOTHER": HEROIC_MOTHER,
        "NCC_WAR_INVALID": WAR_INVALID,
    }
)
