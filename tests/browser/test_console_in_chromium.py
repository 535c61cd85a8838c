"""People using the console in a real browser: maker-checker, refusals, language."""

import re

import pytest

from tests.browser.conftest import shoot
from tests.console.support import PASSWORD

pytestmark = pytest.mark.browser

# Builds and posts an approval form by hand, with the page's own CSRF token.
FORGED_APPROVAL = """([action, manifest]) => {
    const form = Object.assign(document.createElement('form'), {method: 'post', action: action});
    const token = document.querySelector('input[name=csrf_token]').cloneNode();
    const hash = Object.assign(document.createElement('input'), {name: 'manifest_hash', value: manifest});
    form.append(token, hash);
    document.body.append(form);
    form.submit();
}"""


def sign_in(page, console, role: str) -> None:
    page.goto(f"{console.url}/console/login")
    page.get_by_label("Tên đăng nhập").fill(console.users[role])
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r".*/console/$"))


def sign_out(page) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(re.compile(r".*/console/login$"))


def test_an_officer_submits_a_batch_and_an_approver_approves_it(page, live_console):
    batch_url = f"{live_console.url}/console/batches/{live_console.july_batch}"
    sign_in(page, live_console, "officer")
    shoot(page, "01-officer-dashboard")
    page.get_by_role("link", name="Đợt chi trả").first.click()
    page.get_by_role("link", name=str(live_console.july_batch), exact=True).click()
    page.wait_for_url(batch_url)
    page.locator("#submit-batch").click()
    page.get_by_text("Đã trình phê duyệt đợt chi trả.").wait_for()
    assert "chờ phê duyệt" in page.locator("h1").inner_text()
    shoot(page, "02-officer-submitted")
    sign_out(page)

    sign_in(page, live_console, "approver")
    page.goto(batch_url)
    manifest = page.locator("#manifest-hash").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", manifest)
    assert manifest in page.locator("form.decide").first.inner_text()
    assert page.locator("#batch-total").inner_text().strip() == "1.500.000 ₫"
    page.get_by_label("Ý kiến").fill("đã đối chiếu danh sách")
    shoot(page, "03-approver-reviewing")
    page.locator("#approve-batch").click()
    page.get_by_text("Đã ghi nhận phê duyệt của bạn.").wait_for()
    assert "đã phê duyệt" in page.locator("h1").inner_text()
    assert "đã đối chiếu danh sách" in page.locator("#approvals").inner_text()
    shoot(page, "04-approver-approved")


def test_an_auditor_cannot_approve_a_batch(page, live_console):
    batch_url = f"{live_console.url}/console/batches/{live_console.august_batch}"
    sign_in(page, live_console, "auditor")
    page.goto(batch_url)
    assert "chờ phê duyệt" in page.locator("h1").inner_text()
    assert page.locator("#approve-batch").count() == 0
    shoot(page, "05-auditor-sees-no-approve-button")
    # Even a hand-made form with a valid CSRF token and the right manifest is refused.
    manifest = page.locator("#manifest-hash").inner_text().strip()
    page.evaluate(FORGED_APPROVAL, [f"{batch_url}/approve", manifest])
    page.get_by_text("Không được phép").wait_for()
    assert "approver" in page.locator(".problem").inner_text()
    shoot(page, "06-auditor-refused")
    page.goto(batch_url)
    assert "chờ phê duyệt" in page.locator("h1").inner_text()


def test_a_finance_user_resolves_an_exception_from_the_queue(page, live_console):
    sign_in(page, live_console, "finance")
    page.locator("#exceptions").get_by_role("link").click()
    page.wait_for_url(re.compile(r".*/console/reconciliation/exceptions$"))
    assert "khoản chi chưa từng được xác nhận" in page.locator("#exceptions-queue").inner_text()
    shoot(page, "08-finance-queue")
    page.get_by_role("link", name=str(live_console.exception_id), exact=True).click()
    page.get_by_label("Thao tác").select_option("acknowledge")
    page.get_by_label("Lý do", exact=True).fill("ngân hàng đã xác nhận qua điện thoại")
    shoot(page, "09-finance-resolving")
    page.locator("#resolve-exception").click()
    page.get_by_text("Đã ghi nhận cách xử lý của bạn.").wait_for()
    assert "đã xử lý" in page.locator("h1").inner_text()
    assert "ngân hàng đã xác nhận qua điện thoại" in page.locator("#history").inner_text()
    shoot(page, "10-finance-resolved")


def test_the_console_switches_to_english_and_keeps_amounts_vietnamese(page, live_console):
    sign_in(page, live_console, "finance")
    page.goto(f"{live_console.url}/console/batches/{live_console.august_batch}")
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name=re.compile(r"Batch \d+")).wait_for()
    assert page.locator("#batch-total").inner_text().strip() == "1.500.000 ₫"
    assert "By channel" in page.content()
    shoot(page, "07-english")


def test_a_finance_user_uploads_a_file_that_is_not_a_statement_and_is_told_so(page, live_console):
    sign_in(page, live_console, "finance")
    page.goto(f"{live_console.url}/console/reconciliation")
    page.locator("#import-link").click()
    page.get_by_label("Tệp", exact=True).set_input_files(
        {"name": "ghi-chu.txt", "mimeType": "text/plain", "buffer": "chỉ là ghi chú".encode()}
    )
    page.get_by_label("Chạy thử: báo cáo kết quả dự kiến, không giữ lại gì").check()
    page.locator("#import-file").click()
    refusal = page.locator(".flash.error")
    refusal.wait_for()
    assert "Tệp không được nhập và không có gì được ghi" in refusal.inner_text()
    assert "neither ISO 20022 XML, MT940 nor a CSV report" in refusal.inner_text()
    shoot(page, "11-finance-import-refused")
