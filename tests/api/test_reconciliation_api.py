"""Reconciliation over HTTP: signed callbacks, imports, runs, reports, exceptions; and the CLI."""

# ruff: noqa: F811 - the reconciliation fixtures are imported, then named as test arguments

import dataclasses
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from payments.adapters.errors import AdapterConfigError
from payments.adapters.replay import InMemoryNonceStore
from payments.adapters.sandbox.callbacks import CallbackSigner
from payments.app import create_app
from payments.cli import cli
from payments.disbursements.repository import payouts_in
from payments.ledger.model import Entry
from payments.reconcile.model import ReconException, ReconImport, ReconLine
from tests.conftest import bearer
from tests.integration.reconcile.conftest import (  # noqa: F401 - fixtures
    approved,
    build,
    cipher,
    dispatched,
    dispatcher,
    owed_people,
    routing,
    sandbox,
    today,
)
from tests.integration.reconcile.files import Booking, camt

API = "/api/v1/reconciliation"


@pytest.fixture
def bank_app(app, sandbox):
    """The app with the tests' sandbox configured as adapter `bank`."""
    runtime = app.extensions["payments"]
    app.extensions["payments"] = dataclasses.replace(runtime, adapters={**runtime.adapters, "bank": sandbox})
    return app


@pytest.fixture
def http(bank_app):
    return bank_app.test_client()


def _settled_callback(sandbox, payout_key):
    sandbox.settle(payout_key)
    (delivery,) = sandbox.take_callbacks()
    return delivery


def test_a_signed_callback_settles_its_payout_and_a_redelivery_changes_nothing(
    session,
    http,
    dispatched,
    sandbox,
):
    batch, (payout,) = dispatched(1)
    headers, body = _settled_callback(sandbox, payout.payout_key)
    answer = http.post("/callbacks/bank", data=body, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["outcomes"] == {"settled": 1}
    clock, window = (lambda: datetime.now(UTC)), timedelta(minutes=5)
    signer = CallbackSigner("redelivery", b"sandbox callback secret", InMemoryNonceStore(), clock, window)
    again_headers, again_body = signer.sign(json.loads(body))
    again = http.post("/callbacks/bank", data=again_body, headers=again_headers)
    assert again.get_json()["duplicate"] is True
    session.expire_all()
    assert payouts_in(session, batch.id)[0].state == "settled"


def test_a_forged_callback_is_refused_with_401_and_changes_nothing(session, http, dispatched, sandbox):
    batch, (payout,) = dispatched(1)
    headers, body = _settled_callback(sandbox, payout.payout_key)
    forged = body.replace(b'"settled"', b'"returned"')
    answer = http.post("/callbacks/bank", data=forged, headers=headers)
    assert answer.status_code == 401
    assert answer.mimetype == "application/problem+json"
    assert "signature" in answer.get_json()["detail"]
    session.expire_all()
    assert payouts_in(session, batch.id)[0].state == "accepted"


def test_a_replayed_callback_is_refused_with_401_and_changes_nothing(session, http, dispatched, sandbox):
    _, (payout,) = dispatched(1)
    headers, body = _settled_callback(sandbox, payout.payout_key)
    assert http.post("/callbacks/bank", data=body, headers=headers).status_code == 200
    before = _written(session)
    replay = http.post("/callbacks/bank", data=body, headers=headers)
    assert replay.status_code == 401
    assert replay.mimetype == "application/problem+json"
    assert "replayed" in replay.get_json()["detail"]
    assert _written(session) == before


SECRET = b"sandbox callback secret"  # the sandbox's default callback secret
WINDOW = timedelta(minutes=5)


def _written(session) -> dict[str, int]:
    """Rows a callback could write: imports, lines, exceptions, ledger entries."""
    session.expire_all()
    tables = (ReconImport, ReconLine, ReconException, Entry)
    return {t.__name__: session.scalar(select(func.count()).select_from(t)) for t in tables}


def _signed_raw(body: bytes, stamp: str, nonce: str) -> dict[str, str]:
    """Headers signing `body` as the provider does (HMAC-SHA256 over stamp, nonce, body digest)."""
    message = f"{stamp}\n{nonce}\n".encode() + hashlib.sha256(body).digest()
    return {
        "X-Timestamp": stamp,
        "X-Nonce": nonce,
        "X-Signature": hmac.new(SECRET, message, hashlib.sha256).hexdigest(),
    }


def test_a_stale_callback_is_refused_saying_so_and_changes_nothing(session, http, dispatched, sandbox):
    batch, (payout,) = dispatched(1)
    _, body = _settled_callback(sandbox, payout.payout_key)
    before = _written(session)
    an_hour_ago = lambda: datetime.now(UTC) - timedelta(hours=1)  # noqa: E731
    headers, stale = CallbackSigner("old", SECRET, InMemoryNonceStore(), an_hour_ago, WINDOW).sign(
        json.loads(body)
    )
    answer = http.post("/callbacks/bank", data=stale, headers=headers)
    assert answer.status_code == 401
    assert answer.mimetype == "application/problem+json"
    assert "timestamp outside the window" in answer.get_json()["detail"]
    assert _written(session) == before
    assert payouts_in(session, batch.id)[0].state == "accepted"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "malformed callback body"),
        (b'{"event_id": "E1", "payout_key": "K1"}', "malformed callback body"),
        (
            b'{"event_id": "E1", "payout_key": "K1", "status": "paid", "reason": null, "reference": "R",'
            b' "amount_vnd": 1000}',
            "malformed callback body",
        ),
    ],
    ids=["not-json", "fields-missing", "unknown-status"],
)
def test_a_signed_but_malformed_callback_is_a_400_naming_the_problem_and_changes_nothing(
    session, http, dispatched, body, says
):
    batch, _ = dispatched(1)
    before = _written(session)
    headers = _signed_raw(body, datetime.now(UTC).isoformat(), "test-nonce-malformed")
    answer = http.post("/callbacks/bank", data=body, headers=headers)
    assert answer.status_code == 400
    assert answer.mimetype == "application/problem+json"
    assert answer.get_json()["type"].endswith("/callback_malformed")
    assert says in answer.get_json()["detail"]
    assert _written(session) == before
    assert payouts_in(session, batch.id)[0].state == "accepted"


