"""Money the ledger says was paid that no statement shows leaving the account.

A payout the provider reported settled (a pain.002 ACSC here) is credited to the settlement
account at once; the bank books it the same or the next business day. Once the adapter's
statements cover the days after its settlement past the grace
(`tieouts.STATEMENT_GRACE_BUSINESS_DAYS`) and none of their lines booked it, the settlement
tie-out no longer holds and finance gets one BALANCE_BREAK per such payout. Before the grace
runs out, or with no statements to compare with, it is timing and nothing is raised.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.adapters.sandbox.script import Outcome
from payments.clock import fixed_clock, local_date
from payments.disbursements.repository import payouts_in
from payments.errors import RuleViolation
from payments.reconcile.exceptions import history, list_exceptions
from payments.reconcile.report import render
from payments.reconcile.resolutions import resolve_exception
from payments.reconcile.runs import import_file, run_reconciliation
from payments.reconcile.tieouts import STATEMENT_GRACE_BUSINESS_DAYS, due_day, tie_outs
from tests.integration.reconcile.conftest import FINANCE, SECOND_FINANCE
from tests.integration.reconcile.files import Booking, Status, camt, pain002

MONDAY = date(2026, 11, 23)
FRIDAY = MONDAY - timedelta(days=3)
TUESDAY, WEDNESDAY, THURSDAY = (MONDAY + timedelta(days=n) for n in (1, 2, 3))
CHECK = "settled_not_on_statement"


def _import(session_factory, data: bytes, name: str, **options):
    return import_file(session_factory, adapter="bank", data=data, file_name=name, actor=FINANCE, **options)


def _settle_by_status_report(session, session_factory, payouts, day: date) -> None:
    """The provider's pain.002 says ACSC for each payout; the ledger dates it `day` (Vietnam)."""
    morning = fixed_clock(datetime.combine(day, time(3), tzinfo=UTC))  # 10:00 in Vietnam
    data = pain002([Status(p.payout_key, "ACSC") for p in payouts], tag=f"{day:%m%d}")
    _import(session_factory, data, f"pain002-{day}.xml", clock=morning)
    session.expire_all()
    assert {p.state for p in payouts} == {"settled"}


def _statements(session_factory, days, shown=()) -> dict:
    """A camt.053 for each day; the first books `shown`. Returns the last import's report."""
    report = {}
    for n, day in enumerate(days):
        bookings = [Booking(p.payout_key, p.amount_vnd) for p in shown] if n == 0 else []
        report = _import(session_factory, camt(bookings, day, tag=f"s{day:%d}"), f"camt053-{day}.xml")
    return report


def _breaks(session) -> list:
    return [e for e in list_exceptions(session, kind="BALANCE_BREAK") if e.data.get("check") == CHECK]


def test_a_payout_is_due_on_a_statement_two_business_days_after_it_settled():
    assert STATEMENT_GRACE_BUSINESS_DAYS == 2
    assert (MONDAY.weekday(), FRIDAY.weekday()) == (0, 4)
    assert due_day(MONDAY) == WEDNESDAY
    assert due_day(FRIDAY) == TUESDAY  # the weekend does not count
    assert due_day(FRIDAY + timedelta(days=1)) == TUESDAY  # a callback on a Saturday


def test_settled_payouts_no_statement_shows_past_the_grace_break_the_tie_out_and_are_named(
    session, session_factory, dispatched
):
    _, payouts = dispatched(3)
    _settle_by_status_report(session, session_factory, payouts, MONDAY)
    report = _statements(session_factory, [MONDAY, TUESDAY, WEDNESDAY, THURSDAY], shown=payouts[:1])
    missing = sorted(payouts[1:], key=lambda p: p.id)
    settlement = report["tie_outs"]["adapters"]["bank"]["settlement"]
    assert not report["tie_outs"]["holds"]
    assert not settlement["holds"]
    assert settlement["statement_movement_vnd"] == settlement["ledger_movement_vnd"]  # booked lines tie
    unseen = settlement["not_on_statements"]
    assert unseen["count"] == 2
    assert unseen["amount_vnd"] == sum(p.amount_vnd for p in missing) == 1_500_000
    assert unseen["grace_business_days"] == STATEMENT_GRACE_BUSINESS_DAYS
    assert unseen["payouts"] == [
        {"payout_key": p.payout_key, "amount_vnd": p.amount_vnd, "settled_on": MONDAY.isoformat()}
        for p in missing
    ]
    assert report["exceptions"]["BALANCE_BREAK"] == {"count": 2, "amount_vnd": 1_500_000}
    text = render(report, "text")
    assert "Tie-outs: BROKEN" in text
    assert all(p.payout_key in text for p in missing)
    assert "1,500,000" in text


