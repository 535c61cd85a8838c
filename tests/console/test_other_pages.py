"""Dashboard, beneficiary search and timeline, ledger and audit pages, with real data."""

from payments.config import Settings
from payments.ledger.checkpoints import create_checkpoint
from payments.registry.crypto import PiiCipher
from payments.registry.services import current_person, get_beneficiary
from tests.console.support import post_form
from tests.support.people import OFFICER


def test_the_dashboard_shows_the_periods_money_at_each_stage(signed_in, paid_batch):
    page = signed_in("auditor").get("/console/?period=2024-07").text
    assert "Kỳ 2024-07" in page
    accrued = page.split('id="accrued"')[1].split("</div>")[0]
    assert "2.250.000 ₫" in accrued  # three people at 750.000 ₫
    assert "1.500.000 ₫" in page.split('id="in-batches"')[1].split("</div>")[0]
    assert "1.500.000 ₫" in page.split('id="paid"')[1].split("</div>")[0]
    assert "1 người bị tạm dừng" in page


def test_the_dashboard_links_the_periods_that_have_batches(signed_in, draft_batch):
    page = signed_in("officer").get("/console/").text
    assert 'href="/console/?period=2024-07"' in page


def test_an_empty_period_shows_zeroes_not_an_error(signed_in):
    page = signed_in("admin").get("/console/?period=2031-01").text
    assert "Chưa lập đợt chi trả nào cho kỳ này." in page
    assert "0 ₫" in page


def test_searching_by_name_or_citizen_id_shows_masked_ids(app, signed_in, session, owed):
    cipher = PiiCipher.from_settings(app.extensions["payments"].settings)
    citizen_id = current_person(get_beneficiary(session, owed[0]), cipher).citizen_id
    client = signed_in("officer")
    by_name = client.get("/console/beneficiaries?name=tran van").text
    assert "Trần Văn Minh" in by_name
    assert "Nguyễn Thị Đào" not in by_name
    by_id = post_form(client, "/console/beneficiaries", "/console/beneficiaries", citizen_id=citizen_id).text
    assert "Nguyễn Thị Đào" in by_id
    assert citizen_id not in by_id
    assert "*********" + citizen_id[-3:] in by_id


def test_a_timeline_tells_entitlement_approval_payout_and_confirmation(
    app, signed_in, session, paid_batch, owed
):
    cipher = PiiCipher.from_settings(Settings(env="test"))
    citizen_id = current_person(get_beneficiary(session, owed[0]), cipher).citizen_id
    page = signed_in("approver").get(f"/console/beneficiaries/{owed[0]}").text
    assert citizen_id not in page
    assert "Mức hưởng theo từng tháng" in page
    assert "750.000 ₫" in page
    for step in ("Quyết định QD-", "Đưa vào đợt chi trả", "đã được trình phê duyệt", "đã được phê duyệt",
                 "approver.minh", "Đã gửi đến đơn vị chi trả", "Đã xác nhận chi trả"):  # fmt: skip
        assert step in page, step
    assert page.index("Đưa vào đợt chi trả") < page.index("Đã xác nhận chi trả")


def test_a_held_person_s_timeline_says_why(signed_in, draft_batch, owed):
    page = signed_in("officer").get(f"/console/beneficiaries/{owed[2]}").text
    assert "Tạm dừng, không đưa vào đợt chi trả tháng 2024-07" in page
    assert "chưa có phương tiện nhận tiền" in page


def test_finance_sees_the_timeline_without_the_entitlement_explanation(signed_in, paid_batch, owed):
    page = signed_in("finance").get(f"/console/beneficiaries/{owed[0]}").text
    assert "Đã xác nhận chi trả" in page
    assert "Mức hưởng theo từng tháng" not in page


def test_the_ledger_finds_an_account_statement_and_a_payouts_entries(signed_in, session, paid_batch, owed):
    client = signed_in("auditor")
    statement = client.get(f"/console/ledger?account=payable:{owed[0]}").text
    assert "ghi nhận trợ cấp" in statement
    assert "-750.000 ₫" in statement
    payout_key = statement.split("payout_key=")[1].split('"')[0]
    entries = client.get(f"/console/ledger?payout_key={payout_key}").text
    assert "đã gửi chi trả" in entries
    assert "chi trả thành công" in entries
    assert f"in_flight:{paid_batch.adapter}" in entries


def test_a_malformed_account_code_is_explained_not_a_crash(signed_in):
    page = signed_in("finance").get("/console/ledger?account=nonsense").text
    assert "must start with one of" in page


def test_ledger_verification_and_checkpoints_are_shown(app, signed_in, session, paid_batch):
    settings = app.extensions["payments"].settings
    create_checkpoint(session, settings.load_signing_key(), settings.ledger_origin, actor=OFFICER)
    session.commit()
    client = signed_in("auditor")
    assert "Nguyên vẹn" in client.get("/console/ledger/verify").text
    checkpoints = client.get("/console/ledger/checkpoints").text
    assert settings.ledger_origin in checkpoints
    assert "Điểm kiểm tra mới nhất" in client.get("/console/ledger").text


def test_the_audit_log_filters_by_action_and_verifies_its_chain(signed_in, paid_batch):
    client = signed_in("auditor")
    page = client.get("/console/audit?action=batch.approve").text
    assert "approver.minh" in page
    assert "batch.submit" not in page
    assert "Nguyên vẹn" in client.get("/console/audit/verify").text


def test_english_is_one_click_away_and_vietnamese_is_the_default(signed_in, draft_batch):
    client = signed_in("officer")
    page = f"/console/batches/{draft_batch.id}"
    assert "Theo hình thức nhận" in client.get(page).text
    post_form(client, page, "/console/language", lang="en", next=page)
    english = client.get(page).text
    assert "By channel" in english
    assert "1.500.000 ₫" in english
    assert '<html lang="en">' in english


def test_the_bare_address_leads_to_the_console_and_health_stays_where_it_is(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/")
    assert client.get(response.headers["Location"]).headers["Location"].startswith("/console/login")
    assert client.get("/health").status_code == 200
    assert client.get("/api/v1/batches").status_code == 401
