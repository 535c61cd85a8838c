"""Browser tests: Debian's Chromium driven by Playwright against a real server on loopback.

The server is the real app (werkzeug, threaded) on a free 127.0.0.1 port over its own SQLite
database, seeded through the services. Chromium is /usr/bin/chromium (never a browser that
Playwright downloads). Without it these tests are skipped with the reason shown, unless
PAYMENTS_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from payments import migrate
from payments.app import create_app
from payments.config import Settings
from payments.db import make_engine
from payments.disbursements.approval import submit_batch
from payments.disbursements.building import build_batches
from payments.disbursements.model import Payout
from payments.disbursements.routing import routing_for
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.reconcile import exceptions
from payments.reconcile.exceptions import Problem, raise_exception
from payments.registry.crypto import PiiCipher
from tests.console.support import make_user
from tests.support.people import OFFICER, enrol_person, give_bank_account

CHROMIUM = Path(os.environ.get("PAYMENTS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def _missing_browser() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    problem = _missing_browser()
    if problem is not None:
        if os.environ.get("PAYMENTS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"PAYMENTS_REQUIRE_BROWSER=1 but {problem}", pytrace=False)
        pytest.skip(reason=f"browser tests need Chromium: {problem}; CI sets PAYMENTS_REQUIRE_BROWSER=1")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser, request) -> Iterator:
    """A fresh browser context (no cookies) per test; a screenshot is kept if the test fails."""
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    if getattr(request.node, "rep_call_failed", False):
        shoot(tab, f"{request.node.name}-failed")
    context.close()


def shoot(tab, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call_failed = report.failed
    return report


@dataclass(frozen=True)
class LiveConsole:
    url: str
    users: dict[str, str]  # role -> username; every password is tests.console.support.PASSWORD
    july_batch: int  # a draft, built by officer.lan
    august_batch: int  # pending approval
    exception_id: int  # an open UNCONFIRMED_PAYOUT exception on an August payout


@pytest.fixture(scope="module")
def live_console(chromium_path, tmp_path_factory) -> Iterator[LiveConsole]:
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'payments.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    app = create_app(Settings(env="test", database_url=url), engine=engine)
    seeded = _seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="console-under-test", daemon=True)
    thread.start()
    yield LiveConsole(f"http://127.0.0.1:{server.server_port}", **seeded)
    server.shutdown()
    thread.join(timeout=10)
    engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)


def _seed(app) -> dict:
    """A user per role; two people entitled from July 2024 and two from August, so that the
    July batch holds the first two and the August batch (built while July's is open) the others."""
    runtime = app.extensions["payments"]
    factory = runtime.session_factory
    people = (("Nguyễn Thị Đào", "NGUYEN THI DAO", 7), ("Trần Văn Minh", "TRAN VAN MINH", 7),
              ("Lê Thị Hoa", "LE THI HOA", 8), ("Phạm Văn Nam", "PHAM VAN NAM", 8))  # fmt: skip
    with factory() as session:
        users = {role: make_user(session, role, name=f"{role}.test") for role in
                 ("officer", "approver", "finance", "auditor")}  # fmt: skip
        for name, holder, month in people:
            person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, month, 1), name=name)
            give_bank_account(session, person, f"0071000{person:06d}", holder=holder, since=date(2024, 5, 1))
        rates = load_rate_set(session, "68")
    batches = {}
    for period in (Period(2024, 7), Period(2024, 8)):
        accrue(factory, period, rates, actor=OFFICER)
        with factory() as session:
            routing = routing_for(runtime.settings, runtime.adapters)
            cipher = PiiCipher.from_settings(runtime.settings)
            built = build_batches(session, str(period), routing, cipher, actor=OFFICER, hold_days=30,
                                  on_date=period.last_day)  # fmt: skip
            batches[str(period)] = built.batches[0].id
            session.commit()
    with factory() as session:
        submit_batch(session, OFFICER, batches["2024-08"])
        payout = session.scalars(select(Payout).where(Payout.batch_id == batches["2024-08"])).first()
        problem = Problem(
            kind="UNCONFIRMED_PAYOUT", fingerprint=f"browser:{payout.id}", adapter="sandbox",
            detail=f"{payout.payout_key}: no statement confirmed it", payout_id=payout.id,
            amount_vnd=payout.amount_vnd,
        )  # fmt: skip
        raise_exception(session, problem, actor=OFFICER)
        session.commit()
        exception_id = exceptions.list_exceptions(session, state="open")[0].id
    return {
        "users": users,
        "july_batch": batches["2024-07"],
        "august_batch": batches["2024-08"],
        "exception_id": exception_id,
    }