def test_one_exception_per_payout_says_what_finance_needs_to_act(session, session_factory, dispatched):
    _, payouts = dispatched(3)
    _settle_by_status_report(session, session_factory, payouts, MONDAY)
    _statements(session_factory, [MONDAY, TUESDAY, WEDNESDAY, THURSDAY], shown=payouts[:1])
    found = sorted(_breaks(session), key=lambda e: e.payout_id)
    assert [e.payout_id for e in found] == sorted(p.id for p in payouts[1:])
    for exception, payout in zip(found, sorted(payouts[1:], key=lambda p: p.id), strict=True):
        assert exception.state == "open"
        assert exception.adapter == "bank"
        assert exception.amount_vnd == payout.amount_vnd
        assert exception.fingerprint == f"BALANCE_BREAK:payout:{payout.id}:not_on_statement"
        for words in (payout.payout_key, "750,000 VND", f"settled on {MONDAY}", "pain.002", f"{THURSDAY}"):
            assert words in exception.detail, exception.detail
        assert exception.data["settled_on"] == MONDAY.isoformat()
        assert exception.data["news"]["kind"] == "pain.002"
        assert exception.data["statement_days"] == [MONDAY.isoformat(), THURSDAY.isoformat()]
        assert exception.data["missing_business_days"] == []


def test_a_second_run_raises_nothing_new(session, session_factory, dispatched):
    _, payouts = dispatched(2)
    _settle_by_status_report(session, session_factory, payouts, MONDAY)
    _statements(session_factory, [MONDAY, TUESDAY, WEDNESDAY, THURSDAY])
    assert len(_breaks(session)) == 2
    again = run_reconciliation(session_factory, actor=FINANCE)
    assert again["exceptions"] == {}
    assert len(_breaks(session)) == 2
    assert again["tie_outs"]["adapters"]["bank"]["settlement"]["not_on_statements"]["count"] == 2
    assert not again["tie_outs"]["holds"]


def test_a_payout_the_provider_settled_when_it_was_sent_names_that_answer(
    session, session_factory, approved, dispatcher
):
    batch = approved(1)
    dispatcher(adapter=SandboxAdapter("bank", default=Outcome("settle"))).dispatch(batch.id)
    session.expire_all()
    (payout,) = payouts_in(session, batch.id)
    settled_on = local_date(datetime.now(UTC))  # the ledger dates it the dispatch day
    _statements(session_factory, [settled_on, due_day(settled_on) + timedelta(days=1)])
    (found,) = _breaks(session)
    assert found.payout_id == payout.id
    assert found.data["news"] == {"kind": "answer", "file_name": None}
    assert "the provider's answer to its send or status query" in found.detail


def test_within_the_grace_it_is_timing_nothing_is_raised_and_the_tie_out_holds(
    session, session_factory, dispatched
):
    _, payouts = dispatched(2)
    _settle_by_status_report(session, session_factory, payouts, MONDAY)
    report = _statements(session_factory, [MONDAY, TUESDAY, WEDNESDAY])
    bank = report["tie_outs"]["adapters"]["bank"]
    assert report["tie_outs"]["holds"]
    assert bank["settlement"]["not_on_statements"]["count"] == 0
    assert bank["three_way"]["settled_not_yet_on_statement"] == 2
    assert _breaks(session) == []


def test_the_grace_counts_business_days_so_a_weekend_is_not_a_break(session, session_factory, dispatched):
    _, payouts = dispatched(1)
    _settle_by_status_report(session, session_factory, payouts, FRIDAY)
    report = _statements(session_factory, [FRIDAY, MONDAY, TUESDAY])  # the bank books nothing on weekends
    assert report["tie_outs"]["holds"]
    assert _breaks(session) == []
    report = _statements(session_factory, [WEDNESDAY])
    assert not report["tie_outs"]["holds"]
    (found,) = _breaks(session)
    assert found.payout_id == payouts[0].id