def test_a_callback_with_an_unreadable_timestamp_is_a_400(session, http, dispatched):
    dispatched(1)
    before = _written(session)
    body = b'{"event_id": "E2"}'
    answer = http.post(
        "/callbacks/bank", data=body, headers=_signed_raw(body, "yesterday", "test-nonce-stamp")
    )
    assert answer.status_code == 400
    assert "malformed callback timestamp" in answer.get_json()["detail"]
    assert _written(session) == before


def test_a_callback_for_an_unknown_adapter_is_404(http):
    assert http.post("/callbacks/nowhere", data=b"{}").status_code == 404


def test_an_oversized_callback_is_refused_unread_with_413_and_changes_nothing(
    session, http, dispatched, sandbox
):
    batch, (payout,) = dispatched(1)
    headers, body = _settled_callback(sandbox, payout.payout_key)
    padded = body[:-1] + b', "padding": "' + b"x" * 100_000 + b'"}'
    answer = http.post("/callbacks/bank", data=padded, headers=headers)
    assert answer.status_code == 413
    assert answer.mimetype == "application/problem+json"
    assert "at most 65536 bytes" in answer.get_json()["detail"]
    session.expire_all()
    assert payouts_in(session, batch.id)[0].state == "accepted"


def test_finance_imports_a_statement_and_auditors_read_the_report_and_tie_outs(
    http,
    token_for,
    dispatched,
    today,
):
    _, payouts = dispatched(2)
    finance, auditor = bearer(token_for("finance")), bearer(token_for("auditor"))
    data = camt([Booking(p.payout_key, p.amount_vnd) for p in payouts], today)
    created = http.post(f"{API}/imports?adapter=bank&file_name=eod.xml", data=data, headers=finance)
    assert created.status_code == 201, created.get_json()
    run_id = created.get_json()["run"]["id"]
    assert created.get_json()["outcomes"]["settled"]["count"] == 2
    again = http.post(f"{API}/imports?adapter=bank", data=data, headers=finance)
    assert again.status_code == 409
    text = http.get(f"{API}/runs/{run_id}/report?format=text", headers=auditor)
    assert text.mimetype == "text/plain"
    assert "Tie-outs: all hold" in text.get_data(as_text=True)
    assert http.get(f"{API}/tie-outs", headers=auditor).get_json()["holds"] is True
    assert http.get(f"{API}/imports", headers=auditor).get_json()["items"][0]["file_name"] == "eod.xml"
    assert http.post(f"{API}/runs", json={}, headers=auditor).status_code == 403


def test_a_statement_sent_again_as_other_bytes_is_a_409_naming_the_first_import(
    http, token_for, dispatched, today
):
    _, payouts = dispatched(1)
    finance = bearer(token_for("finance"))
    data = camt([Booking(p.payout_key, p.amount_vnd) for p in payouts], today)
    first = http.post(f"{API}/imports?adapter=bank&file_name=eod.xml", data=data, headers=finance)
    assert first.status_code == 201
    resent = data.replace(b"MSG-", b"MSG-RESENT-")
    again = http.post(f"{API}/imports?adapter=bank&file_name=eod-resent.xml", data=resent, headers=finance)
    assert again.status_code == 409
    assert again.get_json()["type"].endswith("/duplicate_statement")
    assert f"import {first.get_json()['imports'][0]['id']} (eod.xml)" in again.get_json()["detail"]


def test_a_malformed_upload_is_a_422_naming_the_line(http, token_for):
    finance = bearer(token_for("finance"))
    answer = http.post(
        f"{API}/imports?adapter=bank&kind=mt940", data=b":20:X\n:61:nonsense\n", headers=finance
    )
    assert answer.status_code == 422
    assert "line 2" in answer.get_json()["detail"]


