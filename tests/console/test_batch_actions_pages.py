"""Building a period's batches, the period page with its holds, cancelling and dispatching a
batch from the console: each admitted only to the roles its API route admits, each refusal shown
on the page with nothing written."""

import pytest
from sqlalchemy import func, select

from payments.audit.model import AuditEvent
from payments.disbursements.approval import approve_batch, get_batch, submit_batch
from payments.disbursements.model import Batch, BatchHold, Payout
from tests.console.conftest import APPROVER, PERIOD
from tests.console.support import post_form
from tests.support.people import OFFICER


def _state(session, batch_id: int) -> str:
    session.expire_all()
    return get_batch(session, batch_id).state


def _batches(session) -> int:
    return session.scalar(select(func.count()).select_from(Batch))


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def approved_batch(session, draft_batch):
    """The July batch submitted by officer.lan and approved by approver.minh, not yet sent."""
    submit_batch(session, OFFICER, draft_batch.id)
    approve_batch(session, APPROVER, draft_batch.id, manifest_seen=draft_batch.manifest_hash,
                  comment="đồng ý", threshold_vnd=500_000_000)  # fmt: skip
    session.commit()
    return draft_batch


# --- building ------------------------------------------------------------------------------


def test_an_officer_builds_the_period_and_sees_its_batches_and_holds(signed_in, session, owed):
    client = signed_in("officer")
    assert 'id="build-batches"' in client.get("/console/batches").text

    response = post_form(client, "/console/batches", "/console/batches/build", period=PERIOD)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/console/periods/{PERIOD}")
    page = client.get(f"/console/periods/{PERIOD}").text
    assert (
        "Đã lập 1 đợt chi trả nháp cho kỳ 2024-07: 2 khoản chi, tổng 1.500.000 ₫; "
        "1 người tạm dừng chờ cán bộ xử lý." in page
    )
    (batch,) = session.scalars(select(Batch).where(Batch.period == PERIOD))
    assert (batch.state, batch.payout_count, batch.total_vnd) == ("draft", 2, 1_500_000)
    assert f'href="/console/batches/{batch.id}"' in page.split('id="period-batches"')[1]
    holds = page.split('id="period-holds"')[1]
    for shown in ("Lê Thị Hoa", "chưa có phương tiện nhận tiền", "750.000 ₫"):
        assert shown in holds
    assert "Nguyễn Thị Đào" not in holds
    assert [event.role for event in _events(session, "batch.build")] == ["officer"]


def test_building_again_adds_nobody_already_in_an_open_batch(signed_in, session, draft_batch):
    client = signed_in("officer")
    post_form(client, "/console/batches", "/console/batches/build", period=PERIOD)
    page = client.get(f"/console/periods/{PERIOD}").text
    assert "Không có đợt chi trả mới cho kỳ 2024-07" in page
    assert _batches(session) == 1


def test_a_malformed_period_is_refused_and_nothing_is_built(signed_in, session, owed):
    client = signed_in("officer")
    response = post_form(client, "/console/batches", "/console/batches/build", period="2024-13")
    assert response.headers["Location"].endswith("/console/batches")
    assert "Hãy nhập kỳ theo tháng, dạng YYYY-MM" in client.get("/console/batches").text
    assert _batches(session) == 0
    assert session.scalar(select(func.count()).select_from(BatchHold)) == 0
    assert _events(session, "batch.build") == []


def test_only_officers_build(signed_in, session, owed):
    client = signed_in("approver")
    assert "build-batches" not in client.get("/console/batches").text
    response = post_form(client, "/console/batches", "/console/batches/build", period=PERIOD)
    assert response.status_code == 403
    assert _batches(session) == 0


def test_building_without_the_csrf_token_is_refused(signed_in, session, owed):
    response = signed_in("officer").post("/console/batches/build", data={"period": PERIOD})
    assert response.status_code == 400
    assert _batches(session) == 0


def test_the_period_page_shows_a_held_person_later_paid_as_in_a_batch(signed_in, session, draft_batch, owed):
    held_person = owed[2]
    session.add(BatchHold(
        period=PERIOD, programme="BTXH", adapter="sandbox", beneficiary_id=owed[0], amount_vnd=750_000,
        reasons=[{"code": "manual", "detail": "kiểm tra lại hồ sơ"}], created_at=draft_batch.created_at,
    ))  # fmt: skip
    session.commit()
    page = signed_in("auditor").get(f"/console/periods/{PERIOD}").text
    rows = page.split('id="period-holds"')[1].split("</table>")[0].split("<tr>")[2:]
    by_person = {row.split("/console/beneficiaries/")[1].split('"')[0]: row for row in rows}
    assert f"trong đợt chi trả {draft_batch.id}" in by_person[str(owed[0])]
    assert "kiểm tra lại hồ sơ" in by_person[str(owed[0])]
    assert "vẫn tạm dừng" in by_person[str(held_person)]
    assert "2 người bị tạm dừng" in page


