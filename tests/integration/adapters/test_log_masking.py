"""Account and phone numbers never reach a log line in full."""

import logging

from payments.adapters.bank_api.simulator import BankSimulator
from payments.adapters.ewallet.simulator import EwalletSimulator
from payments.adapters.simkit import Faults
from tests.integration.adapters.support import bank_adapter, open_account, open_wallet, pay, wallet_adapter


def test_adapter_logs_mask_account_and_phone_numbers(caplog):
    caplog.set_level(logging.DEBUG)
    with BankSimulator(faults=Faults(timeout_after_credit=1.0, hang_seconds=1.0)) as bank:
        adapter = bank_adapter(bank)
        account = open_account(bank, 7)
        adapter.lookup_name(account)
        adapter.send([pay("K-1", account)])
    with EwalletSimulator(faults=Faults(timeout_after_credit=1.0, hang_seconds=1.0)) as ewallet:
        adapter = wallet_adapter(ewallet)
        wallet = open_wallet(ewallet, 7)
        adapter.lookup_name(wallet)
        adapter.send([pay("K-2", wallet)])
    lines = [record.getMessage() for record in caplog.records]
    assert any("*******007" in line for line in lines)  # the lookups were logged, masked
    assert any("in doubt" in line for line in lines)
    for line in lines:
        assert account.account_number not in line
        assert wallet.phone not in line