def test_an_upload_over_the_configured_size_is_a_413_and_writes_nothing(app, session, token_for):
    small = app.extensions["payments"]
    limited = create_app(
        dataclasses.replace(small.settings, max_upload_mb=1),
        engine=small.engine,
        session_factory=small.session_factory,
    )
    answer = limited.test_client().post(
        f"{API}/imports?adapter=sandbox&kind=mt940",
        data=b"x" * (1024 * 1024 + 1),
        headers=bearer(token_for("finance")),
    )
    assert answer.status_code == 413
    assert answer.content_type == "application/problem+json"
    assert session.scalar(select(func.count()).select_from(ReconImport)) == 0


def test_exceptions_are_listed_assigned_and_a_write_off_needs_a_second_finance_user(
    http,
    token_for,
    dispatched,
    today,
):
    dispatched(1)
    first, second = bearer(token_for("finance")), bearer(token_for("finance"))
    http.post(f"{API}/imports?adapter=bank", data=camt([Booking("NOT-OURS-1", 99_000)], today), headers=first)
    listed = http.get(f"{API}/exceptions?kind=UNMATCHED_CONFIRMATION&state=open", headers=first).get_json()
    (found,) = listed["items"]
    url = f"{API}/exceptions/{found['id']}"
    assert http.post(f"{url}/assign", json={"assignee": "finance.thu"}, headers=first).status_code == 200
    proposal = {"action": "write_off", "reason": "bank fee, confirmed by phone"}
    assert http.post(f"{url}/resolve", json=proposal, headers=first).get_json()["state"] == "pending_approval"
    assert http.post(f"{url}/approve", json={"reason": "ok"}, headers=first).status_code == 422
    approved_body = http.post(f"{url}/approve", json={"reason": "agreed"}, headers=second).get_json()
    assert approved_body["state"] == "resolved"
    history = http.get(url, headers=first).get_json()["history"]
    assert [h["action"] for h in history] == [
        "raised",
        "assigned",
        "write_off_proposed",
        "write_off_approved",
    ]


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(cli, ["reconcile", *args])


def test_the_cli_imports_runs_and_prints_a_report(bank_app, tmp_path, dispatched, today):
    _, payouts = dispatched(2)
    path = tmp_path / "eod.xml"
    path.write_bytes(camt([Booking(p.payout_key, p.amount_vnd) for p in payouts], today))
    result = _cli(bank_app, "import", str(path), "--adapter", "bank", "--format", "json")
    assert result.exit_code == 0, result.output
    run_id = json.loads(result.output)["run"]["id"]
    again = _cli(bank_app, "import", str(path), "--adapter", "bank")
    assert again.exit_code == 2
    assert "same file" in again.output
    assert "outcomes,settled,count,2" in _cli(bank_app, "report", str(run_id), "--format", "csv").output
    run = _cli(bank_app, "run", "--dry-run")
    assert run.exit_code == 0
    assert "dry run" in run.output
    ties = _cli(bank_app, "tie-outs")
    assert ties.exit_code == 0, ties.output
    assert json.loads(ties.output)["holds"] is True


def test_an_unknown_run_is_a_problem_404(http, token_for):
    answer = http.get(f"{API}/runs/424242", headers=bearer(token_for("auditor")))
    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"


ADAPTERS_TOML = """
[bank]
kind = "sandbox"
default_outcome = "accept"
[bank.csv_mapping.columns]
end_to_end_id = "ma_giao_dich"
amount_vnd = "so_tien"
direction = "no_co"
booking_date = "ngay"
[bank.csv_mapping.directions]
N = "DBIT"
C = "CRDT"
"""


def _app_with_adapters(settings, engine, session_factory, path, text: str):
    path.write_text(text, encoding="utf-8")
    configured = dataclasses.replace(settings, adapters_file=str(path))
    return create_app(configured, engine=engine, session_factory=session_factory)


def test_a_csv_report_is_read_through_the_mapping_its_adapter_instance_configures(
    session, settings, engine, session_factory, tmp_path, token_for, dispatched, today
):
    app = _app_with_adapters(settings, engine, session_factory, tmp_path / "adapters.toml", ADAPTERS_TOML)
    batch, payouts = dispatched(2)
    rows = ["ma_giao_dich,so_tien,no_co,ngay"] + [f"{p.payout_key},{p.amount_vnd},N,{today}" for p in payouts]
    data, finance = "\n".join(rows).encode(), bearer(token_for("finance"))
    answer = app.test_client().post(f"{API}/imports?adapter=bank&kind=csv", data=data, headers=finance)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["outcomes"]["settled"] == {"count": 2, "amount_vnd": batch.total_vnd}
    session.expire_all()
    assert {p.state for p in payouts_in(session, batch.id)} == {"settled"}


def test_a_wrong_csv_mapping_stops_the_application_at_start(settings, engine, session_factory, tmp_path):
    wrong = ADAPTERS_TOML.replace('N = "DBIT"', 'N = "DEBIT"')
    with pytest.raises(AdapterConfigError, match=r"adapter bank: csv_mapping\.directions: N = 'DEBIT'"):
        _app_with_adapters(settings, engine, session_factory, tmp_path / "adapters.toml", wrong)