def test_the_period_page_masks_personal_data(app, signed_in, draft_batch, owed):
    page = signed_in("finance").get(f"/console/periods/{PERIOD}").text
    for person in owed[:2]:
        assert f"0071000{person:06d}" not in page


def test_a_period_that_is_not_a_month_is_not_found(signed_in):
    assert signed_in("officer").get("/console/periods/2024-7").status_code == 404


def test_the_batch_list_and_dashboard_link_the_period_page(signed_in, draft_batch):
    client = signed_in("officer")
    assert f'href="/console/periods/{PERIOD}"' in client.get(f"/console/batches?period={PERIOD}").text
    assert f'href="/console/periods/{PERIOD}"' in client.get(f"/console/?period={PERIOD}").text


# --- cancelling ----------------------------------------------------------------------------


def test_an_officer_cancels_a_batch_with_a_reason(signed_in, session, draft_batch):
    client = signed_in("officer")
    page = f"/console/batches/{draft_batch.id}"
    assert 'id="cancel-batch"' in client.get(page).text
    post_form(client, page, f"{page}/cancel", reason="danh sách xã Tân Hà chưa đúng")
    assert "Đã hủy đợt chi trả" in client.get(page).text
    assert _state(session, draft_batch.id) == "cancelled"
    (event,) = _events(session, "batch.cancel")
    assert (event.role, event.summary["after"]["reason"]) == ("officer", "danh sách xã Tân Hà chưa đúng")


def test_a_cancellation_needs_a_reason(signed_in, session, draft_batch):
    client = signed_in("officer")
    page = f"/console/batches/{draft_batch.id}"
    post_form(client, page, f"{page}/cancel", reason="   ")
    assert "Hãy nêu lý do hủy đợt chi trả, tối đa 300 ký tự." in client.get(page).text
    post_form(client, page, f"{page}/cancel", reason="x" * 301)
    assert _state(session, draft_batch.id) == "draft"
    assert _events(session, "batch.cancel") == []


def test_a_dispatched_batch_cannot_be_cancelled_and_the_page_says_why(signed_in, session, paid_batch):
    client = signed_in("officer")
    page = f"/console/batches/{paid_batch.id}"
    assert "cancel-batch" not in client.get(page).text
    post_form(client, page, f"{page}/cancel", reason="too late")
    shown = client.get(page).text
    assert "dispatched" in shown.split('class="flash error"')[1].split("</p>")[0]
    assert _state(session, paid_batch.id) == "dispatched"
    assert _events(session, "batch.cancel") == []


def test_only_officers_cancel(signed_in, session, draft_batch):
    client = signed_in("approver")
    page = f"/console/batches/{draft_batch.id}"
    assert "cancel-batch" not in client.get(page).text
    assert post_form(client, page, f"{page}/cancel", reason="no").status_code == 403
    assert _state(session, draft_batch.id) == "draft"


def test_cancelling_without_the_csrf_token_is_refused(signed_in, session, draft_batch):
    response = signed_in("officer").post(f"/console/batches/{draft_batch.id}/cancel", data={"reason": "x"})
    assert response.status_code == 400
    assert _state(session, draft_batch.id) == "draft"


# --- dispatching ---------------------------------------------------------------------------


def test_an_officer_dispatches_an_approved_batch_now(signed_in, session, approved_batch):
    client = signed_in("officer")
    page = f"/console/batches/{approved_batch.id}"
    assert 'id="dispatch-batch"' in client.get(page).text

    post_form(client, page, f"{page}/dispatch")

    shown = client.get(page).text
    assert "Đã gửi 2 khoản chi" in shown
    assert _state(session, approved_batch.id) == "dispatched"
    states = session.scalars(select(Payout.state).where(Payout.batch_id == approved_batch.id)).all()
    assert len(states) == 2
    assert set(states) <= {"accepted", "settled"}
    assert len(_events(session, "batch.dispatched")) == 1


def test_dispatching_a_batch_not_approved_is_refused_and_nothing_is_sent(signed_in, session, draft_batch):
    client = signed_in("officer")
    page = f"/console/batches/{draft_batch.id}"
    assert "dispatch-batch" not in client.get(page).text
    post_form(client, page, f"{page}/dispatch")
    assert "only an approved batch is dispatched" in client.get(page).text
    assert _state(session, draft_batch.id) == "draft"
    states = session.scalars(select(Payout.state).where(Payout.batch_id == draft_batch.id)).all()
    assert states == ["queued", "queued"]


def test_approvers_cannot_dispatch_as_the_api_admits_only_officers(signed_in, session, approved_batch):
    client = signed_in("approver")
    page = f"/console/batches/{approved_batch.id}"
    assert "dispatch-batch" not in client.get(page).text
    assert post_form(client, page, f"{page}/dispatch").status_code == 403
    assert _state(session, approved_batch.id) == "approved"


def test_dispatching_without_the_csrf_token_is_refused(signed_in, session, approved_batch):
    response = signed_in("officer").post(f"/console/batches/{approved_batch.id}/dispatch")
    assert response.status_code == 400
    assert _state(session, approved_batch.id) == "approved"
