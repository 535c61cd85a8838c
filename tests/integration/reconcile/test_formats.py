"""Each file format settles or returns payouts through the same outcomes, and ties out."""

from datetime import timedelta

from payments.ledger import accounts
from payments.ledger.services import balance
from payments.reconcile.exceptions import list_exceptions
from payments.reconcile.runs import import_file
from tests.integration.reconcile.conftest import FINANCE
from tests.integration.reconcile.files import Booking, Status, camt, ewallet_csv, mt940, pain002


def _import(session_factory, data: bytes, name: str = "file", **options):
    return import_file(session_factory, adapter="bank", data=data, file_name=name, actor=FINANCE, **options)


def _states(session, payouts) -> list[str]:
    session.expire_all()
    return [p.state for p in payouts]


def test_a_camt053_settles_the_payouts_it_books_and_ties_out(session, session_factory, dispatched, today):
    batch, payouts = dispatched(3)
    bookings = [Booking(p.payout_key, p.amount_vnd) for p in payouts]
    report = _import(session_factory, camt(bookings, today), "stmt.xml")
    assert _states(session, payouts) == ["settled"] * 3
    assert report["imports"][0]["kind"] == "camt.053"
    assert report["outcomes"]["settled"]["amount_vnd"] == batch.total_vnd
    assert report["tie_outs"]["holds"]
    assert balance(session, accounts.settlement("bank")) == -batch.total_vnd


def test_a_camt054_return_after_settlement_restores_payable_and_raises_an_exception(
    session, session_factory, dispatched, today
):
    _, payouts = dispatched(2)
    _import(session_factory, camt([Booking(p.payout_key, p.amount_vnd) for p in payouts], today), "eod.xml")
    back = payouts[0]
    notice = camt(
        [Booking(back.payout_key, back.amount_vnd, "CRDT", reason="AC04")],
        today + timedelta(1),
        kind="camt.054",
    )
    report = _import(session_factory, notice, "ntf.xml")
    assert _states(session, payouts) == ["returned", "settled"]
    assert back.reason_code == "AC04"
    assert -balance(session, accounts.payable(back.beneficiary_id)) == back.amount_vnd
    assert report["exceptions"]["RETURNED_AFTER_SETTLEMENT"]["count"] == 1
    (found,) = list_exceptions(session, kind="RETURNED_AFTER_SETTLEMENT")
    assert found.payout_id == back.id


def test_the_statement_that_repeats_a_notified_booking_is_not_a_duplicate(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    booking = [Booking(payout.payout_key, payout.amount_vnd)]
    _import(session_factory, camt(booking, today, kind="camt.054"), "ntf.xml")
    report = _import(session_factory, camt(booking, today), "eod.xml")
    assert report["outcomes"] == {"confirmed": {"count": 1, "amount_vnd": payout.amount_vnd}}
    assert report["exceptions"] == {}


def test_a_pain002_settles_accepted_rejects_with_its_reason_and_notes_pending(
    session, session_factory, dispatched
):
    _, payouts = dispatched(3)
    statuses = [
        Status(payouts[0].payout_key, "ACSC"),
        Status(payouts[1].payout_key, "RJCT", reason="AC01"),
        Status(payouts[2].payout_key, "PDNG"),
    ]
    report = _import(session_factory, pain002(statuses), "psr.xml")
    assert _states(session, payouts) == ["settled", "rejected", "accepted"]
    assert payouts[1].reason_code == "AC01"
    assert -balance(session, accounts.payable(payouts[1].beneficiary_id)) == payouts[1].amount_vnd
    assert set(report["outcomes"]) == {"settled", "rejected", "noted"}
    assert report["tie_outs"]["adapters"]["bank"]["in_flight"]["holds"]


def test_an_mt940_settles_by_the_whole_key_in_its_narrative(session, session_factory, dispatched, today):
    _, payouts = dispatched(2)
    data = mt940([Booking(p.payout_key, p.amount_vnd) for p in payouts], today)
    report = _import(session_factory, data, "stmt.sta")
    assert report["imports"][0]["kind"] == "mt940"
    assert _states(session, payouts) == ["settled", "settled"]
    assert report["tie_outs"]["holds"]


def test_an_mt940_without_the_whole_key_matches_by_its_16_character_prefix_when_one_payout_fits(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    report = _import(
        session_factory, mt940([Booking(payout.payout_key, payout.amount_vnd)], today, eref=False)
    )
    assert _states(session, [payout]) == ["settled"]
    assert report["outcomes"]["settled"]["count"] == 1


def test_16_characters_of_the_key_tell_apart_payouts_of_one_amount(
    session, session_factory, dispatched, today
):
    _, payouts = dispatched(3)
    assert len({p.amount_vnd for p in payouts}) == 1
    bookings = [Booking(p.payout_key, p.amount_vnd) for p in payouts]
    report = _import(session_factory, mt940(bookings, today, eref=False))
    assert _states(session, payouts) == ["settled"] * 3
    assert report["exceptions"] == {}


def test_an_ewallet_csv_report_settles_through_its_column_mapping(
    session, session_factory, dispatched, today
):
    _, payouts = dispatched(2)
    report = _import(
        session_factory, ewallet_csv([Booking(p.payout_key, p.amount_vnd) for p in payouts], today)
    )
    assert report["imports"][0]["kind"] == "csv"
    assert _states(session, payouts) == ["settled", "settled"]
    assert report["tie_outs"]["holds"]


def test_one_batch_booking_settles_the_block_its_status_report_listed(
    session, session_factory, dispatched, today
):
    batch, payouts = dispatched(3)
    _import(
        session_factory, pain002([Status(p.payout_key, "ACSP", block="PMT-7") for p in payouts]), "psr.xml"
    )
    booking = Booking(None, batch.total_vnd, block="PMT-7", count=3)
    report = _import(session_factory, camt([booking], today), "eod.xml")
    assert _states(session, payouts) == ["settled"] * 3
    assert report["outcomes"]["settled"] == {"count": 3, "amount_vnd": batch.total_vnd}
    assert report["tie_outs"]["holds"]


def test_a_batch_booking_without_a_known_block_matches_the_one_block_whose_control_sum_it_equals(
    session, session_factory, dispatched, today
):
    batch, payouts = dispatched(2)
    _import(
        session_factory, pain002([Status(p.payout_key, "ACSP", block="PMT-9") for p in payouts]), "psr.xml"
    )
    other = Booking(None, batch.total_vnd, block="UNKNOWN-BLOCK", count=2)
    _import(session_factory, camt([other], today), "eod.xml")
    assert _states(session, payouts) == ["settled", "settled"]
