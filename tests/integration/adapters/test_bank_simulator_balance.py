"""The bank simulator's debit account balance, which refuses payouts it cannot cover (AM04)."""

from datetime import UTC, datetime

from payments.adapters.bank_api.simulator import BankSimulator
from payments.adapters.vocabulary import PayoutStatus, ReasonCode
from tests.integration.adapters.support import bank_adapter, open_account, pay


def test_the_balance_that_refuses_short_payouts_follows_every_debit_and_return():
    with BankSimulator(opening_balance_vnd=1_000_000) as sim:
        adapter = bank_adapter(sim)
        first, second = open_account(sim, 1), open_account(sim, 2)
        assert adapter.send([pay("K-1", first, 600_000)])[0].status is PayoutStatus.SETTLED
        short = adapter.send([pay("K-2", second, 600_000)])[0]  # 400,000 left
        assert (short.status, short.reason) == (PayoutStatus.REJECTED, ReasonCode.AM04)
        sim.return_payout("K-1")  # the 600,000 comes back to our account
        assert adapter.send([pay("K-3", second, 600_000)])[0].status is PayoutStatus.SETTLED
        statement = adapter.fetch_statement(datetime.now(UTC).date())
        assert statement.closing_balance_vnd == 400_000
        assert sim.credits() == {"K-1": 1, "K-3": 1}
