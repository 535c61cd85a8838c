"""A large file is read in a helper process while staging runs: the same lines, the same
errors (element path and line), nothing written on a bad file, and no helper left behind."""

import os
import pickle
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from payments import aside
from payments.adapters.iso20022.xmlsafe import MalformedMessage, WrongMessage
from payments.errors import Conflict
from payments.reconcile import reading
from payments.reconcile.csv_reports import MalformedCsv
from payments.reconcile.ingest import DuplicateFile
from payments.reconcile.lines import Line
from payments.reconcile.model import ReconImport, ReconLine
from payments.reconcile.mt940 import MalformedMT940
from payments.reconcile.reading import file_items
from payments.reconcile.runs import import_file
from payments.reconcile.sources import read_lines
from tests.integration.reconcile.conftest import FINANCE
from tests.integration.reconcile.files import Booking, Status, camt, ewallet_csv, mt940, pain002


@pytest.fixture
def read_aside(monkeypatch):
    """Every file, however small, is read in a helper process."""
    monkeypatch.setattr(reading, "READ_ASIDE_FROM_BYTES", 0)
    monkeypatch.setattr(reading, "BATCH", 2)  # several messages even for a few lines


def _files(today) -> dict[str, tuple[str, bytes]]:
    bookings = [
        Booking("K-1", 750_000),
        Booking("K-2", 500_000, instr_id="I-2", tx_id="T-2", name="TRAN THI BINH"),
        Booking("K-3", 500_000, "CRDT", reason="AC04"),
        Booking(None, 1_250_000, block="BLOCK-1", count=2),
        Booking("K-5", 300_000, day=today + timedelta(1)),
    ]
    return {
        "camt.053": ("camt.053", camt(bookings, today)),
        "camt.054": ("camt.054", camt(bookings[:2], today, kind="camt.054")),
        "pain.002": ("pain.002", pain002([Status("K-1", "ACSC"), Status("K-2", "RJCT", reason="AC01")])),
        "mt940": ("mt940", mt940(bookings[:3], today)),
        "csv": ("csv", ewallet_csv(bookings[:3], today)),
    }


@pytest.mark.parametrize("name", ["camt.053", "camt.054", "pain.002", "mt940", "csv"])
def test_a_file_read_aside_gives_the_same_items_in_the_same_order(tmp_path, read_aside, today, name):
    kind, data = _files(today)[name]
    path = tmp_path / "file"
    path.write_bytes(data)
    with file_items(kind, path, "bank") as items:
        assert items.helper is not None, "the file should be read in a helper process"
        read = list(items)
    assert read == list(read_lines(kind, data, "bank"))
    assert len(read) >= 2


TRUNCATED_CAMT = b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'><BkToCstmrStmt>"
BAD_MT940 = b":20:X\n:25:ACC\n:60F:C240801VND1000,\n:61:garbage\n:62F:C240801VND1000,\n"
BAD_CSV = (
    b"record_type,transaction_id,order_id,amount,direction,status,booked_at,error_code\n"
    b"OPENING,,,100,,,,\nENTRY,T1,K1,12.5,DBIT,SUCCESS,2024-08-01,\n"
)


@pytest.mark.parametrize(
    ("kind", "data", "error", "where"),
    [
        ("camt.053", TRUNCATED_CAMT, MalformedMessage, "line"),
        ("mt940", BAD_MT940, MalformedMT940, "line 4"),
        ("csv", BAD_CSV, MalformedCsv, "line 3"),
    ],
    ids=["camt-truncated", "mt940-bad-entry", "csv-bad-amount"],
)
def test_an_error_met_aside_arrives_whole(tmp_path, read_aside, kind, data, error, where):
    path = tmp_path / "bad"
    path.write_bytes(data)
    with pytest.raises(error) as in_process:
        list(read_lines(kind, data, "bank"))
    with file_items(kind, path, "bank") as items, pytest.raises(error) as met:
        list(items)
    assert where in met.value.detail
    assert (met.value.detail, met.value.extra) == (in_process.value.detail, in_process.value.extra)
    assert items.helper.returncode == 0  # it reported the error and finished


def test_a_camt_bad_in_its_last_entry_is_refused_naming_it_and_nothing_is_written(
    session, session_factory, dispatched, tmp_path, read_aside, today
):
    _, payouts = dispatched(3)
    data = camt([Booking(p.payout_key, p.amount_vnd) for p in payouts], today)
    last = data.rsplit(b'<Amt Ccy="VND">', 1)
    path = tmp_path / "stmt.xml"
    path.write_bytes(last[0] + b'<Amt Ccy="VND">' + last[1].replace(b"</Amt>", b".5</Amt>", 1))
    with pytest.raises(MalformedMessage, match=r"Ntry\[3\]/.*Amt \(line \d+\): \d+\.5 has a fraction"):
        import_file(session_factory, adapter="bank", data=path, file_name="stmt.xml", actor=FINANCE)
    assert session.scalar(select(func.count()).select_from(ReconImport)) == 0
    assert session.scalar(select(func.count()).select_from(ReconLine)) == 0
    session.expire_all()
    assert {p.state for p in payouts} == {"accepted"}


