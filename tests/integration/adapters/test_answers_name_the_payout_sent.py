"""Every answer is filed under the payout key we sent, never under the key the provider names.

An answer (correctly signed and bound to our request) that names another payout is a protocol
error: filed under the key it names, a credited payout could be recorded rejected, its money
made payable again and paid twice. The dispatcher treats the chunk as in doubt and a status
query, which asks about one key at a time, settles it.
"""

from typing import Any

import pytest

from payments.adapters.bank_api.simulator import BankSimulator
from payments.adapters.errors import AdapterProtocolError
from payments.adapters.ewallet.simulator import EwalletSimulator
from payments.adapters.loopback import Answer
from payments.adapters.simkit import Transfer
from payments.adapters.vocabulary import PayoutStatus
from tests.integration.adapters.support import bank_adapter, open_account, open_wallet, pay, wallet_adapter

SWAP = {"K-1": "K-2", "K-2": "K-1"}


class SwappingWallet(EwalletSimulator):
    """A wallet whose answers name each other's order ids."""

    def _wire(self, transfer: Transfer) -> dict[str, Any]:
        return {**super()._wire(transfer), "order_id": SWAP.get(transfer.key, transfer.key)}


class MislabellingBank(BankSimulator):
    """A bank whose bulk answer files K-2's result under K-1 (K-1 named twice, K-2 never)."""

    def _transfer(self, item: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        result, credited = super()._transfer(item)
        return {**result, "end_to_end_id": "K-1"}, credited


class StrayAnswerBank(BankSimulator):
    """A bank whose bulk answer adds a result for a key nobody sent."""

    def _bulk(self, request_id: str, payload: dict[str, Any]) -> Answer:
        results = [self._transfer(item)[0] for item in payload["transfers"]]
        stray = {"end_to_end_id": "K-9", "status": "RJCT", "reason": "AC04"}
        return self._signed(request_id, 200, {"results": [*results, stray]})


def test_a_wallet_answer_naming_another_order_is_a_protocol_error_and_status_tells_the_truth():
    with SwappingWallet() as sim:
        sim.dice.force("reject_closed", "K-2")  # K-1 is paid, K-2 refused
        adapter = wallet_adapter(sim)
        with pytest.raises(AdapterProtocolError, match="about order"):
            adapter.send([pay("K-1", open_wallet(sim, 1)), pay("K-2", open_wallet(sim, 2))])
        assert sim.credits() == {"K-1": 1}
        # Status asks about one key; an answer naming another one is refused as well.
        with pytest.raises(AdapterProtocolError, match="about order"):
            adapter.status("K-1")


def test_a_wallet_answer_about_the_order_sent_is_filed_under_it():
    with EwalletSimulator() as sim:
        sim.dice.force("reject_closed", "K-2")
        adapter = wallet_adapter(sim)
        results = adapter.send([pay("K-1", open_wallet(sim, 1)), pay("K-2", open_wallet(sim, 2))])
        assert [(r.payout_key, r.status) for r in results] == [
            ("K-1", PayoutStatus.ACCEPTED),
            ("K-2", PayoutStatus.REJECTED),
        ]
        assert adapter.status("K-1").status is PayoutStatus.SETTLED


def test_a_bulk_answer_naming_one_key_twice_is_a_protocol_error_not_a_rejection_of_a_paid_payout():
    with MislabellingBank() as sim:
        sim.dice.force("reject_closed", "K-2")  # K-1 is paid; K-2's refusal comes back named K-1
        adapter = bank_adapter(sim)
        with pytest.raises(AdapterProtocolError, match="unasked or twice"):
            adapter.send([pay("K-1", open_account(sim, 1)), pay("K-2", open_account(sim, 2))])
        assert sim.credits() == {"K-1": 1}


def test_a_bulk_answer_about_a_key_not_sent_is_a_protocol_error():
    with StrayAnswerBank() as sim:
        adapter = bank_adapter(sim)
        with pytest.raises(AdapterProtocolError, match="'K-9' unasked"):
            adapter.send([pay("K-1", open_account(sim, 1))])
        assert sim.credits() == {"K-1": 1}
        assert adapter.status("K-1").status is PayoutStatus.SETTLED


def test_a_bank_status_naming_another_payout_is_a_protocol_error():
    class WrongRecordBank(BankSimulator):
        def _status(self, request_id: str, key: str) -> Answer:
            return super()._status(request_id, SWAP.get(key, key))

    with WrongRecordBank() as sim:
        sim.dice.force("reject_closed", "K-2")
        adapter = bank_adapter(sim)
        adapter.send([pay("K-1", open_account(sim, 1)), pay("K-2", open_account(sim, 2))])
        with pytest.raises(AdapterProtocolError, match="is about 'K-2'"):
            adapter.status("K-1")
