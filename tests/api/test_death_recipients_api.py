"""The recipients of what is owed to the dead, through the API: officers record, officers,
approvers and auditors read (masked), errors are problem+json, and no log line carries the
recipient's citizen ID or account."""

import json
import logging

import pytest
from sqlalchemy import select

from payments.audit.model import AuditEvent
from tests.api.test_registry_api import PERSON
from tests.conftest import bearer

SON_CITIZEN_ID = "060075004242"
SON_ACCOUNT = "0071009999"
SON = {
    "recipient_type": "person",
    "full_name": "Trần Văn Bình",
    "relationship": "con",
    "citizen_id": SON_CITIZEN_ID,
    "decision_reference": "45/QĐ-UBND",
    "instrument": {
        "kind": "bank",
        "bank_bin": "970436",
        "account_number": SON_ACCOUNT,
        "holder_name": "TRAN VAN BINH",
    },
}


@pytest.fixture
def officer(token_for):
    return bearer(token_for("officer"))


@pytest.fixture
def living(client, officer):
    response = client.post("/api/v1/beneficiaries", json=PERSON, headers=officer)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.fixture
def dead(client, officer, living):
    death = client.post(
        f"/api/v1/beneficiaries/{living}/death", json={"death_date": "2025-09-03"}, headers=officer
    )
    assert death.status_code == 200, death.get_json()
    return living


def url(beneficiary_id: int) -> str:
    return f"/api/v1/beneficiaries/{beneficiary_id}/death-recipients"


def test_an_officer_records_a_recipient_and_readers_see_it_masked(client, officer, token_for, dead):
    created = client.post(url(dead), json=SON, headers=officer)

    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["citizen_id"], body["instrument"]["account"]) == ("*********242", "*******999")
    assert (body["full_name"], body["in_force"], body["masked"]) == ("Trần Văn Bình", True, True)
    for role in ("approver", "auditor", "officer"):
        (listed,) = client.get(url(dead), headers=bearer(token_for(role))).get_json()
        assert listed["id"] == body["id"]
        assert listed["instrument"]["account"] == "*******999"


def test_an_auditor_unmasks_and_the_read_is_audited(client, officer, token_for, session, dead):
    client.post(url(dead), json=SON, headers=officer)

    (listed,) = client.get(url(dead) + "?unmask=true", headers=bearer(token_for("auditor"))).get_json()

    assert (listed["citizen_id"], listed["instrument"]["account"]) == (SON_CITIZEN_ID, SON_ACCOUNT)
    reads = session.scalars(select(AuditEvent.target_id).where(AuditEvent.action == "pii.unmasked_read"))
    assert list(reads) == [str(dead)]


def test_an_approver_may_not_record_nor_finance_read(client, token_for, dead):
    refused = client.post(url(dead), json=SON, headers=bearer(token_for("approver")))

    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert client.get(url(dead), headers=bearer(token_for("finance"))).status_code == 403


def test_a_recipient_for_a_living_person_is_a_422_problem(client, officer, living):
    refused = client.post(url(living), json=SON, headers=officer)

    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert problem["type"].endswith("/rule_violation")
    assert "no death recorded" in problem["detail"]
    assert client.get(url(living), headers=officer).get_json() == []


def test_an_invalid_citizen_id_is_a_422_naming_the_field(client, officer, dead):
    refused = client.post(url(dead), json={**SON, "citizen_id": "999175004242"}, headers=officer)

    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert [p["column"] for p in refused.get_json()["problems"]] == ["citizen_id"]


def test_an_unknown_instrument_field_is_refused_by_the_schema(client, officer, dead):
    wrong = {**SON, "instrument": {**SON["instrument"], "iban": "VN00"}}

    refused = client.post(url(dead), json=wrong, headers=officer)

    assert refused.status_code == 422
    assert "iban" in json.dumps(refused.get_json()["errors"])


def test_the_holds_say_what_to_do_until_a_recipient_is_recorded(client, officer, token_for, dead):
    holds_url = f"/api/v1/beneficiaries/{dead}/holds?on=2025-10-05"
    approver = bearer(token_for("approver"))
    (deceased, _no_instrument) = client.get(holds_url, headers=approver).get_json()["holds"]
    assert deceased["code"] == "deceased"
    assert "record the recipient of what is owed" in deceased["detail"]

    client.post(url(dead), json=SON, headers=officer)

    assert client.get(holds_url, headers=approver).get_json()["holds"] == []


def test_no_log_line_or_audit_event_carries_the_recipients_citizen_id_or_account(
    client, officer, token_for, session, dead, caplog
):
    caplog.set_level(logging.DEBUG)

    client.post(url(dead), json=SON, headers=officer)
    client.post(url(dead), json={**SON, "citizen_id": "999175004242"}, headers=officer)
    client.get(url(dead) + "?unmask=true", headers=bearer(token_for("auditor")))

    logged = "\n".join(record.getMessage() for record in caplog.records)
    audited = json.dumps([e.summary for e in session.scalars(select(AuditEvent))], ensure_ascii=False)
    for secret in (SON_CITIZEN_ID, SON_ACCOUNT, "999175004242"):
        assert secret not in logged
        assert secret not in audited