def test_a_payout_a_later_statement_books_is_no_break(session, session_factory, dispatched):
    _, payouts = dispatched(2)
    _settle_by_status_report(session, session_factory, payouts, MONDAY)
    _statements(session_factory, [MONDAY], shown=payouts[:1])
    _statements(session_factory, [TUESDAY], shown=payouts[1:])  # booked the next day
    report = _statements(session_factory, [WEDNESDAY, THURSDAY])
    assert report["tie_outs"]["holds"]
    assert report["tie_outs"]["adapters"]["bank"]["three_way"]["settled_not_yet_on_statement"] == 0
    assert _breaks(session) == []


def test_an_adapter_without_statements_is_never_flagged(session, session_factory, dispatched):
    _, payouts = dispatched(2)
    _settle_by_status_report(session, session_factory, payouts, MONDAY)
    # a notification (no balances) is not a statement: it does not say what did not happen
    _import(session_factory, camt([], THURSDAY + timedelta(days=7), kind="camt.054", tag="n"), "camt054.xml")
    # another adapter's statements say nothing about this one's payouts
    other = camt([], THURSDAY + timedelta(days=7), tag="other")
    report = import_file(session_factory, adapter="wallet", data=other, file_name="wallet.xml", actor=FINANCE)
    assert report["tie_outs"]["holds"]
    assert report["tie_outs"]["adapters"]["bank"]["settlement"]["not_on_statements"]["count"] == 0
    assert _breaks(session) == []


def test_statements_that_begin_after_the_settlement_day_do_not_flag_it(session, session_factory, dispatched):
    _, payouts = dispatched(1)
    _settle_by_status_report(session, session_factory, payouts, MONDAY)
    # nothing to compare with: the bank may have booked it on Monday, a day no statement covers
    report = _statements(session_factory, [TUESDAY, WEDNESDAY, THURSDAY, THURSDAY + timedelta(days=1)])
    assert report["tie_outs"]["holds"]
    assert _breaks(session) == []


def test_the_missing_statement_day_is_named_and_importing_it_resolves_the_exception(
    session, session_factory, dispatched
):
    _, payouts = dispatched(1)
    _settle_by_status_report(session, session_factory, payouts, MONDAY)
    _statements(session_factory, [MONDAY, WEDNESDAY, THURSDAY])  # Tuesday's statement is not in
    (found,) = _breaks(session)
    assert found.data["missing_business_days"] == [TUESDAY.isoformat()]
    assert f"none imported for {TUESDAY}" in found.detail
    report = _statements(session_factory, [TUESDAY], shown=payouts)  # the bank booked it on Tuesday
    assert report["tie_outs"]["holds"]
    session.expire_all()
    assert found.state == "resolved"
    assert found.resolution == "acknowledge"
    events = history(session, found.id)
    assert [e.action for e in events] == ["raised", "resolved"]
    assert f"camt053-{TUESDAY}.xml" in (events[-1].note or "")
    assert payouts[0].payout_key in (events[-1].note or "")


def test_finance_resolves_it_with_a_note_and_it_is_not_raised_again(session, session_factory, dispatched):
    _, payouts = dispatched(1)
    _settle_by_status_report(session, session_factory, payouts, MONDAY)
    _statements(session_factory, [MONDAY, TUESDAY, WEDNESDAY, THURSDAY])
    (found,) = _breaks(session)
    with pytest.raises(RuleViolation):  # nothing was booked: there is no line to write off
        resolve_exception(session, FINANCE, found.id, action="write_off", reason="lost")
    note = "the bank confirms it paid on Tuesday; its corrected statement follows"
    resolve_exception(session, SECOND_FINANCE, found.id, action="acknowledge", reason=note)
    session.commit()
    again = run_reconciliation(session_factory, actor=FINANCE)
    assert again["exceptions"] == {}
    session.expire_all()
    assert found.state == "resolved"
    assert found.resolution_reason == note
    assert [e.action for e in history(session, found.id)] == ["raised", "resolved"]
    # the money is still on no statement: the tie-out says so until one shows it
    assert not again["tie_outs"]["holds"]


def test_a_dry_run_reports_the_break_and_keeps_no_exception(session, session_factory, dispatched):
    _, payouts = dispatched(1)
    _settle_by_status_report(session, session_factory, payouts, MONDAY)
    _statements(session_factory, [MONDAY, TUESDAY, WEDNESDAY])
    report = _import(session_factory, camt([], THURSDAY, tag="dry"), "thursday.xml", dry_run=True)
    assert report["exceptions"]["BALANCE_BREAK"]["count"] == 1
    assert not report["tie_outs"]["holds"]
    assert _breaks(session) == []
    assert tie_outs(session)["holds"]
