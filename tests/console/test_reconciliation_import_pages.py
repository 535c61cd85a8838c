"""Finance staff import a statement file and assign exceptions from the console; a refused
file (the same file again, a statement already imported, a malformed one) writes nothing."""

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from payments.audit.model import AuditEvent
from payments.disbursements.model import Payout
from payments.reconcile import exceptions
from payments.reconcile.model import ReconException, ReconImport, ReconRun
from tests.console.support import make_user, post_form, sign_in
from tests.integration.reconcile.files import Booking, camt

IMPORT = "/console/reconciliation/import"
DAY = date(2024, 8, 6)
STRANGER = 120_000  # a debit on our account that no payout explains


@pytest.fixture
def statement(session, paid_batch) -> bytes:
    """A camt.053 booking the paid July batch's two payouts and one debit we never instructed."""
    keys = session.scalars(select(Payout.payout_key).where(Payout.batch_id == paid_batch.id)).all()
    return camt([Booking(key, 750_000) for key in keys] + [Booking(None, STRANGER)], DAY)


def _upload(client, data: bytes, name: str = "camt053-20240806.xml", **fields: str):
    fields.setdefault("adapter", "sandbox")
    return post_form(client, IMPORT, IMPORT, file=(io.BytesIO(data), name), **fields)


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def _flash_error(page: str) -> str:
    return page.split('class="flash error"')[1].split("</p>", maxsplit=1)[0]


# --- importing -----------------------------------------------------------------------------


def test_finance_imports_a_statement_and_sees_the_files_result(signed_in, session, statement):
    client = signed_in("finance")
    assert 'id="import-link"' in client.get("/console/reconciliation").text

    response = _upload(client, statement)

    run = session.scalar(select(ReconRun).order_by(ReconRun.id.desc()))
    assert response.headers["Location"].endswith(f"/console/reconciliation/runs/{run.id}")
    page = client.get(f"/console/reconciliation/runs/{run.id}").text
    assert "Đã nhập camt053-20240806.xml: đọc 3 dòng" in page
    files = page.split('id="run-files"')[1].split("</table>")[0]
    assert "camt053-20240806.xml" in files
    assert "camt.053" in files
    raised = page.split('id="run-exceptions"')[1].split("</table>")[0]
    assert "xác nhận không khớp khoản chi nào" in raised
    assert "120.000 ₫" in raised
    (imported,) = session.scalars(select(ReconImport).where(ReconImport.kind == "camt.053"))
    assert (imported.file_name, imported.imported_by) == ("camt053-20240806.xml", run.started_by)
    assert session.scalar(select(ReconException.kind).where(ReconException.amount_vnd == STRANGER)) == (
        "UNMATCHED_CONFIRMATION"
    )


def test_a_dry_run_reports_and_keeps_nothing_but_its_report(signed_in, session, statement):
    client = signed_in("finance")
    response = _upload(client, statement, dry_run="1")
    run = session.scalar(select(ReconRun).order_by(ReconRun.id.desc()))
    assert run.dry_run
    page = client.get(response.headers["Location"]).text
    assert "Chạy thử camt053-20240806.xml: đọc 3 dòng, sẽ phát sinh" in page
    assert "xác nhận không khớp khoản chi nào" in page.split('id="run-exceptions"')[1]
    assert _count(session, ReconImport) == 0
    assert _count(session, ReconException) == 0
    _upload(client, statement)  # not a duplicate: the dry run kept no import
    assert _count(session, ReconImport) == 1


def test_the_same_file_twice_is_refused_with_the_earlier_import_named(signed_in, session, statement):
    client = signed_in("finance")
    _upload(client, statement)
    runs_before, events_before = _count(session, ReconRun), _count(session, AuditEvent)

    response = _upload(client, statement, "again.xml")

    assert response.headers["Location"].endswith(IMPORT)
    problem = _flash_error(client.get(IMPORT).text)
    assert "Tệp không được nhập và không có gì được ghi" in problem
    assert "the same file was imported" in problem
    assert (_count(session, ReconImport), _count(session, ReconRun)) == (1, runs_before)
    assert _count(session, AuditEvent) == events_before


def test_a_statement_already_imported_from_other_bytes_is_refused(signed_in, session, statement):
    client = signed_in("finance")
    _upload(client, statement)
    resent = statement.replace(b"2024-08-06T16:00:00Z", b"2024-08-06T17:00:00Z")
    assert resent != statement

    _upload(client, resent, "resent.xml")

    problem = _flash_error(client.get(IMPORT).text)
    assert "was already imported" in problem
    assert "needs a person" in problem
    assert _count(session, ReconImport) == 1


def test_a_malformed_file_is_refused_naming_the_element_and_nothing_is_written(signed_in, session, statement):
    client = signed_in("finance")
    broken = statement.replace(b'<Amt Ccy="VND">750000', b'<Amt Ccy="VND">7x0000', 1)
    _upload(client, broken)
    problem = _flash_error(client.get(IMPORT).text)
    assert "/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt" in problem
    assert "is not an amount" in problem
    for model in (ReconImport, ReconRun, ReconException):
        assert _count(session, model) == 0, model


