"""Duplicate and malformed files change nothing; dry runs keep nothing; a crashed run resumes."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from payments.audit.model import AuditEvent
from payments.errors import InvalidInput
from payments.ledger.model import Entry
from payments.reconcile.ingest import DuplicateFile, stage_file
from payments.reconcile.model import ReconException, ReconImport, ReconLine, ReconRun
from payments.reconcile.report import render
from payments.reconcile.runs import Runner, import_file, run_reconciliation
from tests.integration.reconcile.conftest import FINANCE
from tests.integration.reconcile.files import Booking, camt, ewallet_csv, mt940

TABLES = (ReconImport, ReconLine, ReconException, ReconRun, Entry, AuditEvent)


def _counts(session) -> dict[str, int]:
    session.expire_all()
    return {t.__name__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def _import(session_factory, data: bytes, name: str = "file", **options):
    return import_file(session_factory, adapter="bank", data=data, file_name=name, actor=FINANCE, **options)


def test_the_same_file_twice_is_refused_and_changes_nothing(session, session_factory, dispatched, today):
    _, payouts = dispatched(2)
    data = camt([Booking(p.payout_key, p.amount_vnd) for p in payouts], today)
    _import(session_factory, data, "first.xml")
    before = _counts(session)
    with pytest.raises(DuplicateFile, match=r"first\.xml"):
        _import(session_factory, data, "again.xml")
    assert _counts(session) == before


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'><BkToCstmrStmt>", "line"),
        (
            camt([Booking("K1", 1000)], datetime(2024, 8, 1, tzinfo=UTC).date()).replace(
                b'<Amt Ccy="VND">1000</Amt>', b'<Amt Ccy="VND">ten</Amt>', 1
            ),
            "Ntry[1]/Amt",
        ),
        (b":20:X\n:25:ACC\n:60F:C240801VND1000,\n:61:garbage\n:62F:C240801VND1000,\n", "line 4"),
        (
            b"record_type,transaction_id,order_id,amount,direction,status,booked_at,error_code\n"
            b"OPENING,,,100,,,,\nENTRY,T1,K1,12.5,DBIT,SUCCESS,2024-08-01,\n",
            "line 3",
        ),
    ],
    ids=["camt-truncated", "camt-bad-amount", "mt940-bad-entry", "csv-bad-amount"],
)
def test_a_malformed_file_is_refused_saying_where_and_nothing_is_written(
    session, session_factory, dispatched, data, where
):
    dispatched(1)
    before = _counts(session)
    with pytest.raises(InvalidInput) as refused:
        _import(session_factory, data, "bad")
    assert where in str(refused.value)
    assert _counts(session) == before


def test_a_malformed_entry_after_good_ones_writes_none_of_them(session, session_factory, dispatched, today):
    _, payouts = dispatched(2)
    good = [Booking(p.payout_key, p.amount_vnd) for p in payouts]
    data = ewallet_csv(good, today).replace(b"CLOSING", b"CLOSED")
    before = _counts(session)
    with pytest.raises(InvalidInput, match="line 5"):
        _import(session_factory, data)
    assert _counts(session) == before
    session.expire_all()
    assert {p.state for p in payouts} == {"accepted"}


def test_a_dry_run_reports_what_would_happen_and_keeps_only_its_report(
    session, session_factory, dispatched, today
):
    _, payouts = dispatched(2)
    data = mt940([Booking(p.payout_key, p.amount_vnd) for p in payouts], today)
    before = _counts(session)
    report = _import(session_factory, data, dry_run=True)
    assert report["outcomes"]["settled"]["count"] == 2
    after = _counts(session)
    assert after.pop("ReconRun") == before.pop("ReconRun") + 1
    assert after.pop("AuditEvent") == before.pop("AuditEvent") + 1  # the run itself is audited
    assert after == before
    session.expire_all()
    assert {p.state for p in payouts} == {"accepted"}
    run = session.get(ReconRun, report["run"]["id"])
    assert run.dry_run
    assert run.report["outcomes"]["settled"]["count"] == 2
    _import(session_factory, data)  # the same file is still new: the dry run kept nothing of it


READINGS = 7  # the start, two chunks of one line (three readings each), then killed


def _import_with(runner: Runner, data: bytes) -> None:
    """What `import_file` does, with a runner the test made (here: one that gets killed)."""
    try:
        runner.start()
        row = stage_file(runner.session, adapter="bank", data=data, file_name="f", actor=FINANCE)
        runner.checkpoint()
        runner.process(row)
    finally:
        runner.close()


class CrashAfter:
    """A clock that fails on its n-th reading, as a process killed mid-run would stop."""

    def __init__(self, readings: int) -> None:
        self.left = readings

    def __call__(self) -> datetime:
        self.left -= 1
        if self.left < 0:
            raise RuntimeError("killed")
        return datetime.now(UTC)


def test_a_run_killed_between_chunks_resumes_and_posts_each_entry_once(
    session, session_factory, dispatched, today
):
    _, payouts = dispatched(4)
    data = camt([Booking(p.payout_key, p.amount_vnd) for p in payouts], today)
    runner = Runner(session_factory, "import", actor=FINANCE, clock=CrashAfter(READINGS), chunk=1)
    with pytest.raises(RuntimeError, match="killed"):
        _import_with(runner, data)
    session.expire_all()
    done = sorted(p.state for p in payouts)
    assert "accepted" in done
    assert "settled" in done  # killed part-way
    report = run_reconciliation(session_factory, actor=FINANCE)
    session.expire_all()
    assert {p.state for p in payouts} == {"settled"}
    assert report["tie_outs"]["holds"]
    settle_entries = session.scalar(
        select(func.count()).select_from(Entry).where(Entry.kind == "payout_settled")
    )
    assert settle_entries == 4


def test_a_report_renders_as_json_csv_and_a_readable_summary(session_factory, dispatched, today):
    _, payouts = dispatched(2)
    report = _import(session_factory, camt([Booking(p.payout_key, p.amount_vnd) for p in payouts], today))
    assert '"settled"' in render(report, "json")
    csv_text = render(report, "csv")
    assert "outcomes,settled,count,2" in csv_text
    assert "tie_out:bank,in_flight,holds,True" in csv_text
    text = render(report, "text")
    assert "Tie-outs: all hold" in text
    assert "settled" in text
    with pytest.raises(InvalidInput):
        render(report, "xml")
