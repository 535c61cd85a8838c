"""The one rounding rule for entitlements.

Amounts are computed exactly (a Fraction from integer đồng and coefficients in thousandths)
and rounded once, at the end: to the nearest multiple of `unit` đồng, halves rounded up. The
unit is data (`btxh.rounding_unit` = 1 đồng, `ncc.rounding_unit` = 1,000 đồng). Never floats.
"""

from fractions import Fraction


def round_half_up(exact: Fraction | int, unit: int = 1) -> int:
    """833_332.5 -> 833_333; with unit=1000, 2_510_100 -> 2_510_000 and 2_510_500 -> 2_511_000."""
    if unit <= 0:
        raise ValueError(f"the rounding unit must be a positive number of đồng, not {unit}")
    if exact < 0:
        raise ValueError("entitlements are never negative; a recovery is a separate entry")
    units, remainder = divmod(Fraction(exact), unit)
    return int(units + (1 if 2 * remainder >= unit else 0)) * unit
