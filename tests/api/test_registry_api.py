from sqlalchemy import select

from payments.audit.model import AuditEvent
from tests.conftest import bearer
from tests.integration.registry.test_import_and_keys import csv_text, row

PERSON = {
    "citizen_id": "068155000123",
    "full_name": "Nguyễn Thị Đào",
    "date_of_birth": "1955-04-02",
    "sex": "female",
    "commune_code": "24778",
    "phone": "+84 912 345 678",
}
TERMS = {
    "programme": "NCC",
    "category": "NCC_WAR_INVALID",
    "parameters": {"injury_rate": 61},
    "decision_number": "12/QĐ-UBND",
    "decision_date": "2024-08-20",
}


def _create(client, officer):
    response = client.post("/api/v1/beneficiaries", json=PERSON, headers=bearer(officer))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_officer_registers_a_person_and_sees_masked_identifiers(client, token_for):
    body = _create(client, token_for("officer"))
    assert body["citizen_id"] == "*********123"
    assert body["phone"] == "*******678"
    assert body["masked"] is True


def test_an_auditor_may_unmask_and_the_read_is_audited(client, token_for, session):
    beneficiary = _create(client, token_for("officer"))
    url = f"/api/v1/beneficiaries/{beneficiary['id']}?unmask=true"
    body = client.get(url, headers=bearer(token_for("auditor"))).get_json()
    assert (body["citizen_id"], body["phone"], body["masked"]) == ("068155000123", "0912345678", False)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "pii.unmasked_read")).all()
    assert [e.target_id for e in events] == [str(beneficiary["id"])]


def test_finance_may_read_but_not_unmask_or_write(client, token_for):
    beneficiary = _create(client, token_for("officer"))
    finance = bearer(token_for("finance"))
    assert client.get(f"/api/v1/beneficiaries/{beneficiary['id']}", headers=finance).status_code == 200
    assert (
        client.get(f"/api/v1/beneficiaries/{beneficiary['id']}?unmask=true", headers=finance).status_code
        == 403
    )
    assert client.post("/api/v1/beneficiaries", json=PERSON, headers=finance).status_code == 403


def test_an_invalid_citizen_id_is_a_422_naming_the_field(client, token_for):
    response = client.post(
        "/api/v1/beneficiaries", json={**PERSON, "sex": "male"}, headers=bearer(token_for("officer"))
    )
    assert response.status_code == 422
    assert response.get_json()["problems"][0]["column"] == "citizen_id"


def test_a_duplicate_is_a_409(client, token_for):
    officer = token_for("officer")
    _create(client, officer)
    assert client.post("/api/v1/beneficiaries", json=PERSON, headers=bearer(officer)).status_code == 409


def test_search_by_name_without_diacritics_and_exact_citizen_id_with_pagination(client, token_for):
    officer = token_for("officer")
    _create(client, officer)
    client.post(
        "/api/v1/beneficiaries",
        headers=bearer(officer),
        json={**PERSON, "citizen_id": "068155000124", "full_name": "Đặng Thị Đào"},
    )
    first = client.get("/api/v1/beneficiaries?name=thi%20dao&limit=1", headers=bearer(officer)).get_json()
    assert len(first["items"]) == 1
    assert first["next_cursor"]
    second = client.get(
        f"/api/v1/beneficiaries?name=thi%20dao&limit=1&cursor={first['next_cursor']}", headers=bearer(officer)
    ).get_json()
    assert second["items"][0]["full_name"] == "Đặng Thị Đào"
    exact = client.get("/api/v1/beneficiaries?citizen_id=068155000124", headers=bearer(officer)).get_json()
    assert [i["full_name"] for i in exact["items"]] == ["Đặng Thị Đào"]


