"""What the simulated post office puts on the wire: the JSON of a cash order and of a day's
statement, and the signatures on requests, answers and callbacks (the e-wallet scheme, keyed
with the client's secret).

The simulator decides what happened; these functions only word and sign it, so the shape of
every message the vnpost adapter must read is in one place.
"""

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from payments.adapters.ewallet import signing
from payments.adapters.ewallet.outbox import Delivery
from payments.adapters.loopback import Answer, Request
from payments.adapters.simkit import BookEntry, Transfer
from payments.adapters.vnpost.pickups import MESSAGES

_WIRE = {"accepted": "AWAITING_PICKUP", "settled": "PAID", "rejected": "REFUSED", "returned": "EXPIRED"}


def authentic(
    request: Request, client_id: str, secret: str, clock: Callable[[], datetime], window: timedelta
) -> bool:
    """The request comes from `client_id`, signed with `secret`, and is stamped within `window`."""
    h = request.headers
    try:
        sent = datetime.fromtimestamp(int(h.get("x-timestamp", "")), clock().tzinfo)
    except ValueError:
        return False
    message = signing.request_message(
        request.method, request.path, h.get("x-timestamp", ""), h.get("x-request-id", ""), request.body
    )
    return (
        h.get("x-client-id") == client_id
        and abs(clock() - sent) <= window
        and signing.verify(secret.encode(), message, h.get("x-signature", ""))
    )


def signed_answer(
    secret: str, request_id: str, status: int, payload: Any, stamp: str, *, tampered: bool, delay: float
) -> Answer:
    """An answer bound to the request's id; a `tampered` one carries a signature that fails."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    message = signing.response_message(status, request_id, stamp, body)
    if tampered:
        message += b"tampered"
    headers = {
        "Content-Type": "application/json",
        "X-Request-Id": request_id,
        "X-Timestamp": stamp,
        "X-Signature": signing.sign(secret.encode(), message),
    }
    return Answer(status, body, headers, delay)


def signed_callback(secret: str, client_id: str, event: dict[str, Any], stamp: str, nonce: str) -> Delivery:
    body = json.dumps(event, ensure_ascii=False).encode()
    signature = signing.sign(secret.encode(), signing.callback_message(stamp, nonce, body))
    headers = {
        "Content-Type": "application/json",
        "X-Client-Id": client_id,
        "X-Timestamp": stamp,
        "X-Nonce": nonce,
        "X-Signature": signature,
    }
    return Delivery(headers, body)


def order_json(transfer: Transfer, now: datetime) -> dict[str, Any]:
    return {
        "order_ref": transfer.key,
        "order_no": transfer.tx_id,
        "state": _WIRE[transfer.status],
        "error_code": transfer.reason,
        "message": MESSAGES.get(transfer.reason or "", ""),
        "amount": transfer.amount_vnd,
        "updated_at": int(now.timestamp()),  # the answer is as of now
    }


def statement_json(
    client_id: str, day: date, opening: int, closing: int, entries: list[BookEntry]
) -> dict[str, Any]:
    lines = [
        {
            "entry_ref": e.servicer_ref,
            "order_ref": e.key,
            "order_no": e.tx_id,
            "amount": e.amount_vnd,
            "direction": e.direction,
            "booked_on": e.day.isoformat(),
        }
        for e in entries
    ]
    return {
        "account": f"VNPOST-{client_id}",
        "date": day.isoformat(),
        "opening_balance": opening,
        "closing_balance": closing,
        "lines": lines,
    }