def test_a_statement_read_aside_settles_its_payouts(
    session, session_factory, dispatched, tmp_path, read_aside, today
):
    _, payouts = dispatched(3)
    path = tmp_path / "stmt.xml"
    path.write_bytes(camt([Booking(p.payout_key, p.amount_vnd) for p in payouts], today))
    report = import_file(session_factory, adapter="bank", data=path, file_name="stmt.xml", actor=FINANCE)
    assert report["outcomes"]["settled"]["count"] == 3
    assert report["tie_outs"]["holds"]


def _statement(tmp_path, today, count: int):
    path = tmp_path / "stmt.xml"
    path.write_bytes(camt([Booking(f"K-{n}", 1_000) for n in range(1, count + 1)], today))
    return path


def test_a_reader_left_early_is_ended(tmp_path, read_aside, today):
    with file_items("camt.053", _statement(tmp_path, today, 2_000), "bank") as items:
        next(items)
        assert items.helper.poll() is None  # still reading when the caller leaves
    assert items.helper.returncode == -signal.SIGKILL


def test_a_reader_killed_mid_message_is_reported_not_taken_for_the_end_of_the_file(
    tmp_path, read_aside, monkeypatch, today
):
    monkeypatch.setattr(reading, "BATCH", 2_000)  # a message is then larger than a pipe holds
    with file_items("camt.053", _statement(tmp_path, today, 5_000), "bank") as items:
        next(items)
        time.sleep(0.5)  # the helper is blocked half-way through writing its second batch
        items.helper.kill()
        with pytest.raises(aside.HelperFailed, match="stopped"):
            list(items)


def test_a_reader_that_hangs_is_given_up_on_and_ended(tmp_path, read_aside, monkeypatch, today):
    monkeypatch.setattr(aside, "STALL_SECONDS", 1.0)
    with file_items("camt.053", _statement(tmp_path, today, 5_000), "bank") as items:
        next(items)
        os.kill(items.helper.pid, signal.SIGSTOP)
        with pytest.raises(aside.HelperFailed, match="sent nothing for 1 s"):
            list(items)
    assert items.helper.returncode == -signal.SIGKILL


def test_a_reader_gone_before_it_is_asked_is_reported_with_its_exit_code(
    tmp_path, read_aside, monkeypatch, today
):
    def gone_helper():
        command = [sys.executable, "-c", "import sys; sys.exit(3)"]
        helper = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        helper.wait()  # exited before the request is written to it: a broken pipe
        return helper

    monkeypatch.setattr(aside, "start_helper", gone_helper)
    path = _statement(tmp_path, today, 3)
    failed = pytest.raises(aside.HelperFailed, match=r"stopped unexpectedly \(exit 3\)")
    with file_items("camt.053", path, "bank") as items, failed:
        next(items)


def test_the_reader_runs_this_package_whatever_lies_in_the_working_directory(
    tmp_path, read_aside, monkeypatch, today
):
    decoy = tmp_path / "elsewhere" / "payments" / "reconcile"
    decoy.mkdir(parents=True)
    for folder in (decoy, decoy.parent):
        (folder / "__init__.py").write_text("")
    (decoy / "reading.py").write_text("raise SystemExit(0)  # an old copy that reads nothing\n")
    (decoy.parent / "aside.py").write_text("raise SystemExit(0)  # an old copy that runs nothing\n")
    monkeypatch.chdir(decoy.parent.parent)
    with file_items("camt.053", _statement(tmp_path, today, 3), "bank") as items:
        assert len([item for item in items if isinstance(item, Line)]) == 3


def test_a_duplicate_large_file_is_refused_and_changes_nothing(
    session, session_factory, dispatched, tmp_path, read_aside, today
):
    _, payouts = dispatched(2)
    path = tmp_path / "stmt.xml"
    path.write_bytes(camt([Booking(p.payout_key, p.amount_vnd) for p in payouts], today))
    import_file(session_factory, adapter="bank", data=path, file_name="first.xml", actor=FINANCE)
    before = [session.scalar(select(func.count()).select_from(t)) for t in (ReconImport, ReconLine)]
    with pytest.raises(DuplicateFile, match=r"first\.xml"):
        import_file(session_factory, adapter="bank", data=path, file_name="again.xml", actor=FINANCE)
    assert [session.scalar(select(func.count()).select_from(t)) for t in (ReconImport, ReconLine)] == before


@pytest.mark.parametrize(
    "error",
    [
        MalformedMessage("12.5 has a fraction of a đồng", "/Document/Ntry[3]/Amt", 40, "stmt.xml"),
        MalformedMT940("no :62F: closing balance", 12),
        MalformedCsv("12.5 is not a whole number of đồng", 3),
        WrongMessage("this is not a camt.053 or camt.054 message (pain.001.001.09)", "/Document", 2),
        DuplicateFile("stmt.xml: the same file was imported on 2024-08-21 10:00", import_id=4),
        Conflict("idempotency key 'k' was already used", idempotency_key="k", seq=7),
    ],
)
def test_business_errors_survive_pickling_whole(error):
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (str(copy), copy.detail, copy.extra, copy.args) == (
        str(error),
        error.detail,
        error.extra,
        error.args,
    )
    assert vars(copy) == vars(error)
