"""`POST /api/v1/gifts/runs`: an officer's one-off gift run; bad input is a problem+json and
writes nothing."""

from datetime import date

import pytest
from sqlalchemy import select

from payments.entitlements.gifts import gift_key
from payments.ledger import accounts
from payments.ledger.model import Entry
from payments.ledger.services import balance
from tests.conftest import bearer
from tests.support.people import enrol_person

URL = "/api/v1/gifts/runs"
BODY = {
    "code": "tet-2025",
    "date": "2025-01-20",
    "decision": "QĐ 123/QĐ-UBND",
    "amounts": {"BTXH": 500_000, "NCC": 600_000},
}


def gift_entries(session) -> list[Entry]:
    return list(session.scalars(select(Entry).where(Entry.idempotency_key.like("gift:%"))))


def test_an_officer_runs_a_gift_and_a_second_run_posts_nothing(client, session, token_for):
    btxh_only, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    ncc_only, _ = enrol_person(session, "NCC_WAR_INVALID", date(2024, 7, 1), injury_rate=21)
    officer = bearer(token_for("officer"))

    first = client.post(URL, json=BODY, headers=officer)

    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert (body["given"], body["given_vnd"], body["already_given"], body["not_eligible"]) == (
        2,
        1_100_000,
        0,
        0,
    )
    assert body["by_programme"] == {
        "BTXH": {"entries": 1, "amount_vnd": 500_000},
        "NCC": {"entries": 1, "amount_vnd": 600_000},
    }
    assert -balance(session, accounts.payable(btxh_only)) == 500_000
    assert -balance(session, accounts.payable(ncc_only)) == 600_000
    again = client.post(URL, json=BODY, headers=officer).get_json()
    assert (again["given"], again["already_given"], again["already_given_vnd"]) == (0, 2, 1_100_000)


def test_a_dry_run_answers_the_same_summary_and_posts_nothing(client, session, token_for):
    enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    response = client.post(URL, json=BODY | {"dry_run": True}, headers=bearer(token_for("officer")))
    assert response.status_code == 200
    assert (response.get_json()["dry_run"], response.get_json()["given"]) == (True, 1)
    assert gift_entries(session) == []


@pytest.mark.parametrize("role", ["auditor", "approver", "finance"])
def test_a_role_other_than_officer_or_admin_is_refused(client, session, token_for, role):
    enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    response = client.post(URL, json=BODY, headers=bearer(token_for(role)))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert gift_entries(session) == []


def test_the_same_run_with_another_amount_is_a_409_naming_the_key(client, session, token_for):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    officer = bearer(token_for("officer"))
    client.post(URL, json=BODY, headers=officer)

    response = client.post(URL, json=BODY | {"amounts": {"BTXH": 550_000}}, headers=officer)

    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert gift_key("tet-2025", person) in response.get_json()["detail"]
    assert -balance(session, accounts.payable(person)) == 500_000


def test_an_unknown_programme_is_a_422_and_nothing_is_written(client, session, token_for):
    enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    body = BODY | {"amounts": {"BTXH": 500_000, "XYZ": 100_000}}

    response = client.post(URL, json=body, headers=bearer(token_for("officer")))

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "XYZ" in response.get_json()["detail"]
    assert gift_entries(session) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amounts": {"BTXH": 0}}, "amounts"),
        ({"amounts": {"BTXH": -500_000}}, "amounts"),
        ({"amounts": {"BTXH": 500_000.5}}, "amounts"),
        ({"amounts": {"BTXH": "500000"}}, "amounts"),
        ({"amounts": {"BTXH": True}}, "amounts"),
        ({"amounts": {}}, "amounts"),
        ({"code": "Tết 2025"}, "code"),
        ({"code": "tet:2025"}, "code"),
        ({"code": ""}, "code"),
        ({"date": "2025-02-30"}, "date"),
        ({"date": "20/01/2025"}, "date"),
        ({"decision": ""}, "decision"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_nothing_is_written(
    client, session, token_for, change, field
):
    enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))

    response = client.post(URL, json=BODY | change, headers=bearer(token_for("officer")))

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]["json"]
    assert gift_entries(session) == []


def test_a_missing_field_or_an_unknown_one_is_refused(client, token_for):
    officer = bearer(token_for("officer"))
    missing = {k: v for k, v in BODY.items() if k != "decision"}
    assert "decision" in client.post(URL, json=missing, headers=officer).get_json()["errors"]["json"]
    unknown = client.post(URL, json=BODY | {"colour": "red"}, headers=officer)
    assert unknown.status_code == 422
    assert "colour" in unknown.get_json()["errors"]["json"]
