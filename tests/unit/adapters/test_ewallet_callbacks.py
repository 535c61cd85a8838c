"""E-wallet callbacks: signature first, then the timestamp window, then the nonce."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from payments.adapters.base import AdapterServices
from payments.adapters.errors import AdapterConfigError, CallbackRejected
from payments.adapters.ewallet import signing
from payments.adapters.ewallet.client import EwalletAdapter, create
from payments.adapters.replay import InMemoryNonceStore
from payments.adapters.transport import Transport

SECRET = "callback-secret-of-32-characters"
NOW = datetime(2025, 1, 31, 9, tzinfo=UTC)
EVENT = {
    "event_id": "ev-1",
    "order_id": "K-1",
    "transaction_id": "MW1",
    "status": "SUCCESS",
    "error_code": None,
    "amount": 500_000,
    "occurred_at": int(NOW.timestamp()),
}


def adapter(clock=lambda: NOW, nonce_store=None) -> EwalletAdapter:
    settings = {"base_url": "http://127.0.0.1:9", "partner_code": "PAYMENTS", "secret": SECRET}
    services = AdapterServices(
        clock=clock, nonce_store=lambda _name: nonce_store or InMemoryNonceStore(clock)
    )
    return create("momo", settings, services)


def delivery(
    body: bytes = json.dumps(EVENT).encode(), sent_at: datetime = NOW, nonce: str = "n-1", **changes
):
    stamp = str(int(sent_at.timestamp()))
    signature = signing.sign(SECRET.encode(), signing.callback_message(stamp, nonce, body))
    headers = {"X-Partner-Code": "PAYMENTS", "X-Timestamp": stamp, "X-Nonce": nonce, "X-Signature": signature}
    return {**headers, **changes}, body


def test_a_genuine_callback_becomes_a_settled_event():
    event = adapter().parse_callback(*delivery())
    assert (event.event_id, event.payout_key, event.amount_vnd, event.occurred_at) == (
        "ev-1",
        "K-1",
        500_000,
        NOW,
    )


def test_header_names_are_case_insensitive():
    headers, body = delivery()
    assert adapter().parse_callback({k.lower(): v for k, v in headers.items()}, body).payout_key == "K-1"


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_a_callback_outside_the_time_window_is_refused(skew):
    with pytest.raises(CallbackRejected, match="window"):
        adapter().parse_callback(*delivery(sent_at=NOW + skew))


def test_a_forged_callback_does_not_use_up_its_nonce():
    store = InMemoryNonceStore(lambda: NOW)
    wallet = adapter(nonce_store=store)
    headers, body = delivery()
    with pytest.raises(CallbackRejected, match="signature"):
        wallet.parse_callback({**headers, "X-Signature": "f" * 64}, body)
    assert wallet.parse_callback(headers, body).event_id == "ev-1"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"X-Partner-Code": "SOMEONE-ELSE"}, "partner"),
        ({"X-Nonce": ""}, "signature"),
        ({"X-Timestamp": "yesterday"}, "signature"),
    ],
)
def test_a_callback_with_bad_headers_is_refused(changes, message):
    headers, body = delivery()
    with pytest.raises(CallbackRejected, match=message):
        adapter().parse_callback({**headers, **changes}, body)


def test_a_signed_but_malformed_body_is_refused():
    with pytest.raises(CallbackRejected, match="JSON"):
        adapter().parse_callback(*delivery(body=b"not json"))
    with pytest.raises(CallbackRejected, match="malformed"):
        adapter().parse_callback(*delivery(body=b'{"event_id": "e"}', nonce="n-2"))


def test_a_redelivery_with_a_fresh_nonce_passes_with_the_same_event_id():
    wallet = adapter()
    first = wallet.parse_callback(*delivery(nonce="n-1"))
    second = wallet.parse_callback(*delivery(nonce="n-2"))
    assert first.event_id == second.event_id


def test_short_secrets_are_a_configuration_error():
    with pytest.raises(AdapterConfigError, match="16 bytes"):
        EwalletAdapter(
            "w",
            transport=Transport("http://127.0.0.1:9"),
            partner_code="P",
            secret=b"short",
            callback_secret=b"short",
            nonce_store=InMemoryNonceStore(),
        )
