"""Reconciliation in the console: runs, tie-outs, the exceptions queue, resolving."""

from sqlalchemy import select

from payments.audit.model import AuditEvent
from payments.clock import utcnow
from payments.disbursements.model import Payout
from payments.reconcile import exceptions
from payments.reconcile.runs import fetch_statements, run_reconciliation
from tests.console.support import post_form
from tests.support.people import OFFICER


def _queue_page(exception_id: int) -> str:
    return f"/console/reconciliation/exceptions/{exception_id}"


def test_runs_and_tie_outs_are_listed(signed_in, session_factory, paid_batch):
    run_reconciliation(session_factory, actor=OFFICER)
    page = signed_in("auditor").get("/console/reconciliation").text
    assert 'id="runs"' in page
    assert "officer.lan" in page
    assert "tất cả khớp" in page  # settled through the sandbox: nothing in flight
    run_id = page.split("/console/reconciliation/runs/")[1].split('"')[0]
    assert signed_in("finance").get(f"/console/reconciliation/runs/{run_id}").status_code == 200


def test_the_queue_lists_open_exceptions_and_the_dashboard_counts_them(signed_in, open_exception):
    client = signed_in("finance")
    queue = client.get("/console/reconciliation/exceptions").text
    assert "khoản chi chưa từng được xác nhận" in queue
    assert "750.000 ₫" in queue
    card = client.get("/console/?period=2024-07").text.split('id="exceptions"')[1].split("</div>")[0]
    assert "<p>1</p>" in card


def test_finance_acknowledges_an_exception_with_a_reason(signed_in, session, open_exception):
    client = signed_in("finance")
    page = _queue_page(open_exception.id)
    post_form(client, page, f"{page}/resolve", action="acknowledge", reason="bank confirmed by phone")
    shown = client.get(page).text
    assert "Đã ghi nhận cách xử lý của bạn." in shown
    assert "đã xử lý" in shown
    session.expire_all()
    assert exceptions.get_exception(session, open_exception.id).state == "resolved"
    audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "reconcile.exception.resolved"))
    assert audit.role == "finance"


def test_marking_a_payout_returned_puts_the_money_back_in_payable(signed_in, session, open_exception):
    client = signed_in("finance")
    page = _queue_page(open_exception.id)
    post_form(
        client, page, f"{page}/resolve", action="mark_returned", reason="bank returned it", reason_code="AC04"
    )
    session.expire_all()
    assert session.get(Payout, open_exception.payout_id).state == "returned"
    payout = session.get(Payout, open_exception.payout_id)
    timeline = signed_in("officer").get(f"/console/beneficiaries/{payout.beneficiary_id}").text
    assert "Chưa chi trả được: bị từ chối hoặc hoàn trả" in timeline
    assert "AC04" in timeline


def test_a_resolution_without_a_reason_is_refused_on_the_page(signed_in, session, open_exception):
    client = signed_in("finance")
    page = _queue_page(open_exception.id)
    post_form(client, page, f"{page}/resolve", action="acknowledge", reason="  ")
    assert "a resolution needs a reason" in client.get(page).text
    session.expire_all()
    assert exceptions.get_exception(session, open_exception.id).state == "open"


def test_an_unconfirmed_payout_is_not_written_off_and_the_page_says_what_to_do(
    signed_in, session, open_exception
):
    """The two-user write-off itself: test_reconciliation_import_pages (a debit nobody instructed)."""
    client = signed_in("finance")
    page = _queue_page(open_exception.id)
    post_form(client, page, f"{page}/resolve", action="write_off", reason="amount too small to chase")
    problem = client.get(page).text.split('class="flash error"')[1]
    assert "is not written off: the money may still arrive" in problem
    session.expire_all()
    assert exceptions.get_exception(session, open_exception.id).state == "open"


def test_an_auditor_reads_the_queue_but_cannot_resolve(signed_in, session, open_exception):
    client = signed_in("auditor")
    page = _queue_page(open_exception.id)
    assert "resolve-exception" not in client.get(page).text
    response = post_form(client, page, f"{page}/resolve", action="acknowledge", reason="looks fine")
    assert response.status_code == 403
    session.expire_all()
    assert exceptions.get_exception(session, open_exception.id).state == "open"


def test_a_timeline_names_the_statement_line_that_confirmed_a_payout(
    app, signed_in, session_factory, paid_batch, owed
):
    adapters = app.extensions["payments"].adapters
    fetch_statements(session_factory, adapters, [utcnow().date()], actor=OFFICER)
    run_reconciliation(session_factory, actor=OFFICER)
    page = signed_in("auditor").get(f"/console/beneficiaries/{owed[0]}").text
    assert "Đã đối soát với statement" in page
    assert "khớp theo mã khoản chi" in page
