"""The batch page offers officers a follow-up batch for a dispatched batch's failed payouts."""

import pytest
from sqlalchemy import select

from payments.audit.model import AuditEvent
from payments.disbursements.model import Batch
from tests.console.support import post_form
from tests.support.batches import dispatched_with_rejections


@pytest.fixture
def failed_batch(app, session, owed):
    """The July batch dispatched with the second person's account rejected as closed."""
    return dispatched_with_rejections(app, session, [f"0071000{owed[1]:06d}"])


def test_an_officer_builds_the_follow_up_from_the_batch_page(signed_in, session, failed_batch, owed):
    client = signed_in("officer")
    page = f"/console/batches/{failed_batch.id}"
    assert 'id="retry-batch"' in client.get(page).text

    response = post_form(client, page, f"{page}/retry")

    follow_up = session.scalar(select(Batch).where(Batch.parent_batch_id == failed_batch.id))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/console/batches/{follow_up.id}")
    shown = client.get(f"/console/batches/{follow_up.id}").text
    assert "Đã lập đợt chi trả lại: 1 khoản chi lại, 0 người tạm dừng chờ cán bộ xử lý." in shown
    assert f'href="/console/batches/{failed_batch.id}"' in shown  # "follow-up of" the original
    assert "submit-batch" in shown  # a draft, submitted for approval like any batch
    assert f"/console/beneficiaries/{owed[1]}" in shown  # the rejected person, and not the one paid
    assert f"/console/beneficiaries/{owed[0]}" not in shown
    assert f'href="/console/batches/{follow_up.id}"' in client.get(page).text  # listed on the original
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "batch.retry_build"))
    assert (event.role, event.target_id) == ("officer", str(failed_batch.id))


def test_retrying_again_is_refused_on_the_page_with_the_reason(signed_in, failed_batch):
    client = signed_in("officer")
    page = f"/console/batches/{failed_batch.id}"
    post_form(client, page, f"{page}/retry")
    again = post_form(client, page, f"{page}/retry")
    assert again.headers["Location"].endswith(page)
    assert "of its 1 failed payouts, 1 already followed up" in client.get(page).text


def test_only_officers_see_the_retry_button(signed_in, failed_batch):
    assert "retry-batch" not in signed_in("approver").get(f"/console/batches/{failed_batch.id}").text


def test_a_batch_where_nothing_failed_offers_no_retry(signed_in, paid_batch):
    assert "retry-batch" not in signed_in("officer").get(f"/console/batches/{paid_batch.id}").text
