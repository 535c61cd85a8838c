"""A gift lives beside the monthly allowance, never inside it: the accrual and its recomputes
neither count it as accrued nor take it back, and the next batch pays allowance and gift."""

from datetime import date

import pytest
from sqlalchemy import select

from payments.context import Actor
from payments.disbursements.building import build_batches
from payments.disbursements.model import Payout
from payments.disbursements.routing import routing_for
from payments.entitlements import accrued as ledger_view
from payments.entitlements.accrual import accrue
from payments.entitlements.gifts import GiftRun, gift_key, run_gifts
from payments.entitlements.period import Period
from payments.entitlements.rates import NewRate, add_rate, load_rate_set
from payments.ledger import accounts
from payments.ledger.repository import entry_by_key
from payments.ledger.services import balance
from payments.registry.crypto import PiiCipher
from tests.support.people import OFFICER, enrol_person, give_bank_account

MONTHLY = 750_000  # BTXH_ELDERLY_POOR_60_80: 1.5 x 500,000
GIFT = 500_000
TET = GiftRun("tet-2025", date(2025, 1, 20), "QĐ 123/QĐ-UBND", {"BTXH": GIFT, "NCC": 600_000})


@pytest.fixture
def accrue_month(session_factory, session):
    def go(period: str, *, recompute=None):
        rates = load_rate_set(session, "68")
        return accrue(session_factory, Period.parse(period), rates, actor=OFFICER, recompute=recompute)

    return go


@pytest.fixture
def give(session_factory):
    return lambda: run_gifts(session_factory, TET, actor=OFFICER)


def owed_to(session, beneficiary_id: int) -> int:
    return -balance(session, accounts.payable(beneficiary_id))


def test_a_gift_alone_is_not_an_accrued_month(session, give):
    _person, enrolment = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    give()
    assert ledger_view.accrued_periods(session, before=Period(2025, 12)) == []
    assert ledger_view.accrued_for(session, [enrolment], [Period(2025, 1)]) == {}


def test_the_accrual_of_the_gift_month_pays_the_allowance_and_leaves_the_gift(session, give, accrue_month):
    person, enrolment = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    give()

    january = accrue_month("2025-01")

    assert (january.accrued_vnd, january.arrears_vnd, january.recovered_vnd) == (MONTHLY, 0, 0)
    accrued = ledger_view.accrued_for(session, [enrolment], [Period(2025, 1)])
    assert [(month, item.amount_vnd) for (_e, month, _c), item in accrued.items()] == [("2025-01", MONTHLY)]
    assert owed_to(session, person) == MONTHLY + GIFT


def test_a_late_rate_recomputes_the_allowance_only_and_the_gift_is_untouched(session, give, accrue_month):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    give()
    accrue_month("2025-01")
    gift_before = entry_by_key(session, gift_key("tet-2025", person))
    add_rate(
        session,
        Actor(username="admin", role="admin"),
        NewRate("btxh.standard_level", "68", date(2025, 1, 1), None, 600_000, "Provincial decision (test)"),
    )
    session.commit()

    february = accrue_month("2025-02", recompute=(Period(2025, 1), Period(2025, 1)))

    assert february.recomputed == ["2025-01"]
    assert february.arrears_vnd == 150_000  # 1.5 x 600,000 - 750,000: the allowance's difference only
    assert (february.recovered_vnd, february.offset_vnd) == (0, 0)
    assert february.accrued_vnd == 900_000
    assert owed_to(session, person) == MONTHLY + 150_000 + 900_000 + GIFT
    gift_after = entry_by_key(session, gift_key("tet-2025", person))
    assert gift_before is not None
    assert gift_after is not None
    assert (gift_after.seq, gift_after.hash) == (gift_before.seq, gift_before.hash)
    again = accrue_month("2025-02", recompute=(Period(2025, 1), Period(2025, 1)))
    assert (again.posted, again.arrears_vnd, again.recovered_vnd) == (0, 0, 0)


def test_the_batch_of_the_month_pays_the_allowance_and_the_gift(app, session, give, accrue_month):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    give_bank_account(session, person, "0071000123456", since=date(2024, 5, 1))
    give()
    accrue_month("2025-01")
    runtime = app.extensions["payments"]

    result = build_batches(
        session, "2025-01", routing_for(runtime.settings, runtime.adapters),
        PiiCipher.from_settings(runtime.settings), actor=OFFICER, hold_days=30, on_date=date(2025, 2, 5),
    )  # fmt: skip

    assert result.holds == []
    (batch,) = result.batches
    payouts = session.scalars(select(Payout).where(Payout.batch_id == batch.id)).all()
    assert [(p.beneficiary_id, p.amount_vnd) for p in payouts] == [(person, MONTHLY + GIFT)]
    assert batch.total_vnd == MONTHLY + GIFT
