"""An approved write-off posts to the ledger so the tie-outs hold again; the classes it does not
fit are refused with the action that does; proposing posts nothing, approving twice posts once."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from payments.clock import fixed_clock
from payments.errors import Conflict, RuleViolation
from payments.ledger import accounts
from payments.ledger.model import Entry
from payments.ledger.services import balance
from payments.ledger.verify import verify_ledger
from payments.reconcile.exceptions import approve_write_off, history, list_exceptions
from payments.reconcile.report import render
from payments.reconcile.resolutions import resolve_exception
from payments.reconcile.runs import age_payouts, import_file, run_reconciliation
from payments.reconcile.tieouts import tie_outs
from tests.integration.reconcile.conftest import FINANCE, SECOND_FINANCE
from tests.integration.reconcile.files import Booking, Status, camt, pain002

WRITE_OFF = accounts.expense("writeoff")


def _import(session_factory, data: bytes, name: str = "file"):
    return import_file(session_factory, adapter="bank", data=data, file_name=name, actor=FINANCE)


def _write_off(session, exception_id: int):
    """Proposed by one finance user, approved by another."""
    session.expire_all()  # the imports ran in their own sessions
    resolve_exception(session, FINANCE, exception_id, action="write_off", reason="bank cannot trace it")
    return approve_write_off(session, SECOND_FINANCE, exception_id, reason="agreed")


def _write_off_entries(session) -> list[Entry]:
    return list(session.scalars(select(Entry).where(Entry.kind == "write_off")))


def _settlement_ties(session) -> dict:
    return tie_outs(session)["adapters"]["bank"]["settlement"]


def test_money_we_did_not_instruct_written_off_makes_the_statement_tie_out_again(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    stranger = Booking("NOT-OURS-0001", 123_000)
    _import(session_factory, camt([Booking(payout.payout_key, payout.amount_vnd), stranger], today))
    assert not tie_outs(session)["holds"]
    (found,) = list_exceptions(session, kind="UNMATCHED_CONFIRMATION")

    resolve_exception(session, FINANCE, found.id, action="write_off", reason="bank cannot trace it")
    assert _write_off_entries(session) == []  # a proposal posts nothing
    approve_write_off(session, SECOND_FINANCE, found.id, reason="agreed")
    session.commit()

    assert balance(session, WRITE_OFF) == 123_000
    assert balance(session, accounts.settlement("bank")) == -payout.amount_vnd - 123_000
    ties = tie_outs(session)
    assert ties["holds"], ties
    assert ties["adapters"]["bank"]["settlement"]["written_off"] == {"count": 1, "amount_vnd": 123_000}
    (entry,) = _write_off_entries(session)
    assert entry.idempotency_key == f"writeoff:exception:{found.id}"
    assert entry.effective_date == today
    assert entry.memo["exception"] == found.id
    assert (entry.memo["proposed_by"], entry.memo["approved_by"]) == ("finance.thu", "finance.binh")
    approved = history(session, found.id)[-1]
    assert approved.data["entry_seq"] == entry.seq
    assert approved.data["written_off_vnd"] == 123_000
    assert verify_ledger(session, []).ok


def test_the_run_report_shows_the_write_off_and_tie_outs_that_hold(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    _import(
        session_factory, camt([Booking(payout.payout_key, payout.amount_vnd), Booking("X-1", 50_000)], today)
    )
    (found,) = list_exceptions(session, kind="UNMATCHED_CONFIRMATION")
    _write_off(session, found.id)
    session.commit()
    report = run_reconciliation(session_factory, actor=FINANCE)
    assert report["tie_outs"]["holds"]
    text = render(report, "text")
    assert "Tie-outs: all hold" in text
    assert "1 write-off(s) approved, 50,000 VND to expense:writeoff" in text
    assert "tie_out:bank,settlement,written_off.amount_vnd,50000" in render(report, "csv")


def test_approving_a_write_off_twice_posts_it_once(session, session_factory, dispatched, today):
    dispatched(1)
    _import(session_factory, camt([Booking("NOT-OURS-0003", 40_000)], today))
    (found,) = list_exceptions(session, kind="UNMATCHED_CONFIRMATION")
    _write_off(session, found.id)
    with pytest.raises(Conflict, match="no write-off awaiting approval"):
        approve_write_off(session, SECOND_FINANCE, found.id, reason="again")
    keys = select(func.count()).select_from(Entry).where(Entry.idempotency_key.like("writeoff:%"))
    assert session.scalar(keys) == 1
    assert balance(session, WRITE_OFF) == 40_000


def test_money_that_came_in_unexplained_is_written_back(session, session_factory, dispatched, today):
    dispatched(1)
    _import(session_factory, camt([Booking("REFUND-FROM-NOWHERE", 30_000, "CRDT")], today))
    (found,) = list_exceptions(session, kind="UNMATCHED_CONFIRMATION")
    _write_off(session, found.id)
    assert balance(session, WRITE_OFF) == -30_000
    assert _settlement_ties(session)["holds"]


def test_a_second_booking_of_one_payout_written_off_ties_out(session, session_factory, dispatched, today):
    _, (payout,) = dispatched(1)
    booking = [Booking(payout.payout_key, payout.amount_vnd)]
    _import(session_factory, camt(booking, today), "day1.xml")
    _import(session_factory, camt(booking, today + timedelta(1), tag="b"), "day2.xml")
    (found,) = list_exceptions(session, kind="DUPLICATE_CONFIRMATION")
    assert not _settlement_ties(session)["holds"]
    _write_off(session, found.id)
    assert balance(session, WRITE_OFF) == payout.amount_vnd
    assert tie_outs(session)["holds"]


def test_a_booking_over_the_payout_settles_it_and_writes_off_the_difference(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    _import(session_factory, camt([Booking(payout.payout_key, payout.amount_vnd + 11_000)], today))
    (found,) = list_exceptions(session, kind="AMOUNT_MISMATCH")
    _write_off(session, found.id)
    session.expire_all()
    assert payout.state == "settled"
    assert balance(session, WRITE_OFF) == 11_000
    assert balance(session, accounts.settlement("bank")) == -(payout.amount_vnd + 11_000)
    ties = tie_outs(session)
    assert ties["holds"], ties
    assert ties["adapters"]["bank"]["three_way"]["settled_and_on_statement"] == 1
    assert verify_ledger(session, []).ok


def test_a_return_short_of_the_payout_returns_it_whole_and_writes_off_the_fee(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    _import(session_factory, camt([Booking(payout.payout_key, payout.amount_vnd)], today), "d1.xml")
    back = Booking(payout.payout_key, payout.amount_vnd - 5_500, "CRDT", reason="AC04")
    _import(session_factory, camt([back], today + timedelta(1)), "d2.xml")
    (found,) = list_exceptions(session, kind="AMOUNT_MISMATCH")
    _write_off(session, found.id)
    session.expire_all()
    assert payout.state == "returned"
    assert -balance(session, accounts.payable(payout.beneficiary_id)) == payout.amount_vnd  # owed in full
    assert balance(session, WRITE_OFF) == 5_500
    assert tie_outs(session)["holds"]


def test_a_booking_short_of_the_payout_is_not_written_off(session, session_factory, dispatched, today):
    _, (payout,) = dispatched(1)
    _import(session_factory, camt([Booking(payout.payout_key, payout.amount_vnd - 1_000)], today))
    (found,) = list_exceptions(session, kind="AMOUNT_MISMATCH")
    with pytest.raises(RuleViolation, match="may still be owed the rest"):
        resolve_exception(session, FINANCE, found.id, action="write_off", reason="close it")
    assert found.state == "open"
    assert _write_off_entries(session) == []


def test_a_payout_still_in_flight_is_not_written_off(session, dispatched):
    dispatched(1)
    later = fixed_clock(datetime.now(UTC) + timedelta(days=10))
    age_payouts(session, older_than=timedelta(days=3), actor=FINANCE, clock=later)
    (found,) = list_exceptions(session, kind="UNCONFIRMED_PAYOUT")
    with pytest.raises(RuleViolation, match=r"may still arrive.*status"):
        resolve_exception(session, FINANCE, found.id, action="write_off", reason="gone")
    assert found.state == "open"


def test_a_balance_break_is_not_written_off_beside_its_lines(session, session_factory, dispatched, today):
    dispatched(1)
    _import(session_factory, camt([Booking("NOT-OURS-0004", 60_000)], today))
    (found,) = list_exceptions(session, kind="BALANCE_BREAK")
    with pytest.raises(RuleViolation, match="count them twice"):
        resolve_exception(session, FINANCE, found.id, action="write_off", reason="close it")


def test_a_status_report_about_an_unknown_payout_moved_no_money_to_write_off(
    session, session_factory, dispatched
):
    dispatched(1)
    _import(session_factory, pain002([Status("NOBODY-KNOWS-THIS-KEY", "ACSC", amount_vnd=10_000)]))
    (found,) = list_exceptions(session, kind="UNMATCHED_CONFIRMATION")
    with pytest.raises(RuleViolation, match="moved no money"):
        resolve_exception(session, FINANCE, found.id, action="write_off", reason="close it")
