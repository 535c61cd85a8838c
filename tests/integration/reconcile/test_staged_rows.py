"""Staged lines and matches are written through the database driver in bulk (executemany on
SQLite, COPY on PostgreSQL from 64 rows): they must read back exactly as they were given."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from payments.disbursements.approval import approve_batch
from payments.disbursements.repository import payouts_in
from payments.reconcile import bulk, repository
from payments.reconcile.lines import Line
from payments.reconcile.model import ReconImport, ReconMatch
from payments.reconcile.runs import import_file
from tests.integration.disbursements.conftest import SECOND_APPROVER, THRESHOLD
from tests.integration.reconcile.conftest import FINANCE
from tests.integration.reconcile.files import Booking, camt


def _import_row(session) -> ReconImport:
    row = ReconImport(
        adapter="bank", kind="camt.053", sha256="0" * 64, file_name="many.xml", size_bytes=0, line_count=0,
        state="staged", processed_through=0, booked_vnd=0, imported_by="finance.thu",
        imported_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def _line(n: int) -> Line:
    """Lines that differ in every optional field, so each column is checked both ways."""
    if n % 3 == 0:
        return Line(n, False, "rejected", None, None, None, payment_info_id=f"B7-2024-08/{n}", reason="AC04",
                    reason_text="Tài khoản đã đóng", batch_count=0)  # fmt: skip
    return Line(
        n, True, "settled" if n % 2 else "returned", 750_000 + n, "DBIT" if n % 2 else "CRDT",
        date(2024, 8, 21) + timedelta(days=n % 5), end_to_end_id=f"2408-{n:08d}-01-BTXH",
        instr_id=f"I{n}" if n % 4 == 1 else None, provider_tx_id=f"TX{n:010d}",
        account_servicer_ref=f"FT{n:012d}", reference=f"2408-{n:08d}"[:16], holder_name="NGUYỄN VĂN AN",
        line_no=n * 31,
    )  # fmt: skip


def test_many_staged_lines_read_back_as_they_were_given(session):
    row = _import_row(session)
    lines = [_line(n) for n in range(1, 101)]
    bulk.insert_lines(session, row.id, lines)
    read = repository.lines_after(session, row.id, 0, 1_000)
    assert [line for _, line in read] == lines
    assert repository.lines_after(session, row.id, 60, 5)[0][1] == lines[60]


def test_the_matches_of_a_large_statement_are_recorded_one_per_payout(
    session, session_factory, approved, dispatcher, today
):
    batch = approved(70)  # above the threshold: a second approver signs too
    seen = batch.manifest_hash
    approve_batch(session, SECOND_APPROVER, batch.id, manifest_seen=seen, comment="", threshold_vnd=THRESHOLD)
    session.commit()
    dispatcher().dispatch(batch.id)
    session.expire_all()
    payouts = payouts_in(session, batch.id)
    bookings = [Booking(p.payout_key, p.amount_vnd) for p in payouts]
    before = datetime.now(UTC)
    report = import_file(
        session_factory, adapter="bank", data=camt(bookings, today), file_name="many.xml", actor=FINANCE
    )
    assert report["outcomes"]["settled"]["count"] == 70
    matches = list(session.scalars(select(ReconMatch).order_by(ReconMatch.id)))
    assert [m.payout_id for m in matches] == [p.id for p in payouts]
    kinds = {(m.match_pass, m.outcome, m.movement, m.direction) for m in matches}
    assert kinds == {(1, "settled", True, "DBIT")}
    assert all(before <= m.created_at <= datetime.now(UTC) for m in matches)
