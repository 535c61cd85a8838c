"""A refusal *because of duplication* (ISO AM05, DU01-DU05, or the provider's own "this id is
already taken") says the original instruction exists, not that it failed. Read as a rejection
it would make the payout payable again while the original may have been credited; so the
adapters answer UNKNOWN and leave it to a status query (and, failing that, to a person)."""

from typing import Any

import pytest

from payments.adapters.bank_api.simulator import BankSimulator
from payments.adapters.ewallet.simulator import EwalletSimulator
from payments.adapters.vnpost.simulator import VnpostSimulator
from payments.adapters.vocabulary import PayoutStatus
from tests.integration.adapters.support import (
    bank_adapter,
    cash_adapter,
    open_account,
    open_wallet,
    pay,
    pickup,
    wallet_adapter,
)

DUPLICATION = ["AM05", "DU01", "DU02", "DU03", "DU04", "DU05"]


class DuplicateRefusingBank(BankSimulator):
    """A bank that refuses every transfer as a duplicate with `code`."""

    code = "AM05"

    def _reject_reason(self, key: str, item: dict[str, Any], amount: int) -> str | None:
        return self.code


class DuplicateRefusingWallet(EwalletSimulator):
    """A wallet that answers FAILED with `code` for every order."""

    code = "ORDER_ID_CONFLICT"

    def _reject_reason(self, key: str, phone: str, amount: int) -> str | None:
        return self.code


@pytest.mark.parametrize("code", DUPLICATION)
def test_a_bank_rjct_for_duplication_is_unknown_never_a_rejection(code):
    with DuplicateRefusingBank() as sim:
        sim.code = code
        adapter = bank_adapter(sim)
        [sent] = adapter.send([pay("K-1", open_account(sim, 1))])
        asked = adapter.status("K-1")
        assert (sent.status, sent.reason) == (PayoutStatus.UNKNOWN, None)
        assert (asked.status, asked.reason) == (PayoutStatus.UNKNOWN, None)
        assert code in sent.reason_text
        assert code in asked.reason_text


def test_a_bank_rjct_for_another_reason_is_still_a_rejection():
    with DuplicateRefusingBank() as sim:
        sim.code = "AC04"
        [sent] = bank_adapter(sim).send([pay("K-1", open_account(sim, 1))])
        assert sent.status is PayoutStatus.REJECTED


@pytest.mark.parametrize("code", ["ORDER_ID_CONFLICT", "AM05", "DU03"])
def test_a_wallet_failed_for_duplication_is_unknown_never_a_rejection(code):
    with DuplicateRefusingWallet() as sim:
        sim.code = code
        adapter = wallet_adapter(sim)
        [sent] = adapter.send([pay("K-1", open_wallet(sim, 1))])
        assert (sent.status, sent.reason) == (PayoutStatus.UNKNOWN, None)
        assert adapter.status("K-1").status is PayoutStatus.UNKNOWN


@pytest.mark.parametrize("code", ["ORDER_REF_CONFLICT", "AM05", "DU04"])
def test_a_post_office_refusal_for_duplication_is_unknown_never_a_rejection(code):
    with VnpostSimulator() as sim:
        sim.script_key("K-1", "reject", code)
        adapter = cash_adapter(sim)
        [sent] = adapter.send([pay("K-1", pickup(1))])
        assert (sent.status, sent.reason) == (PayoutStatus.UNKNOWN, None)
        assert adapter.status("K-1").status is PayoutStatus.UNKNOWN
        assert sim.credits() == {}
