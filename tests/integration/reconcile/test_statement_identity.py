"""A statement is known by what the bank calls it, not only by its bytes: sent again with a new
message id, a new :20: or other line endings, it is refused as the same statement, naming the
earlier import, and nothing is written; a different statement of the same day is not."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from payments.ledger.model import Entry
from payments.reconcile.ingest import DuplicateStatement
from payments.reconcile.model import ReconException, ReconImport, ReconLine, ReconRun, ReconStatement
from payments.reconcile.runs import fetch_statements, import_file, reconcile_statement
from tests.integration.reconcile.conftest import FINANCE
from tests.integration.reconcile.files import Booking, camt, ewallet_csv, mt940

TABLES = (ReconImport, ReconStatement, ReconLine, ReconException, ReconRun, Entry)


def _counts(session) -> dict[str, int]:
    session.expire_all()
    return {t.__name__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def _import(session_factory, data: bytes, name: str):
    return import_file(session_factory, adapter="bank", data=data, file_name=name, actor=FINANCE)


def _resent_camt(bookings, day) -> tuple[bytes, bytes]:
    """The bank's first statement and the same statement sent again: new message id, new time."""
    first = camt(bookings, day)
    again = first.replace(b"MSG-", b"MSG-RESENT-").replace(b"T16:00:00", b"T18:30:00")
    assert again != first
    return first, again


@pytest.mark.parametrize("fmt", ["camt.053", "mt940", "csv"])
def test_a_statement_sent_again_as_other_bytes_is_refused_naming_the_first_import(
    session, session_factory, dispatched, today, fmt
):
    _, payouts = dispatched(2)
    bookings = [Booking(p.payout_key, p.amount_vnd) for p in payouts]
    first, again = {
        "camt.053": lambda: _resent_camt(bookings, today),
        "mt940": lambda: (mt940(bookings, today), mt940(bookings, today).replace(b":20:STMT", b":20:RESEND")),
        "csv": lambda: (ewallet_csv(bookings, today), ewallet_csv(bookings, today).replace(b"\n", b"\r\n")),
    }[fmt]()
    report = _import(session_factory, first, "morning")
    before = _counts(session)
    with pytest.raises(DuplicateStatement) as refused:
        _import(session_factory, again, "afternoon")
    message = str(refused.value)
    assert f"as import {report['imports'][0]['id']} (morning)" in message
    assert "needs a person" in message
    assert _counts(session) == before


def test_the_account_number_in_the_refusal_is_masked(session_factory, dispatched, today):
    dispatched(1)
    first, again = _resent_camt([Booking("NOT-OURS-0005", 1_000)], today)
    _import(session_factory, first, "a.xml")
    with pytest.raises(DuplicateStatement) as refused:
        _import(session_factory, again, "b.xml")
    assert "0071000123456" not in str(refused.value)
    assert "**********456" in str(refused.value)


def test_another_statement_of_the_same_day_and_a_notification_are_not_the_same_statement(
    session, session_factory, dispatched, today
):
    _, (first, second) = dispatched(2)
    _import(
        session_factory, camt([Booking(first.payout_key, first.amount_vnd)], today, kind="camt.054"), "ntf"
    )
    _import(session_factory, camt([Booking(first.payout_key, first.amount_vnd)], today), "eod")
    _import(session_factory, camt([Booking(second.payout_key, second.amount_vnd)], today, tag="b"), "eod-2")
    identities = session.scalars(select(ReconStatement.identity).order_by(ReconStatement.id)).all()
    assert len(identities) == 3


def test_a_fetched_statement_that_changed_since_is_not_staged_again(
    session, session_factory, dispatched, sandbox, today
):
    _, (first, _) = dispatched(2)
    reconcile_statement(session_factory, "bank", sandbox.fetch_statement(today), actor=FINANCE)
    sandbox.return_payout(first.payout_key)  # the provider's statement for the day now reads differently
    with pytest.raises(DuplicateStatement, match="already imported"):
        reconcile_statement(session_factory, "bank", sandbox.fetch_statement(today), actor=FINANCE)
    counts = fetch_statements(
        session_factory, {"bank": sandbox}, [today, today + timedelta(1)], actor=FINANCE
    )
    assert counts == {"fetched": 1, "already_imported": 0, "changed": 1, "unavailable": 0}
