"""Post office messages: cash-order states and reasons map to the protocol; callbacks are verified
(client id, signature, timestamp window, nonce); anything malformed is refused, never guessed."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from payments.adapters.base import AdapterServices
from payments.adapters.errors import AdapterConfigError, AdapterProtocolError, CallbackRejected
from payments.adapters.ewallet import signing
from payments.adapters.replay import InMemoryNonceStore
from payments.adapters.vnpost import mapping
from payments.adapters.vnpost.client import create
from payments.adapters.vocabulary import PayoutStatus, ReasonCode

SECRET = "callback-secret-of-32-characters"
NOW = datetime(2025, 1, 31, 9, tzinfo=UTC)
EXPIRED = {
    "event_id": "ev-1",
    "order_ref": "K-1",
    "order_no": "VNP1",
    "state": "EXPIRED",
    "error_code": "NOT_COLLECTED",
    "message": "not collected within the pickup window",
    "amount": 500_000,
    "occurred_at": int(NOW.timestamp()),
}


def adapter(nonce_store=None):
    settings = {"base_url": "http://127.0.0.1:9", "client_id": "PAYMENTS", "secret": SECRET}
    services = AdapterServices(
        clock=lambda: NOW, nonce_store=lambda _name: nonce_store or InMemoryNonceStore()
    )
    return create("vnpost", settings, services)


def delivery(event=EXPIRED, sent_at: datetime = NOW, nonce: str = "n-1", **changes):
    body = json.dumps(event).encode() if isinstance(event, dict) else event
    stamp = str(int(sent_at.timestamp()))
    signature = signing.sign(SECRET.encode(), signing.callback_message(stamp, nonce, body))
    headers = {"X-Client-Id": "PAYMENTS", "X-Timestamp": stamp, "X-Nonce": nonce, "X-Signature": signature}
    return {**headers, **changes}, body


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("AWAITING_PICKUP", PayoutStatus.ACCEPTED),
        ("PAID", PayoutStatus.SETTLED),
        ("EXPIRED", PayoutStatus.RETURNED),
        ("NOT_FOUND", PayoutStatus.NOT_FOUND),
    ],
)
def test_cash_order_states_map_to_protocol_statuses(state, status):
    payload = {"order_ref": "K-1", "state": state, "error_code": "NOT_COLLECTED", "amount": 500_000}
    result = mapping.status_from_wire("K-1", payload)
    assert result.status is status
    assert result.reason is (ReasonCode.NOAS if status is PayoutStatus.RETURNED else None)


def test_a_refusal_keeps_its_reason_and_text_and_an_unknown_code_becomes_ms03():
    commune = mapping.send_result_from_wire(
        {"order_ref": "K", "state": "REFUSED", "error_code": "UNKNOWN_COMMUNE", "message": "no post office"}
    )
    odd = mapping.send_result_from_wire(
        {"order_ref": "K", "state": "REFUSED", "error_code": "X9", "message": "?"}
    )
    assert (commune.reason, commune.reason_text) == (ReasonCode.AC01, "no post office")
    assert (odd.reason, odd.reason_text) == (ReasonCode.MS03, "X9: ?")


def test_a_resend_of_an_expired_order_is_unknown_for_status_to_explain():
    result = mapping.send_result_from_wire(
        {"order_ref": "K", "state": "EXPIRED", "error_code": "NOT_COLLECTED"}
    )
    assert (result.status, result.reason_text) == (PayoutStatus.UNKNOWN, "already returned")


@pytest.mark.parametrize(
    "payload",
    [{"state": "PAID"}, {"order_ref": "K", "state": "COLLECTED?"}, {"order_ref": "K", "state": None}],
)
def test_a_malformed_order_answer_is_a_protocol_error(payload):
    with pytest.raises(AdapterProtocolError, match="post office"):
        mapping.send_result_from_wire(payload)


def statement(**changes):
    line = {"entry_ref": "E1", "order_ref": "K-1", "order_no": "VNP1", "amount": 500_000, "direction": "DBIT",
            "booked_on": "2025-01-31"}  # fmt: skip
    payload = {"account": "VNPOST-PAYMENTS", "date": "2025-01-31", "opening_balance": 1_000_000,
               "closing_balance": 500_000, "lines": [line]}  # fmt: skip
    return {**payload, **changes}


def test_a_statement_reads_balances_and_collection_debits():
    read = mapping.statement_from_wire(statement(), date(2025, 1, 31))
    assert read.is_balanced
    [line] = read.entries
    assert (line.end_to_end_id, line.amount_vnd, line.direction.value) == ("K-1", 500_000, "DBIT")


@pytest.mark.parametrize(
    "changes",
    [{"date": "2025-01-30"}, {"opening_balance": 1_000_000.0}, {"lines": [{"amount": 1}]}],
    ids=["another-day", "float-amount", "bad-line"],
)
def test_a_statement_for_another_day_or_with_bad_amounts_is_a_protocol_error(changes):
    with pytest.raises(AdapterProtocolError):
        mapping.statement_from_wire(statement(**changes), date(2025, 1, 31))


def test_a_genuine_expiry_callback_becomes_a_returned_noas_event():
    event = adapter().parse_callback(*delivery())
    assert (event.event_id, event.payout_key, event.status, event.reason, event.amount_vnd) == (
        "ev-1",
        "K-1",
        PayoutStatus.RETURNED,
        ReasonCode.NOAS,
        500_000,
    )
    assert event.occurred_at == NOW


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"X-Client-Id": "SOMEONE-ELSE"}, "another client"),
        ({"X-Signature": "0" * 64}, "signature"),
        ({"X-Nonce": ""}, "signature"),
    ],
)
def test_a_callback_with_bad_headers_is_refused(changes, message):
    headers, body = delivery()
    with pytest.raises(CallbackRejected, match=message):
        adapter().parse_callback({**headers, **changes}, body)


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_a_callback_outside_the_time_window_is_refused(skew):
    with pytest.raises(CallbackRejected, match="window"):
        adapter().parse_callback(*delivery(sent_at=NOW + skew))


def test_a_replayed_callback_is_refused_but_a_forgery_does_not_use_up_the_nonce():
    post_office = adapter(InMemoryNonceStore(lambda: NOW))
    headers, body = delivery()
    with pytest.raises(CallbackRejected, match="signature"):
        post_office.parse_callback(headers, body.replace(b"500000", b"900000"))
    assert post_office.parse_callback(headers, body).payout_key == "K-1"
    with pytest.raises(CallbackRejected, match="replayed"):
        post_office.parse_callback(headers, body)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"event_id": "e"}'])
def test_a_signed_but_malformed_body_is_refused(body):
    with pytest.raises(CallbackRejected):
        adapter().parse_callback(*delivery(body))


def test_short_secrets_and_missing_settings_are_configuration_errors():
    services = AdapterServices()
    with pytest.raises(AdapterConfigError, match="16 bytes"):
        create("vnpost", {"base_url": "http://127.0.0.1:9", "client_id": "P", "secret": "short"}, services)
    with pytest.raises(AdapterConfigError, match="client_id"):
        create("vnpost", {"base_url": "http://127.0.0.1:9", "secret": SECRET}, services)
