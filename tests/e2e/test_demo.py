"""`payments demo --json` end to end on a fresh database of each kind, through the HTTP simulators."""

import json
import os
import subprocess
import sys

import pytest

from payments import migrate
from payments.db import make_engine

pytestmark = pytest.mark.slow


def test_the_demo_runs_two_months_with_nobody_paid_twice_and_a_verified_ledger(fresh_database_url):
    engine = make_engine(fresh_database_url)
    migrate.upgrade(engine)
    engine.dispose()
    env = {**os.environ, "PAYMENTS_ENV": "test", "PAYMENTS_DATABASE_URL": fresh_database_url,
           "PAYMENTS_LOG_LEVEL": "ERROR"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "payments", "demo", "--beneficiaries", "150", "--months", "2", "--json"],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["double_payments"] == 0
    assert summary["ledger"] == {"entries": summary["ledger"]["entries"], "verified": True, "balanced": True}
    assert summary["periods"] == ["2025-07", "2025-08"]
    assert summary["payouts"].get("settled", 0) > 50
    assert summary["paid_vnd"] > 0
    assert summary["accrued_vnd"] >= summary["paid_vnd"]
    reconciliation = summary["reconciliation"]
    assert reconciliation["matched"] >= summary["payouts"]["settled"]
    assert reconciliation["tie_outs_hold"] is True
    assert reconciliation["refused_callbacks"] == 0
    assert "late decree" in done.stderr
    assert "recovery" in done.stderr
