"""Batches in the console: the list, one batch's detail, submit, approve bound to the manifest, reject."""

from sqlalchemy import select

from payments.audit.model import AuditEvent
from payments.disbursements.approval import get_batch, submit_batch
from tests.console.support import post_form
from tests.support.people import OFFICER


def _state(session, batch_id: int) -> str:
    session.expire_all()
    return get_batch(session, batch_id).state


def test_the_list_shows_the_periods_batches_with_totals(signed_in, draft_batch):
    page = signed_in("finance").get("/console/batches?period=2024-07").text
    assert f'href="/console/batches/{draft_batch.id}"' in page
    assert "1.500.000 ₫" in page
    assert "bản nháp" in page


def test_a_batch_shows_totals_by_commune_category_and_channel_holds_and_the_manifest(signed_in, draft_batch):
    page = signed_in("approver").get(f"/console/batches/{draft_batch.id}").text
    assert draft_batch.manifest_hash in page
    for caption in ("Theo xã", "Theo nhóm đối tượng", "Theo hình thức nhận"):
        assert caption in page
    assert "tài khoản ngân hàng" in page
    assert page.count("1.500.000 ₫") >= 4  # total, and the one row of each grouping
    assert "chưa có phương tiện nhận tiền" in page  # the held person's reason
    assert "750.000 ₫" in page


def test_payout_instruments_are_masked_on_the_batch_page(signed_in, draft_batch, owed):
    page = signed_in("auditor").get(f"/console/batches/{draft_batch.id}").text
    for person in owed[:2]:
        account = f"0071000{person:06d}"
        assert account not in page
        assert "*" * (len(account) - 3) + account[-3:] in page


def test_an_officer_submits_a_draft_and_it_is_audited(signed_in, session, draft_batch):
    client = signed_in("officer")
    page = f"/console/batches/{draft_batch.id}"
    assert "submit-batch" in client.get(page).text
    response = post_form(client, page, f"{page}/submit")
    assert response.status_code == 302
    assert "Đã trình phê duyệt đợt chi trả." in client.get(page).text
    assert _state(session, draft_batch.id) == "pending_approval"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "batch.submit"))
    assert event.role == "officer"


def test_an_approver_approves_the_manifest_the_page_showed(signed_in, session, draft_batch):
    submit_batch(session, OFFICER, draft_batch.id)
    session.commit()
    client = signed_in("approver")
    page = f"/console/batches/{draft_batch.id}"
    shown = client.get(page).text
    assert f'name="manifest_hash" value="{draft_batch.manifest_hash}"' in shown
    post_form(client, page, f"{page}/approve", manifest_hash=draft_batch.manifest_hash, comment="checked")
    assert "Đã ghi nhận phê duyệt của bạn." in client.get(page).text
    assert _state(session, draft_batch.id) == "approved"


def test_approving_a_manifest_other_than_the_current_one_is_refused_on_the_page(
    signed_in, session, draft_batch
):
    submit_batch(session, OFFICER, draft_batch.id)
    session.commit()
    client = signed_in("approver")
    page = f"/console/batches/{draft_batch.id}"
    post_form(client, page, f"{page}/approve", manifest_hash="0" * 64)
    assert "manifest hash differs" in client.get(page).text
    assert _state(session, draft_batch.id) == "pending_approval"


def test_the_officer_who_submitted_cannot_approve_with_an_approver_role_too(signed_in, session, draft_batch):
    client = signed_in("officer", "approver")
    page = f"/console/batches/{draft_batch.id}"
    post_form(client, page, f"{page}/submit")
    post_form(client, page, f"{page}/approve", manifest_hash=draft_batch.manifest_hash)
    assert "maker-checker" in client.get(page).text
    assert _state(session, draft_batch.id) == "pending_approval"


def test_a_rejection_needs_a_reason(signed_in, session, draft_batch):
    submit_batch(session, OFFICER, draft_batch.id)
    session.commit()
    client = signed_in("approver")
    page = f"/console/batches/{draft_batch.id}"
    post_form(client, page, f"{page}/reject", comment="   ")
    assert _state(session, draft_batch.id) == "pending_approval"
    post_form(client, page, f"{page}/reject", comment="commune totals look wrong")
    assert "Đã từ chối đợt chi trả." in client.get(page).text
    assert _state(session, draft_batch.id) == "rejected"


def test_an_unknown_batch_is_a_404_page(signed_in):
    response = signed_in("officer").get("/console/batches/999999")
    assert response.status_code == 404
    assert "batch 999999 does not exist" in response.text
