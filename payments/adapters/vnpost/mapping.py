"""The post office's cash-order API messages <-> the adapter protocol's dataclasses.

A cash order is AWAITING_PICKUP (accepted: the cash waits at the post office serving the
commune), PAID (settled: the beneficiary collected it against their ID), REFUSED (rejected) or
EXPIRED (returned: the pickup window closed uncollected, NOAS; the cash never left our account).
Error codes map to ISO reasons; an unknown code becomes MS03 with the code kept in
`reason_text`. A REFUSED for duplication (ORDER_REF_CONFLICT, or an ISO duplication code) is not
a refusal of the original order: UNKNOWN, for a status query to settle. A status record naming
another order is AdapterProtocolError. The daily statement is JSON: opening and closing
balances and one DBIT line per cash order collected that day.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from payments.adapters.creditors import CashPickup
from payments.adapters.errors import AdapterProtocolError
from payments.adapters.messages import CallbackEvent, PayoutInstruction, SendResult, StatusResult
from payments.adapters.statements import Statement, StatementLine
from payments.adapters.vocabulary import (
    DUPLICATION_REASONS,
    SEND_STATUSES,
    Direction,
    PayoutStatus,
    ReasonCode,
)

STATES = {
    "AWAITING_PICKUP": PayoutStatus.ACCEPTED,
    "PAID": PayoutStatus.SETTLED,
    "REFUSED": PayoutStatus.REJECTED,
    "EXPIRED": PayoutStatus.RETURNED,
    "NOT_FOUND": PayoutStatus.NOT_FOUND,
}
REASONS = {
    "UNKNOWN_COMMUNE": ReasonCode.AC01,  # no post office serves this commune code
    "RECIPIENT_BLOCKED": ReasonCode.AG01,  # the post office refuses to pay this ID
    "INSUFFICIENT_FUNDS": ReasonCode.AM04,
    "AMOUNT_LIMIT": ReasonCode.AM02,
    "NOT_COLLECTED": ReasonCode.NOAS,  # the pickup window closed
}
# Refusals because the order reference is already taken (ORDER_REF_CONFLICT is the code of the
# post office's 409 answer): the first order may be paid out, so never a refusal of ours.
DUPLICATE_CODES = DUPLICATION_REASONS | {"ORDER_REF_CONFLICT"}


@contextmanager
def reading(what: str, error: type[Exception] = AdapterProtocolError) -> Iterator[None]:
    """A malformed message becomes `error` instead of a stray KeyError."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise error(f"malformed {what} from the post office: {type(exc).__name__} {exc}") from exc


def reason_of(payload: dict[str, Any], status: PayoutStatus) -> tuple[ReasonCode | None, str]:
    """The ISO reason and a readable text for a refused or expired order (none otherwise)."""
    if status not in (PayoutStatus.REJECTED, PayoutStatus.RETURNED):
        return None, ""
    code, message = str(payload.get("error_code") or ""), str(payload.get("message") or "")
    reason = REASONS.get(code)
    if reason is not None:
        return reason, message
    return ReasonCode.MS03, ": ".join(part for part in (code, message) if part)


def refused_as_duplicate(payload: dict[str, Any], status: PayoutStatus) -> str | None:
    """The error code when a REFUSED says "duplicate" rather than "this order is refused"."""
    code = payload.get("error_code")
    return code if status is PayoutStatus.REJECTED and code in DUPLICATE_CODES else None


def order_to_wire(payout: PayoutInstruction) -> dict[str, Any]:
    """A cash order; TypeError for any creditor but a CashPickup (nothing to pay at a counter)."""
    pickup = payout.creditor
    if not isinstance(pickup, CashPickup):
        raise TypeError("the post office pays cash pickups only")
    return {
        "order_ref": payout.payout_key,
        "amount": payout.amount_vnd,
        "currency": payout.currency,
        "commune_code": pickup.commune_code,
        "id_number": pickup.citizen_id,
        "recipient_name": pickup.holder_name,
        "note": payout.remittance_info,
        "batch_ref": payout.batch_reference,
    }


