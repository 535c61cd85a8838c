from datetime import date

from tests.conftest import bearer
from tests.support.people import enrol_person


def test_an_officer_runs_the_accrual_and_a_second_run_posts_nothing(client, session, token_for):
    enrol_person(session, "NCC_WAR_INVALID", date(2024, 7, 1), injury_rate=21)
    officer = bearer(token_for("officer"))
    first = client.post("/api/v1/periods/2024-07/accrual", json={}, headers=officer)
    assert first.status_code == 200
    assert first.get_json()["accrued_vnd"] == 1_878_000
    assert first.get_json()["by_programme"]["NCC"] == {"entries": 1, "amount_vnd": 1_878_000}
    second = client.post("/api/v1/periods/2024-07/accrual", json={}, headers=officer)
    assert second.get_json()["posted"] == 0, second.get_json()


def test_a_malformed_period_or_half_a_recompute_range_is_refused(client, token_for):
    officer = bearer(token_for("officer"))
    assert client.post("/api/v1/periods/2024-13/accrual", json={}, headers=officer).status_code == 422
    half = client.post("/api/v1/periods/2024-07/accrual", json={"recompute_from": "2024-01"}, headers=officer)
    assert half.status_code == 422
    assert "recompute_to" in half.get_json()["detail"]


def test_the_explanation_shows_each_month_owed_and_booked(client, session, token_for):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 8, 20))
    client.post("/api/v1/periods/2024-08/accrual", json={}, headers=bearer(token_for("officer")))
    body = client.get(
        f"/api/v1/beneficiaries/{person}/entitlements?from=2024-07&to=2024-08",
        headers=bearer(token_for("auditor")),
    ).get_json()
    july, august = body["months"]
    assert july["owed_vnd"] == 0
    assert any("rule 1" in note["rule"].lower() or "decision" in note["reason"] for note in july["notes"])
    assert august["owed_vnd"] == 750_000
    assert august["components"][0]["explanation"]
    assert august["ledger"] == {"accrual": 750_000}
    assert body["owed_now_vnd"] == 750_000


def test_the_explanation_of_an_unknown_person_is_404(client, token_for):
    response = client.get(
        "/api/v1/beneficiaries/999999/entitlements?from=2024-07&to=2024-08",
        headers=bearer(token_for("auditor")),
    )
    assert response.status_code == 404
