"""Retrying a dispatched batch's failed payouts over HTTP: officers only, refusals as problems."""

import pytest

from payments.disbursements.approval import place_manual_hold
from tests.conftest import bearer
from tests.support.batches import dispatched_with_rejections, owed_july
from tests.support.people import OFFICER


@pytest.fixture
def failed_batch(app, session, session_factory):
    """(the dispatched July batch, its three people), the second one's account rejected as closed."""
    people = owed_july(session, session_factory, 3)
    return dispatched_with_rejections(app, session, [people[1][1]]), people


def test_an_officer_builds_a_follow_up_that_pays_again_only_the_failed_payout(
    client, token_for, failed_batch
):
    batch, people = failed_batch
    officer = bearer(token_for("officer"))
    (failed,) = client.get(f"/api/v1/batches/{batch.id}/payouts?state=rejected", headers=officer).get_json()[
        "items"
    ]

    response = client.post(f"/api/v1/batches/{batch.id}/retry", headers=officer)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["parent_batch_id"], body["holds"]) == (batch.id, [])
    (follow_up,) = body["batches"]
    assert follow_up["parent_batch_id"] == batch.id
    assert (follow_up["state"], follow_up["payout_count"], follow_up["total_vnd"]) == ("draft", 1, 750_000)
    (payout,) = client.get(f"/api/v1/batches/{follow_up['id']}/payouts", headers=officer).get_json()["items"]
    assert (payout["beneficiary_id"], payout["attempt"]) == (people[1][0], 2)
    assert payout["original_payout_id"] == failed["id"]
    submitted = client.post(f"/api/v1/batches/{follow_up['id']}/submit", headers=officer)
    assert submitted.get_json()["state"] == "pending_approval"  # approved like any batch


def test_people_held_are_listed_with_their_reasons(client, token_for, session, failed_batch):
    batch, people = failed_batch
    place_manual_hold(session, OFFICER, people[1][0], reason="family reports a move to another province")
    session.commit()
    body = client.post(f"/api/v1/batches/{batch.id}/retry", headers=bearer(token_for("officer"))).get_json()
    assert body["batches"] == []
    (hold,) = body["holds"]
    assert (hold["beneficiary_id"], hold["amount_vnd"]) == (people[1][0], 750_000)
    assert hold["reasons"] == [{"code": "manual", "detail": "family reports a move to another province"}]


def test_retrying_again_is_a_422_problem_that_says_why(client, token_for, failed_batch):
    batch, _ = failed_batch
    officer = bearer(token_for("officer"))
    assert client.post(f"/api/v1/batches/{batch.id}/retry", headers=officer).status_code == 201
    again = client.post(f"/api/v1/batches/{batch.id}/retry", headers=officer)
    assert again.status_code == 422
    assert again.mimetype == "application/problem+json"
    assert (
        again.get_json()["detail"]
        == f"batch {batch.id} has nothing to retry: of its 1 failed payouts, 1 already followed up"
    )


def test_a_draft_cannot_be_retried_and_an_unknown_batch_is_a_404(client, token_for, session, session_factory):
    owed_july(session, session_factory, 1)
    officer = bearer(token_for("officer"))
    (draft,) = client.post("/api/v1/batches", json={"period": "2024-07"}, headers=officer).get_json()[
        "batches"
    ]
    refused = client.post(f"/api/v1/batches/{draft['id']}/retry", headers=officer)
    assert refused.status_code == 422
    assert "nothing can have failed before it is dispatched" in refused.get_json()["detail"]
    unknown = client.post("/api/v1/batches/424242/retry", headers=officer)
    assert unknown.status_code == 404
    assert unknown.mimetype == "application/problem+json"


def test_an_approver_cannot_build_a_follow_up(client, token_for, failed_batch):
    batch, _ = failed_batch
    response = client.post(f"/api/v1/batches/{batch.id}/retry", headers=bearer(token_for("approver")))
    assert response.status_code == 403
