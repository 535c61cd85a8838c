"""The post office (cash) adapter against the loopback post office simulator.

Orders are collected at once by default, as the suite expects of a payout that goes through;
`settle_all` hands over anything still waiting. Commune 99999 is served by no post office.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from payments.adapters.creditors import CashPickup
from payments.adapters.registry import AdapterRegistry
from payments.adapters.simkit import Faults
from payments.adapters.vnpost.simulator import VnpostSimulator
from payments.adapters.vocabulary import Capability
from tests.contract.harnesses import Payee, Scenario

KIND = "vnpost"
CAPABILITIES = frozenset({"send", "status", "callbacks", "statement", "signed_responses", "cash"})
SCENARIOS = frozenset({Scenario.TIMEOUT, Scenario.WRONG_ACCOUNT, Scenario.TAMPER_RESPONSES})
NAMES = ("Nguyễn Thị Đào", "Trần Văn Bình", "Lê Thị Hồng", "Phạm Đức Anh")
FAST = {"read_timeout": 0.4, "connect_timeout": 0.5, "read_retries": 1}
UNSERVED = "99999"


class VnpostHarness:
    def __init__(self, sim: VnpostSimulator) -> None:
        self.sim = sim
        self.adapter = AdapterRegistry().build("vnpost-under-test", sim.adapter_settings(**FAST))

    def payee(self, n: int, creditor_kind: str | None = None) -> Payee:
        assert creditor_kind in (None, Capability.CASH)
        name = NAMES[n % len(NAMES)]
        return Payee(CashPickup(commune_code="25123", citizen_id=f"0011900{n:05d}", holder_name=name), name)

    def wrong_payee(self) -> Payee:
        return Payee(
            CashPickup(commune_code=UNSERVED, citizen_id="001190099999", holder_name="Không Ai"), "Không Ai"
        )

    def credits(self) -> dict[str, int]:
        return self.sim.credits()

    def arm_timeout(self, key: str) -> None:
        self.sim.dice.force("timeout_after_credit", key)

    def tamper_responses(self) -> None:
        self.sim.set_faults(Faults(bad_signatures=1.0))

    def callbacks(self, key: str, count: int) -> list[tuple[dict[str, str], bytes]]:
        def about_key() -> list[tuple[dict[str, str], bytes]]:
            return [
                (d.headers, d.body) for d in self.sim.deliveries if json.loads(d.body)["order_ref"] == key
            ]

        for _ in range(100):
            if len(about_key()) >= count:
                break
            self.sim.wait_for_deliveries(len(self.sim.deliveries) + 1, timeout=0.05)
        return about_key()

    def settle_all(self) -> None:
        """Every order still waiting at the counter is collected now."""
        for key in self.sim.awaiting_pickup():
            self.sim.collect(key)

    def statement_day(self):
        return datetime.now(UTC).date()


@contextmanager
def open_harness(tmp_path: Path) -> Iterator[VnpostHarness]:
    with VnpostSimulator(seed=7, faults=Faults(hang_seconds=1.5), unserved_communes={UNSERVED}) as sim:
        yield VnpostHarness(sim)