def send_result_from_wire(payload: dict[str, Any]) -> SendResult:
    with reading("cash order answer"):
        status = STATES[payload["state"]]
        if status not in SEND_STATUSES:
            # A resend of an order that expired: the full story is for status() to tell.
            return SendResult(
                payout_key=str(payload["order_ref"]),
                status=PayoutStatus.UNKNOWN,
                reason_text=f"already {status.value}",
            )
        if code := refused_as_duplicate(payload, status):
            key = str(payload["order_ref"])
            return SendResult(payout_key=key, status=PayoutStatus.UNKNOWN, reason_text=_duplicate(code))
        reason, text = reason_of(payload, status)
        return SendResult(
            payout_key=str(payload["order_ref"]),
            status=status,
            reason=reason,
            reason_text=text,
            provider_reference=payload.get("order_no"),
        )


def status_from_wire(key: str, payload: dict[str, Any]) -> StatusResult:
    with reading("cash order status"):
        named = str(payload.get("order_ref", key))
        if named != key:
            raise AdapterProtocolError(f"the post office's status of {key!r} is about {named!r}")
        status = STATES[payload["state"]]
        if code := refused_as_duplicate(payload, status):
            return StatusResult(payout_key=key, status=PayoutStatus.UNKNOWN, reason_text=_duplicate(code))
        reason, text = reason_of(payload, status)
        updated = payload.get("updated_at")
        return StatusResult(
            payout_key=key,
            status=status,
            reason=reason,
            reason_text=text,
            provider_reference=payload.get("order_no"),
            amount_vnd=_int(payload["amount"]) if "amount" in payload else None,
            as_of=datetime.fromtimestamp(int(updated), UTC) if updated else None,
        )


def callback_from_wire(payload: dict[str, Any], error: type[Exception]) -> CallbackEvent:
    with reading("callback", error):
        status = STATES[payload["state"]]
        if code := refused_as_duplicate(payload, status):
            # Nothing to act on: it tells nothing of the original order (a status query does).
            raise error(f"callback refuses order {payload['order_ref']} as a duplicate ({code})")
        reason, text = reason_of(payload, status)
        return CallbackEvent(
            event_id=str(payload["event_id"]),
            payout_key=str(payload["order_ref"]),
            status=status,
            occurred_at=datetime.fromtimestamp(int(payload["occurred_at"]), UTC),
            reason=reason,
            reason_text=text,
            provider_reference=payload.get("order_no"),
            amount_vnd=_int(payload["amount"]),
        )


def statement_from_wire(payload: dict[str, Any], day: date) -> Statement:
    """The statement of `day`; one for another day is a protocol error, not a silent mix-up."""
    with reading("statement"):
        if date.fromisoformat(payload["date"]) != day:
            raise ValueError(f"asked for {day}, got {payload['date']}")
        return Statement(
            account_id=str(payload["account"]),
            day=day,
            opening_balance_vnd=_int(payload["opening_balance"]),
            closing_balance_vnd=_int(payload["closing_balance"]),
            entries=tuple(_line(line) for line in payload["lines"]),
        )


def _line(line: dict[str, Any]) -> StatementLine:
    return StatementLine(
        amount_vnd=_int(line["amount"]),
        direction=Direction(line["direction"]),
        booking_date=date.fromisoformat(line["booked_on"]),
        end_to_end_id=line.get("order_ref") or None,
        provider_tx_id=line.get("order_no") or None,
        account_servicer_ref=line.get("entry_ref") or None,
    )


def _duplicate(code: str) -> str:
    return f"refused as a duplicate ({code}): says nothing about the original order"


def _int(value: Any) -> int:
    # Amounts are integer đồng; a float would hide a rounding.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"amount {value!r} is not an integer")
    return value
