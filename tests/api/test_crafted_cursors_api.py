"""A cursor comes back from the client: one this API could not have issued (valid base64 JSON
with the wrong types inside) is a 422 problem naming the cursor on every paged list, never a
500 and never a query."""

import base64
import json

import pytest

from payments.api.pagination import decode_cursor, encode_cursor
from payments.errors import InvalidInput
from tests.conftest import bearer

PAGED = [  # (list, the key its cursors hold)
    ("/api/v1/beneficiaries", "id"),
    ("/api/v1/batches", "before_id"),
    ("/api/v1/batches/1/payouts", "after_id"),
    ("/api/v1/audit/events", "seq"),
    ("/api/v1/rates", "id"),
    ("/api/v1/jobs/runs", "before_id"),
    ("/api/v1/ledger/checkpoints", "id"),
    ("/api/v1/ledger/accounts/expense:BTXH/statement", "seq"),
    ("/api/v1/reconciliation/imports", "before_id"),
    ("/api/v1/reconciliation/runs", "before_id"),
    ("/api/v1/reconciliation/exceptions", "after_id"),
]
WRONG = ["x", "1", 1.5, True, None, [1], {"a": 1}, -1, 2**63, 10**400]


@pytest.fixture
def everyone(token_for) -> dict[str, str]:
    return bearer(token_for("officer", "finance", "auditor"))


@pytest.mark.parametrize(("url", "key"), PAGED)
def test_a_cursor_with_a_string_where_a_number_belongs_is_a_422_naming_the_cursor(client, everyone, url, key):
    response = client.get(url, query_string={"cursor": encode_cursor({key: "x"})}, headers=everyone)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["field"] == "cursor"
    assert "cursor" in body["detail"]


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/api/v1/ledger/accounts", {}),
        ("/api/v1/ledger/trial-balance", {"period": "2024-07"}),
        ("/api/v1/ledger/balances", {"as_of_seq": 0}),
    ],
)
def test_a_cursor_with_an_object_where_an_account_code_belongs_is_a_422(client, everyone, url, query):
    cursor = encode_cursor({"code": {"$gt": ""}})
    response = client.get(url, query_string={**query, "cursor": cursor}, headers=everyone)
    assert response.status_code == 422
    assert response.get_json()["field"] == "cursor"


@pytest.mark.parametrize("value", WRONG, ids=repr)
def test_an_id_is_a_non_negative_bigint_and_nothing_else(value):
    raw = base64.urlsafe_b64encode(json.dumps({"id": value}).encode()).decode()
    with pytest.raises(InvalidInput, match="cursor"):
        decode_cursor(raw)


@pytest.mark.parametrize(
    "position", [{"unknown": 1}, {"code": "x" * 201}, {"id": 1, "extra": "x"}], ids=["key", "long", "extra"]
)
def test_keys_no_list_pages_by_are_refused(position):
    issued = {"seq": 2**62, "line": 0, "code": "payable:68-000123"}
    assert decode_cursor(encode_cursor(issued)) == issued
    with pytest.raises(InvalidInput):
        decode_cursor(encode_cursor(position))


def test_an_overlong_or_deeply_nested_cursor_is_refused_not_a_crash():
    for body in (b"[" * 100_000, b"[" * 700):
        with pytest.raises(InvalidInput):
            decode_cursor(base64.urlsafe_b64encode(body).decode())
