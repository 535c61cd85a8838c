"""The ledger API: what auditors and finance staff can read, page through and verify."""

import csv
import io
from datetime import date

import pytest
from sqlalchemy import text

from payments.config import development_signing_key
from payments.context import SYSTEM
from payments.ledger import checkpoints, notes, services
from payments.ledger.draft import EntryDraft
from tests.conftest import bearer

BASE = "/api/v1/ledger"


def _post(session, key, day, postings, **extra):
    draft = EntryDraft(key, extra.pop("kind", "accrual"), day, postings, **extra)
    return services.post_entry(session, draft, actor=SYSTEM)


@pytest.fixture
def books(session):
    _post(session, "jun", date(2025, 6, 30), (("expense:BTXH", 400), ("payable:1", -400)), enrolment_ref="E1")
    _post(session, "jul", date(2025, 7, 1), (("expense:BTXH", 500), ("payable:1", -500)), period="2025-07")
    _post(session, "out", date(2025, 7, 10), (("payable:1", 900), ("in_flight:napas", -900)), payout_ref="P1")
    _post(session, "p2", date(2025, 7, 12), (("expense:NCC", 70), ("payable:2", -70)), memo={"rate": "1.5"})
    session.commit()
    return session


@pytest.fixture
def auditor(token_for):
    return bearer(token_for("auditor"))


def _pages(client, url, headers):
    items, cursor = [], None
    while True:
        body = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers).get_json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def test_an_auditor_pages_through_accounts_with_their_balances(client, books, auditor):
    items = _pages(client, f"{BASE}/accounts?limit=2", auditor)
    assert [(a["code"], a["balance_vnd"]) for a in items] == [
        ("expense:BTXH", 900),
        ("expense:NCC", 70),
        ("in_flight:napas", -900),
        ("payable:1", 0),
        ("payable:2", -70),
    ]
    payables = client.get(f"{BASE}/accounts?type=payable", headers=auditor).get_json()["items"]
    assert [a["owner_ref"] for a in payables] == ["1", "2"]


def test_a_statement_pages_by_sequence_with_a_running_balance(client, books, auditor):
    items = _pages(client, f"{BASE}/accounts/payable:1/statement?limit=1", auditor)
    assert [(i["seq"], i["amount_vnd"], i["balance_vnd"]) for i in items] == [
        (1, -400, -400),
        (2, -500, -900),
        (3, 900, 0),
    ]
    assert items[2]["payout_ref"] == "P1"


def test_a_statement_of_an_unknown_or_malformed_account_is_refused(client, books, auditor):
    assert client.get(f"{BASE}/accounts/payable:404/statement", headers=auditor).status_code == 404
    assert client.get(f"{BASE}/accounts/cash:1/statement", headers=auditor).status_code == 422


def test_an_entry_shows_its_postings_links_hashes_and_reversal(client, session, books, auditor):
    services.reverse_entry(session, 4, effective_date=date(2025, 7, 13), reason="wrong rate", actor=SYSTEM)
    session.commit()
    body = client.get(f"{BASE}/entries/4", headers=auditor).get_json()
    assert body["postings"] == [
        {"line": 1, "account": "expense:NCC", "amount_vnd": 70},
        {"line": 2, "account": "payable:2", "amount_vnd": -70},
    ]
    assert (body["memo"], body["reversed_by_seq"], body["reverses_seq"]) == ({"rate": "1.5"}, 5, None)
    assert len(body["hash"]) == len(body["prev_hash"]) == len(body["content_hash"]) == 64
    reversal = client.get(f"{BASE}/entries/5", headers=auditor).get_json()
    assert (reversal["kind"], reversal["reverses_seq"]) == ("reversal", 4)
    assert client.get(f"{BASE}/entries/99", headers=auditor).status_code == 404


def test_the_trial_balance_of_a_period_totals_debits_and_credits(client, books, auditor):
    body = client.get(f"{BASE}/trial-balance?period=2025-07", headers=auditor).get_json()
    assert body["total_debit_vnd"] == body["total_credit_vnd"] == 1470
    payable = next(row for row in body["items"] if row["account"] == "payable:1")
    assert payable == {
        "account": "payable:1",
        "type": "payable",
        "opening_vnd": -400,
        "debit_vnd": 900,
        "credit_vnd": 500,
        "closing_vnd": 0,
    }
    refused = client.get(f"{BASE}/trial-balance?period=2025-7", headers=auditor)
    assert refused.status_code == 422
    assert "period" in refused.get_json()["errors"]["query"]


def test_balances_as_of_a_date_or_sequence_number(client, books, auditor):
    body = client.get(f"{BASE}/balances?as_of_date=2025-06-30", headers=auditor).get_json()
    assert body["items"] == [
        {"account": "expense:BTXH", "balance_vnd": 400},
        {"account": "payable:1", "balance_vnd": -400},
    ]
    by_seq = client.get(f"{BASE}/balances?as_of_seq=3&type=payable", headers=auditor).get_json()
    assert by_seq["items"] == [{"account": "payable:1", "balance_vnd": 0}]
    assert client.get(f"{BASE}/balances", headers=auditor).status_code == 422


def test_postings_stream_as_csv_in_chain_order(client, books, auditor):
    response = client.get(f"{BASE}/export.csv", headers=auditor)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["seq"], r["line"], r["account"], r["amount_vnd"]) for r in rows][:2] == [
        ("1", "1", "expense:BTXH", "400"),
        ("1", "2", "payable:1", "-400"),
    ]
    assert len(rows) == 8
    only = client.get(f"{BASE}/export.csv?account=payable:1&from_seq=2", headers=auditor)
    assert [r["seq"] for r in csv.DictReader(io.StringIO(only.get_data(as_text=True)))] == ["2", "3"]


def test_checkpoints_are_listed_and_the_public_key_checks_them(client, session, books, auditor, token_for):
    checkpoints.create_checkpoint(session, development_signing_key(), "payments.example/ledger", actor=SYSTEM)
    session.commit()
    [listed] = client.get(f"{BASE}/checkpoints", headers=auditor).get_json()["items"]
    key = client.get(f"{BASE}/public-key", headers=bearer(token_for("officer"))).get_json()
    verifier = notes.NoteKey.from_vkey(key["vkey"])
    assert notes.open_note(listed["note"], [verifier]).size == listed["size"] == 4
    assert key["key_id"] == listed["key_id"]


def test_verify_reports_ok_then_names_the_first_tampered_entry(client, session, books, token_for, db_kind):
    finance = bearer(token_for("finance"))
    assert client.get(f"{BASE}/verify", headers=finance).get_json()["ok"] is True
    if db_kind == "postgresql":
        session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
        session.execute(text("ALTER TABLE ledger_entries DISABLE TRIGGER USER"))
    else:
        session.execute(text("DROP TRIGGER ledger_entries_no_update"))
    session.execute(text("UPDATE ledger_entries SET actor = 'mallory' WHERE seq = 2"))
    session.commit()
    body = client.get(f"{BASE}/verify", headers=finance).get_json()
    assert (body["ok"], body["first_bad_seq"], body["entries"]) == (False, 2, 1)


def test_officers_and_approvers_cannot_read_the_books(client, books, token_for):
    for role in ("officer", "approver"):
        assert client.get(f"{BASE}/accounts", headers=bearer(token_for(role))).status_code == 403


def test_the_ledger_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {f"{BASE}/verify", f"{BASE}/public-key", f"{BASE}/accounts/{{code}}/statement"} <= set(paths)
