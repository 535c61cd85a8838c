"""The rates API: staff read the figures; administrators add, close and correct them."""

import pytest

from tests.conftest import bearer
from tests.factories import RateFactory

STANDARD = {"code": "btxh.standard_level", "source": "Decree 99/2026 (test)"}


@pytest.mark.parametrize("role", ["officer", "approver", "finance", "auditor", "admin"])
def test_staff_list_the_war_invalid_table_by_code_prefix(client, token_for, role):
    body = client.get(
        "/api/v1/rates?code=ncc.war_invalid.&limit=100", headers=bearer(token_for(role))
    ).get_json()
    assert len(body["items"]) == 80
    first = body["items"][0]
    assert (first["code"], first["amount_vnd"], first["unit"], first["valid_from"]) == (
        "ncc.war_invalid.21",
        1_878_000,
        "vnd",
        "2024-07-01",
    )


def test_rates_in_force_on_a_day_page_by_cursor_without_repeats(client, token_for):
    token = token_for("auditor")
    seen, cursor = [], None
    while True:
        url = "/api/v1/rates?on=2024-06-15&limit=7" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=bearer(token)).get_json()
        seen += [(item["id"], item["code"]) for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    codes = [code for _id, code in seen]
    assert len(set(codes)) == len(codes)
    assert "btxh.standard_level" in codes
    assert not any(code.startswith("ncc.war_invalid.") for code in codes)  # table starts 2024-07-01


def test_coefficients_are_shown_as_exact_decimals(client, token_for):
    body = client.get("/api/v1/rates?code=ncc.nursing.home", headers=bearer(token_for("officer"))).get_json()
    assert [(i["coefficient"], i["amount_vnd"], i["unverified"]) for i in body["items"]] == [
        ("0.9", None, True)
    ]


def test_provincial_rows_are_filtered_by_scope(client, token_for, session):
    RateFactory(scope="68", amount_vnd=610_000)
    session.commit()
    body = client.get("/api/v1/rates?scope=68", headers=bearer(token_for("finance"))).get_json()
    assert [(i["code"], i["amount_vnd"]) for i in body["items"]] == [("btxh.standard_level", 610_000)]


def test_an_admin_adds_a_provincial_standard_level_and_it_is_audited(client, token_for):
    admin = token_for("admin")
    response = client.post(
        "/api/v1/rates",
        json={**STANDARD, "scope": "68", "valid_from": "2024-07-01", "amount_vnd": 650_000},
        headers=bearer(admin),
    )
    assert response.status_code == 201
    rate = response.get_json()
    assert (rate["scope"], rate["amount_vnd"], rate["valid_to"], rate["unverified"]) == (
        "68",
        650_000,
        None,
        False,
    )
    audit = client.get(
        f"/api/v1/audit/events?action=rate.add&target_id={rate['id']}", headers=bearer(admin)
    ).get_json()
    assert audit["items"][0]["summary"]["after"]["value"] == 650_000


def test_an_overlap_is_a_422_problem_naming_the_dates(client, token_for):
    response = client.post(
        "/api/v1/rates",
        json={**STANDARD, "valid_from": "2025-01-01", "amount_vnd": 600_000},
        headers=bearer(token_for("admin")),
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "2025-01-01" in response.get_json()["detail"]
    assert "2024-07-01" in response.get_json()["detail"]


def test_a_lower_provincial_standard_is_refused(client, token_for):
    response = client.post(
        "/api/v1/rates",
        json={**STANDARD, "scope": "68", "valid_from": "2024-07-01", "amount_vnd": 400_000},
        headers=bearer(token_for("admin")),
    )
    assert response.status_code == 422
    assert "below the national figure" in response.get_json()["detail"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"amount_vnd": 1, "coefficient": "1.5"}, "_schema"),
        ({}, "_schema"),
        ({"coefficient": "1.2345"}, "coefficient"),
        ({"amount_vnd": 600_000, "colour": "red"}, "colour"),
    ],
)
def test_a_body_without_exactly_one_well_formed_value_is_refused(client, token_for, extra, field):
    response = client.post(
        "/api/v1/rates",
        json={**STANDARD, "valid_from": "2030-01-01", **extra},
        headers=bearer(token_for("admin")),
    )
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_a_value_in_the_wrong_unit_is_refused(client, token_for):
    response = client.post(
        "/api/v1/rates",
        json={**STANDARD, "scope": "68", "valid_from": "2024-07-01", "coefficient": "1.5"},
        headers=bearer(token_for("admin")),
    )
    assert response.status_code == 422
    assert "measured in vnd" in response.get_json()["detail"]


def test_an_admin_closes_the_open_row_then_adds_the_next_figure(client, token_for):
    admin = token_for("admin")
    rows = client.get(
        "/api/v1/rates?code=btxh.standard_level&scope=national", headers=bearer(admin)
    ).get_json()
    current = rows["items"][-1]
    closed = client.post(
        f"/api/v1/rates/{current['id']}/close", json={"valid_to": "2025-12-31"}, headers=bearer(admin)
    )
    assert closed.status_code == 200
    assert closed.get_json()["valid_to"] == "2025-12-31"
    added = client.post(
        "/api/v1/rates",
        json={**STANDARD, "valid_from": "2026-01-01", "amount_vnd": 600_000},
        headers=bearer(admin),
    )
    assert added.status_code == 201


def test_an_admin_corrects_an_unverified_figure(client, token_for):
    admin = token_for("admin")
    row = client.get("/api/v1/rates?code=ncc.war_invalid.22", headers=bearer(admin)).get_json()["items"][0]
    response = client.post(
        f"/api/v1/rates/{row['id']}/correction",
        json={"amount_vnd": 1_970_000, "source": "gazette, checked"},
        headers=bearer(admin),
    )
    assert response.status_code == 201
    assert (response.get_json()["amount_vnd"], response.get_json()["unverified"]) == (1_970_000, False)
    history = client.get(
        "/api/v1/rates?code=ncc.war_invalid.22&include_superseded=true", headers=bearer(admin)
    ).get_json()
    assert [i["superseded_by_id"] for i in history["items"]] == [response.get_json()["id"], None]


def test_closing_an_unknown_rate_is_a_404(client, token_for):
    response = client.post(
        "/api/v1/rates/999999/close", json={"valid_to": "2025-12-31"}, headers=bearer(token_for("admin"))
    )
    assert response.status_code == 404


def test_an_officer_cannot_add_a_rate(client, token_for):
    response = client.post(
        "/api/v1/rates",
        json={**STANDARD, "valid_from": "2030-01-01", "amount_vnd": 1},
        headers=bearer(token_for("officer")),
    )
    assert response.status_code == 403


def test_the_rates_api_is_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"/api/v1/rates", "/api/v1/rates/{rate_id}/close", "/api/v1/rates/{rate_id}/correction"} <= set(
        paths
    )


def test_a_late_decree_is_added_in_one_request_closing_the_open_row(client, token_for):
    admin = token_for("admin")
    response = client.post(
        "/api/v1/rates",
        json={**STANDARD, "valid_from": "2026-01-01", "amount_vnd": 600_000, "close_previous": True},
        headers=bearer(admin),
    )
    assert response.status_code == 201
    rows = client.get(
        "/api/v1/rates?code=btxh.standard_level&scope=national", headers=bearer(admin)
    ).get_json()
    assert [(i["valid_from"], i["valid_to"]) for i in rows["items"][-2:]] == [
        ("2024-07-01", "2025-12-31"),
        ("2026-01-01", None),
    ]
