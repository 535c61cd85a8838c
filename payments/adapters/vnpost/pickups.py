"""What becomes of each cash order in the post office simulator, scripted or seeded.

A scripted payout key wins over a scripted citizen ID; otherwise `uncollected_rate` leaves a
share of orders uncollected, decided from a hash of (seed, payout key) so the same seed gives
the same outcomes whatever the order of requests; otherwise the default applies.
"""

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from payments.adapters.simkit import Faults

OUTCOMES = ("collect", "uncollected", "reject")
BLOCKED = "RECIPIENT_BLOCKED"
MESSAGES = {  # the texts that go with wire error codes
    "UNKNOWN_COMMUNE": "no post office serves this commune",
    "RECIPIENT_BLOCKED": "the post office will not pay this recipient",
    "INSUFFICIENT_FUNDS": "the client account cannot cover this order",
    "NOT_COLLECTED": "not collected within the pickup window",
}
# Cash has no account to find closed, and cash handed over never comes back: NOAS is the return.
NOT_FOR_CASH = ("reject_closed", "return_after_settlement")


@dataclass(frozen=True)
class Pickup:
    """Collected at once, left uncollected until the window closes, or refused with a code."""

    outcome: str = "collect"
    error_code: str = BLOCKED  # the refusal's wire error code, for `reject`

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"a pickup outcome is one of {', '.join(OUTCOMES)}")
        if not self.error_code:
            raise ValueError("a refusal needs an error code")


def check_faults(faults: Faults) -> Faults:
    """The simulator's faults, refusing those that cannot happen to cash."""
    for name in NOT_FOR_CASH:
        if getattr(faults, name):
            raise ValueError(f"{name} does not apply to cash (use uncollected_rate for NOAS returns)")
    return faults


class PickupPlan:
    """Scripts per payout key and per citizen ID, a seeded uncollected share, a default."""

    def __init__(self, seed: int, default: str = "collect", uncollected_rate: float = 0.0) -> None:
        if not 0.0 <= uncollected_rate <= 1.0:
            raise ValueError("uncollected_rate must be between 0 and 1")
        if default == "reject":
            raise ValueError("the default outcome is collect or uncollected")
        self.seed, self.default, self.uncollected_rate = seed, Pickup(default), uncollected_rate
        self._by_key: dict[str, Pickup] = {}
        self._by_citizen: dict[str, Pickup] = {}
        self._lock = threading.Lock()

    def script_key(self, payout_key: str, pickup: Pickup) -> None:
        with self._lock:
            self._by_key[payout_key] = pickup

    def script_citizen(self, citizen_id: str, pickup: Pickup) -> None:
        with self._lock:
            self._by_citizen[citizen_id] = pickup

    def script(self, data: dict[str, Any]) -> None:
        """A script from JSON: `outcome`, optional `error_code`, and `payout_key` or `citizen_id`.
        Raises ValueError when it is incomplete or names an unknown outcome."""
        pickup = Pickup(str(data.get("outcome", "")), str(data.get("error_code") or BLOCKED))
        if "payout_key" in data:
            self.script_key(str(data["payout_key"]), pickup)
        elif "citizen_id" in data:
            self.script_citizen(str(data["citizen_id"]), pickup)
        else:
            raise ValueError("a script names a payout_key or a citizen_id")

    def for_order(self, payout_key: str, citizen_id: str) -> Pickup:
        with self._lock:
            scripted = self._by_key.get(payout_key) or self._by_citizen.get(citizen_id)
        if scripted is not None:
            return scripted
        return Pickup("uncollected") if self._left_uncollected(payout_key) else self.default

    def _left_uncollected(self, payout_key: str) -> bool:
        if self.uncollected_rate <= 0.0:
            return False
        digest = hashlib.sha256(f"{self.seed}|uncollected|{payout_key}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < self.uncollected_rate
