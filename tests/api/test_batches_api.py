"""The batch workflow over HTTP: build, submit, approve by someone else, dispatch."""

from datetime import date

import pytest

from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from tests.conftest import bearer
from tests.support.people import OFFICER, enrol_person, give_bank_account


@pytest.fixture
def owed(session, session_factory):
    people = []
    for _ in range(2):
        person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
        give_bank_account(session, person, f"0071000{person:06d}", since=date(2024, 5, 1))
        people.append(person)
    with session_factory() as s:
        rates = load_rate_set(s, "68")
    accrue(session_factory, Period(2024, 7), rates, actor=OFFICER)
    return people


def test_officer_builds_approver_approves_and_the_batch_is_paid(client, owed, token_for):
    officer, approver = bearer(token_for("officer")), bearer(token_for("approver"))
    built = client.post("/api/v1/batches", json={"period": "2024-07"}, headers=officer)
    assert built.status_code == 201, built.get_json()
    (batch,) = built.get_json()["batches"]
    assert batch["total_vnd"] == 1_500_000
    assert client.post(f"/api/v1/batches/{batch['id']}/submit", headers=officer).status_code == 200
    detail = client.get(f"/api/v1/batches/{batch['id']}", headers=approver).get_json()
    assert detail["totals"]["channel"] == {"bank": {"payouts": 2, "amount_vnd": 1_500_000}}
    assert detail["approvals_needed"] == 1
    approved = client.post(
        f"/api/v1/batches/{batch['id']}/approve",
        json={"manifest_hash": detail["manifest_hash"]},
        headers=approver,
    )
    assert approved.get_json()["state"] == "approved"
    dispatched = client.post(f"/api/v1/batches/{batch['id']}/dispatch", headers=officer).get_json()
    assert dispatched["state"] == "dispatched"
    payouts = client.get(f"/api/v1/batches/{batch['id']}/payouts?state=settled", headers=approver).get_json()
    assert len(payouts["items"]) == 2
    assert "*" in payouts["items"][0]["instrument"]["account"]
    # The officer who pressed "send" is who the audit log and the ledger name, not "the system".
    events = client.get("/api/v1/audit/events?action=batch.dispatched", headers=bearer(token_for("auditor")))
    (event,) = [e for e in events.get_json()["items"] if e["target_id"] == str(batch["id"])]
    assert (event["role"], event["actor"].endswith("-officer")) == ("officer", True)


def test_approving_a_manifest_that_changed_is_a_409(client, owed, token_for):
    officer, approver = bearer(token_for("officer")), bearer(token_for("approver"))
    (batch,) = client.post("/api/v1/batches", json={"period": "2024-07"}, headers=officer).get_json()[
        "batches"
    ]
    client.post(f"/api/v1/batches/{batch['id']}/submit", headers=officer)
    stale = client.post(
        f"/api/v1/batches/{batch['id']}/approve", json={"manifest_hash": "a" * 64}, headers=approver
    )
    assert stale.status_code == 409
    assert stale.mimetype == "application/problem+json"


def test_one_person_holding_both_roles_cannot_approve_their_own_batch(client, owed, token_for):
    both = bearer(token_for("officer", "approver"))
    (batch,) = client.post("/api/v1/batches", json={"period": "2024-07"}, headers=both).get_json()["batches"]
    client.post(f"/api/v1/batches/{batch['id']}/submit", headers=both)
    response = client.post(
        f"/api/v1/batches/{batch['id']}/approve", json={"manifest_hash": batch["manifest_hash"]}, headers=both
    )
    assert response.status_code == 422
    assert "maker-checker" in response.get_json()["detail"]


def test_an_auditor_cannot_approve(client, owed, token_for):
    response = client.post("/api/v1/batches/1/approve", json={"manifest_hash": "a" * 64},
                           headers=bearer(token_for("auditor")))  # fmt: skip
    assert response.status_code == 403
