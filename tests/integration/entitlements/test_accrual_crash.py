"""A real accrual process killed in the middle, then started again, posts each entry once."""

import csv
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, func, select

from payments import migrate
from payments.db import make_engine, make_session_factory
from payments.demo.population import generated_rows
from payments.ledger.model import Entry
from payments.ledger.services import balance

pytestmark = pytest.mark.slow
PEOPLE = 600


def _environment(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PAYMENTS_ENV": "test",
        "PAYMENTS_DATABASE_URL": url,
        "PAYMENTS_LOG_LEVEL": "WARNING",
    }


def _payments(url: str, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "payments", *args],
        env=_environment(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **kwargs,
    )


def _prepared(url: str, people_csv) -> tuple:
    engine = make_engine(url)
    migrate.upgrade(engine)
    assert _payments(url, "registry", "import", str(people_csv)).wait(timeout=120) == 0
    return engine, make_session_factory(engine)


def _entries(url: str) -> int:
    """Counted through a plain engine: on SQLite our own engine opens BEGIN IMMEDIATE, which
    would queue behind the accrual's chunks instead of reading beside them (WAL)."""
    observer = create_engine(url)
    try:
        with observer.connect() as connection:
            return connection.execute(select(func.count()).select_from(Entry)).scalar() or 0
    finally:
        observer.dispose()


@pytest.fixture
def people_csv(tmp_path):
    rows = list(generated_rows(PEOPLE, seed=11))
    path = tmp_path / "people.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_an_accrual_killed_mid_run_and_restarted_posts_each_entry_exactly_once(database_maker, people_csv):
    reference_url = database_maker.new_url()
    reference_engine, reference = _prepared(reference_url, people_csv)
    crash_url = database_maker.new_url()
    crash_engine, crashed = _prepared(crash_url, people_csv)
    try:
        assert (
            _payments(
                str(reference_engine.url.render_as_string(hide_password=False)), "accrue", "2025-08"
            ).wait(timeout=300)
            == 0
        )
        expected_entries = _entries(reference_url)
        assert expected_entries > 100

        process = _payments(crash_url, "accrue", "2025-08", "--chunk", "5")
        deadline = time.monotonic() + 120
        while _entries(crash_url) == 0 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        at_kill = _entries(crash_url)
        assert 0 < at_kill < expected_entries, "the kill must land in the middle of the run"

        assert _payments(crash_url, "accrue", "2025-08", "--chunk", "5").wait(timeout=300) == 0
        assert _entries(crash_url) == expected_entries
        with reference() as ref, crashed() as got:
            for programme in ("BTXH", "NCC"):
                code = f"expense:{programme}"
                assert balance(got, code) == balance(ref, code)
            kinds = set(got.scalars(select(Entry.kind).distinct()))
            assert kinds == {"accrual"}  # nothing needed correcting
        assert _payments(crash_url, "ledger", "verify").wait(timeout=120) == 0
    finally:
        reference_engine.dispose()
        crash_engine.dispose()