def test_the_form_asks_for_a_file_and_a_configured_adapter(signed_in, session, statement):
    client = signed_in("finance")
    post_form(client, IMPORT, IMPORT, adapter="sandbox")
    assert "Hãy chọn tệp cần nhập." in client.get(IMPORT).text
    _upload(client, statement, adapter="no-such-bank")
    assert "Hãy chọn kênh chi trả đã gửi tệp này." in client.get(IMPORT).text
    assert _count(session, ReconImport) == 0


def test_auditors_read_reconciliation_but_cannot_import(signed_in, session, statement):
    client = signed_in("auditor")
    assert "import-link" not in client.get("/console/reconciliation").text
    assert client.get(IMPORT).status_code == 403
    token_page = "/console/reconciliation"
    response = post_form(client, token_page, IMPORT, file=(io.BytesIO(statement), "s.xml"), adapter="sandbox")
    assert response.status_code == 403
    assert _count(session, ReconImport) == 0


def test_importing_without_the_csrf_token_is_refused(signed_in, session, statement):
    client = signed_in("finance")
    response = client.post(IMPORT, data={"file": (io.BytesIO(statement), "s.xml"), "adapter": "sandbox"})
    assert response.status_code == 400
    assert _count(session, ReconImport) == 0


def test_writing_off_an_imported_stranger_debit_needs_a_second_finance_user(app, client, session, statement):
    first, second = make_user(session, "finance"), make_user(session, "finance")
    sign_in(client, first)
    _upload(client, statement)
    row = session.scalar(select(ReconException).where(ReconException.kind == "UNMATCHED_CONFIRMATION"))
    page = f"/console/reconciliation/exceptions/{row.id}"
    post_form(client, page, f"{page}/resolve", action="write_off", reason="ngân hàng không giải thích được")
    post_form(client, page, f"{page}/approve", reason="mine")
    assert "you proposed it" in client.get(page).text
    other = app.test_client()
    sign_in(other, second)
    post_form(other, page, f"{page}/approve", reason="agreed")
    assert "Đã duyệt xóa sổ." in other.get(page).text
    session.expire_all()
    assert exceptions.get_exception(session, row.id).state == "resolved"


# --- assigning -----------------------------------------------------------------------------


def test_finance_assigns_an_exception_to_a_finance_user(signed_in, session, user, open_exception):
    colleague = user("finance", name="ke.toan.hoa")
    client = signed_in("finance")
    page = f"/console/reconciliation/exceptions/{open_exception.id}"
    assert '<option value="ke.toan.hoa"' in client.get(page).text

    post_form(client, page, f"{page}/assign", assignee=colleague)

    shown = client.get(page).text
    assert "Đã giao ngoại lệ cho ke.toan.hoa." in shown
    session.expire_all()
    assert exceptions.get_exception(session, open_exception.id).assignee == colleague
    assert [e.action for e in exceptions.history(session, open_exception.id)][-1] == "assigned"


def test_an_exception_is_not_assigned_to_someone_outside_finance(signed_in, session, user, open_exception):
    officer = user("officer")
    client = signed_in("finance")
    page = f"/console/reconciliation/exceptions/{open_exception.id}"
    assert f'value="{officer}"' not in client.get(page).text
    post_form(client, page, f"{page}/assign", assignee=officer)
    assert "Hãy chọn một kế toán đang hoạt động trong danh sách." in client.get(page).text
    session.expire_all()
    assert exceptions.get_exception(session, open_exception.id).assignee is None


def test_a_resolved_exception_is_not_assigned_and_the_page_says_why(signed_in, session, user, open_exception):
    colleague = user("finance")
    client = signed_in("finance")
    page = f"/console/reconciliation/exceptions/{open_exception.id}"
    post_form(client, page, f"{page}/resolve", action="acknowledge", reason="bank confirmed by phone")
    assert "assign-exception" not in client.get(page).text
    post_form(client, page, f"{page}/assign", assignee=colleague)
    assert "resolved" in _flash_error(client.get(page).text)
    session.expire_all()
    assert exceptions.get_exception(session, open_exception.id).assignee is None


def test_auditors_cannot_assign(signed_in, session, user, open_exception):
    colleague = user("finance")
    client = signed_in("auditor")
    page = f"/console/reconciliation/exceptions/{open_exception.id}"
    assert "assign-exception" not in client.get(page).text
    assert post_form(client, page, f"{page}/assign", assignee=colleague).status_code == 403
    session.expire_all()
    assert exceptions.get_exception(session, open_exception.id).assignee is None


def test_assigning_without_the_csrf_token_is_refused(signed_in, session, user, open_exception):
    colleague = user("finance")
    url = f"/console/reconciliation/exceptions/{open_exception.id}/assign"
    assert signed_in("finance").post(url, data={"assignee": colleague}).status_code == 400
    session.expire_all()
    assert exceptions.get_exception(session, open_exception.id).assignee is None
