"""Payout keys and the batch manifest hash. Pure: no session, no I/O.

The payout key travels to the bank as the ISO 20022 EndToEndId (at most 35 characters) and
is what every provider deduplicates on, so it must be the same on every retry of the same
payout and different for every other payout, across all batches.
"""

import hashlib
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from payments.chain import encode

MAX_KEY_LENGTH = 35
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_PROGRAMME = re.compile(r"^[A-Z]{2,5}$")


def payout_key(period: str, programme: str, beneficiary_id: int, attempt: int) -> str:
    """`<yymm>-<beneficiary>-<attempt>-<programme>`, e.g. `2507-00012345-01-BTXH`.

    The first 16 characters (period, person, attempt) identify the payout on their own: MT940
    statements keep only those 16 characters of our reference, so the distinctive part comes
    first. `attempt` counts the payouts ever made to this person for this period, whatever the
    programme: a follow-up payout after a definite failure gets the next attempt, never the
    same key. The two-digit year repeats after a century; the database's unique key refuses
    such a collision rather than letting it pass.
    """
    if not _PERIOD.match(period):
        raise ValueError(f"period must look like 2025-07, not {period!r}")
    if not _PROGRAMME.match(programme):
        raise ValueError(f"programme code must be 2-5 capital letters, not {programme!r}")
    if not 0 < beneficiary_id < 10**8 or not 0 < attempt < 100:
        raise ValueError("beneficiary id or attempt out of range for a payout key")
    key = f"{period_prefix(period)}{beneficiary_id:08d}-{attempt:02d}-{programme}"
    assert len(key) <= MAX_KEY_LENGTH  # guaranteed by the checks above
    return key


def period_prefix(period: str) -> str:
    """What every payout key of `period` starts with: `2025-07` -> `2507-`."""
    return f"{period[2:4]}{period[5:7]}-"


class ManifestLine(NamedTuple):  # a tuple: a dispatch checks one per payout, so they must be cheap
    payout_key: str
    amount_vnd: int
    instrument: dict[str, Any]  # the frozen snapshot the payout will use


def manifest_hash(lines: Iterable[ManifestLine]) -> str:
    """SHA-256 over every payout's key, amount and instrument snapshot, in key order.

    Approvals are bound to this hash: any change to who is paid, how much, or where,
    changes it and voids them.
    """
    digest = hashlib.sha256(encode("payments/manifest/v1"))
    for line in sorted(lines, key=lambda item: item.payout_key):
        digest.update(encode((line.payout_key, line.amount_vnd, line.instrument)))
    return digest.hexdigest()