def test_enrol_suspend_resume_and_read_as_of_a_date(client, token_for):
    officer = bearer(token_for("officer"))
    beneficiary = _create(client, token_for("officer"))
    created = client.post(
        f"/api/v1/beneficiaries/{beneficiary['id']}/enrolments", json=TERMS, headers=officer
    )
    assert created.status_code == 201, created.get_json()
    enrolment_id = created.get_json()["id"]
    suspended = client.post(
        f"/api/v1/enrolments/{enrolment_id}/suspend",
        headers=officer,
        json={"reason": "cash not collected for three months"},
    )
    assert suspended.get_json()["status"] == "suspended"
    assert (
        client.post(
            f"/api/v1/enrolments/{enrolment_id}/suspend", json={"reason": "again"}, headers=officer
        ).status_code
        == 422
    )
    resumed = client.post(
        f"/api/v1/enrolments/{enrolment_id}/resume", json={"reason": "collected"}, headers=officer
    )
    assert [v["status"] for v in resumed.get_json()["versions"]] == ["active", "suspended", "active"]
    old = client.get(
        f"/api/v1/enrolments/{enrolment_id}?as_of=2024-09-01", headers=bearer(token_for("approver"))
    )
    assert old.get_json()["in_force"]["version"] == 1


def test_instrument_holds_and_death_through_the_api(client, token_for):
    officer = bearer(token_for("officer"))
    beneficiary = _create(client, token_for("officer"))
    base = f"/api/v1/beneficiaries/{beneficiary['id']}"
    account = {
        "kind": "bank",
        "bank_bin": "970436",
        "account_number": "0123456789",
        "holder_name": "NGUYEN THI DAO",
        "effective_from": "2025-01-01",
    }
    set_response = client.post(f"{base}/instruments", json=account, headers=officer)
    assert set_response.get_json()["account"] == "*******789"
    assert client.get(f"{base}/holds?on=2025-09-01", headers=officer).get_json()["holds"] == []
    assert client.post(f"{base}/death", json={"death_date": "2025-09-03"}, headers=officer).status_code == 200
    holds = client.get(f"{base}/holds?on=2025-09-20", headers=bearer(token_for("finance"))).get_json()[
        "holds"
    ]
    assert [h["code"] for h in holds] == ["deceased"]


def test_import_endpoint_reports_problems_and_writes_nothing_then_imports(client, token_for):
    officer = bearer(token_for("officer"))
    bad = csv_text(row(1), row(2, commune_code="00000"))
    refused = client.post("/api/v1/registry/imports", data=bad, content_type="text/csv", headers=officer)
    assert refused.status_code == 422
    assert refused.get_json()["problems"] == [
        {
            "row": 3,
            "column": "commune_code",
            "message": "commune '00000' is not in the list of administrative units",
        }
    ]
    good = csv_text(row(1), row(2))
    dry = client.post(
        "/api/v1/registry/imports?dry_run=true", data=good, content_type="text/csv", headers=officer
    )
    assert (dry.get_json()["beneficiaries_created"], dry.get_json()["written"]) == (2, False)
    upload = {"file": (__import__("io").BytesIO(good.encode()), "list.csv")}
    done = client.post(
        "/api/v1/registry/imports", data=upload, content_type="multipart/form-data", headers=officer
    )
    assert done.status_code == 200
    assert done.get_json()["written"] is True
    listed = client.get("/api/v1/beneficiaries?programme=NCC&status=active", headers=officer).get_json()
    assert len(listed["items"]) == 2


def test_admins_add_categories_and_everyone_reads_programmes(client, token_for):
    category = {
        "code": "BTXH_TEST_EXTRA",
        "programme": "BTXH",
        "name_vi": "Thử",
        "name_en": "Test",
        "parameters": [{"name": "coefficient", "type": "decimal", "min": "0.5", "max": "3"}],
    }
    assert (
        client.post("/api/v1/categories", json=category, headers=bearer(token_for("admin"))).status_code
        == 201
    )
    assert (
        client.post("/api/v1/categories", json=category, headers=bearer(token_for("admin"))).status_code
        == 409
    )
    programmes = client.get("/api/v1/programmes", headers=bearer(token_for("auditor"))).get_json()
    btxh = next(p for p in programmes if p["code"] == "BTXH")
    assert "BTXH_TEST_EXTRA" in [c["code"] for c in btxh["categories"]]


def test_merged_units_report_under_their_successor(client, token_for):
    body = client.get("/api/v1/admin-units/67?on=2025-07-01", headers=bearer(token_for("officer"))).get_json()
    assert body["current_code"] == "68"


def test_the_registry_is_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {
        "/api/v1/beneficiaries",
        "/api/v1/registry/imports",
        "/api/v1/enrolments/{enrolment_id}/suspend",
    } <= set(paths)
