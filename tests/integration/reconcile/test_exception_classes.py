"""Every exception class, raised by the situation it names, once however often it is seen."""

from datetime import UTC, datetime, timedelta

from payments.clock import fixed_clock
from payments.reconcile.exceptions import list_exceptions
from payments.reconcile.runs import age_payouts, import_file, run_reconciliation
from tests.integration.reconcile.conftest import FINANCE
from tests.integration.reconcile.files import Booking, Status, camt, mt940, pain002


def _import(session_factory, data: bytes, name: str = "file"):
    return import_file(session_factory, adapter="bank", data=data, file_name=name, actor=FINANCE)


def _kinds(session) -> list[str]:
    return sorted(e.kind for e in list_exceptions(session))


def test_money_moved_that_we_did_not_instruct_is_unmatched_with_suggestions(
    session, session_factory, dispatched, today
):
    _, payouts = dispatched(2)
    stranger = Booking("VN999999XX-0000000001-01", payouts[0].amount_vnd, name="NGUYEN VAN A")
    report = _import(session_factory, camt([stranger], today))
    assert report["exceptions"]["UNMATCHED_CONFIRMATION"] == {"count": 1, "amount_vnd": payouts[0].amount_vnd}
    (found,) = list_exceptions(session, kind="UNMATCHED_CONFIRMATION")
    assert {s["payout_id"] for s in found.data["suggestions"]} == {p.id for p in payouts}
    assert "VN999999XX-0000000001-01" in found.detail
    assert {p.state for p in payouts} == {"accepted"}  # suggestions post nothing


def test_a_payout_in_flight_beyond_the_configured_age_is_unconfirmed_once(session, dispatched):
    dispatched(2)
    later = fixed_clock(datetime.now(UTC) + timedelta(days=4))
    assert age_payouts(session, older_than=timedelta(days=3), actor=FINANCE, clock=later) == 2
    assert age_payouts(session, older_than=timedelta(days=3), actor=FINANCE, clock=later) == 0
    assert age_payouts(session, older_than=timedelta(days=5), actor=FINANCE, clock=later) == 0
    assert _kinds(session) == ["UNCONFIRMED_PAYOUT"] * 2


def test_the_payout_key_with_another_amount_is_an_amount_mismatch_and_settles_nothing(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    _import(session_factory, camt([Booking(payout.payout_key, payout.amount_vnd - 1_000)], today))
    (found,) = list_exceptions(session, kind="AMOUNT_MISMATCH")
    assert found.payout_id == payout.id
    session.expire_all()
    assert payout.state == "accepted"


def test_a_second_booking_of_one_payout_is_a_duplicate_confirmation(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    booking = [Booking(payout.payout_key, payout.amount_vnd)]
    _import(session_factory, camt(booking, today), "day1.xml")
    report = _import(session_factory, camt(booking, today + timedelta(1), tag="b"), "day2.xml")
    assert report["exceptions"]["DUPLICATE_CONFIRMATION"]["count"] == 1
    assert report["posted_entries"] == 0


def test_a_prefix_that_fits_two_payouts_of_the_same_amount_is_ambiguous(
    session, session_factory, dispatched, today
):
    _, payouts = dispatched(2)
    # 16 characters name one payout; a bank that keeps fewer leaves a prefix two keys share.
    first, second = (p.payout_key for p in payouts)
    shared = next(n for n, (a, b) in enumerate(zip(first, second, strict=True)) if a != b)
    assert 8 <= shared < 16
    booking = Booking(payouts[0].payout_key, payouts[0].amount_vnd)
    data = mt940([booking], today, eref=False, kept=shared)
    _import(session_factory, data)
    (found,) = list_exceptions(session, kind="AMBIGUOUS")
    assert {c["payout_id"] for c in found.data["candidates"]} == {p.id for p in payouts}
    session.expire_all()
    assert {p.state for p in payouts} == {"accepted"}


def test_a_rejection_of_a_settled_payout_is_a_status_conflict_and_changes_nothing(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    _import(session_factory, camt([Booking(payout.payout_key, payout.amount_vnd)], today))
    report = _import(session_factory, pain002([Status(payout.payout_key, "RJCT", reason="AC04")]))
    assert report["exceptions"]["STATUS_CONFLICT"]["count"] == 1
    session.expire_all()
    assert payout.state == "settled"


def test_a_statement_whose_balances_do_not_tie_is_a_balance_break(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    data = camt([Booking(payout.payout_key, payout.amount_vnd)], today, closing_off_by=-5_000)
    report = _import(session_factory, data)
    (found,) = list_exceptions(session, kind="BALANCE_BREAK")
    assert found.data["check"] == "continuity"
    assert found.amount_vnd == -5_000
    assert report["exceptions"]["BALANCE_BREAK"]["count"] == 1


def test_a_statement_that_moves_more_than_the_ledger_is_a_balance_break(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    stranger = Booking("NOT-OURS-0001", 123_000)
    _import(session_factory, camt([Booking(payout.payout_key, payout.amount_vnd), stranger], today))
    (found,) = list_exceptions(session, kind="BALANCE_BREAK")
    assert found.data["check"] == "ledger"
    assert found.amount_vnd == -123_000
    assert not run_reconciliation(session_factory, actor=FINANCE)["tie_outs"]["holds"]
