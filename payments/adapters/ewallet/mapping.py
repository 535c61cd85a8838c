"""The e-wallet API's messages <-> the adapter protocol's dataclasses.

Wallet statuses: PROCESSING (accepted), SUCCESS (settled), FAILED (rejected), REFUNDED
(returned after settlement), NOT_FOUND. Error codes map to ISO reasons; an unknown code
becomes MS03 with the provider's code kept in `reason_text`. A FAILED for duplication (the
wallet's ORDER_ID_CONFLICT, or an ISO duplication code) is not a rejection of the original
order: it is UNKNOWN, for a status query to settle. Every answer must be about the order id
asked about; one about another order is AdapterProtocolError. The daily settlement report is
CSV with one OPENING row, ENTRY rows and one CLOSING row.
"""

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from payments.adapters.creditors import WalletAccount
from payments.adapters.errors import AdapterProtocolError
from payments.adapters.messages import (
    CallbackEvent,
    NameLookupResult,
    PayoutInstruction,
    SendResult,
    StatusResult,
)
from payments.adapters.statements import Statement, StatementLine
from payments.adapters.vocabulary import (
    DUPLICATION_REASONS,
    SEND_STATUSES,
    Direction,
    PayoutStatus,
    ReasonCode,
)

STATUSES = {
    "PROCESSING": PayoutStatus.ACCEPTED,
    "SUCCESS": PayoutStatus.SETTLED,
    "FAILED": PayoutStatus.REJECTED,
    "REFUNDED": PayoutStatus.RETURNED,
    "NOT_FOUND": PayoutStatus.NOT_FOUND,
}
REASONS = {
    "WALLET_NOT_FOUND": ReasonCode.AC01,
    "WALLET_CLOSED": ReasonCode.AC04,
    "WALLET_LOCKED": ReasonCode.AC06,
    "INSUFFICIENT_BALANCE": ReasonCode.AM04,
    "AMOUNT_LIMIT": ReasonCode.AM02,
}
# Refusals because the order id is already taken (ORDER_ID_CONFLICT is the code of the wallet's
# 409 answer): the first order may be paid, so they never read as FAILED for our payout.
DUPLICATE_CODES = DUPLICATION_REASONS | {"ORDER_ID_CONFLICT"}
REPORT_COLUMNS = (
    "record_type",
    "transaction_id",
    "order_id",
    "amount",
    "direction",
    "status",
    "booked_at",
    "error_code",
)


@contextmanager
def reading(what: str, error: type[Exception] = AdapterProtocolError) -> Iterator[None]:
    """A malformed message becomes `error` instead of a stray KeyError."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise error(f"malformed {what} from the wallet: {type(exc).__name__} {exc}") from exc


def reason_of(code: str | None, status: PayoutStatus) -> tuple[ReasonCode | None, str]:
    if status not in (PayoutStatus.REJECTED, PayoutStatus.RETURNED):
        return None, ""
    reason = REASONS.get(code or "")
    return (reason, "") if reason else (ReasonCode.MS03, code or "")


def disbursement_to_wire(payout: PayoutInstruction) -> dict[str, Any]:
    wallet = payout.creditor
    if not isinstance(wallet, WalletAccount):
        raise TypeError("the e-wallet adapter pays wallets only")
    return {
        "order_id": payout.payout_key,
        "amount": payout.amount_vnd,
        "currency": payout.currency,
        "phone": wallet.phone,
        "receiver_name": payout.beneficiary_name,
        "description": payout.remittance_info,
        "batch_ref": payout.batch_reference,
    }


def refused_as_duplicate(payload: dict[str, Any], status: PayoutStatus) -> str | None:
    """The error code when a FAILED says "duplicate" rather than "this order failed"."""
    code = payload.get("error_code")
    return code if status is PayoutStatus.REJECTED and code in DUPLICATE_CODES else None


def about(key: str, named: Any) -> None:
    """Refuse an answer naming another order id than the one asked about: filing one payout's
    outcome under another's key could record a paid payout rejected (and pay it again)."""
    if str(named) != key:
        raise AdapterProtocolError(f"the wallet's answer for order {key!r} is about order {named!r}")


def send_result_from_wire(key: str, payload: dict[str, Any]) -> SendResult:
    """The wallet's answer to the payout sent under `key`; the answer must name that order id."""
    with reading("disbursement answer"):
        about(key, payload["order_id"])
        status = STATUSES[payload["status"]]
        if status not in SEND_STATUSES:
            # A resend of a payout already returned: the full story is for status() to tell.
            return SendResult(
                payout_key=key, status=PayoutStatus.UNKNOWN, reason_text=f"already {status.value}"
            )
        if code := refused_as_duplicate(payload, status):
            return SendResult(payout_key=key, status=PayoutStatus.UNKNOWN, reason_text=_duplicate(code))
        reason, text = reason_of(payload.get("error_code"), status)
        return SendResult(
            payout_key=key,
            status=status,
            reason=reason,
            reason_text=text,
            provider_reference=payload.get("transaction_id"),
        )


def status_from_wire(key: str, payload: dict[str, Any]) -> StatusResult:
    """The wallet's record of `key`; a record naming another order id is AdapterProtocolError."""
    with reading("disbursement status"):
        about(key, payload.get("order_id", key))
        status = STATUSES[payload["status"]]
        if code := refused_as_duplicate(payload, status):
            return StatusResult(payout_key=key, status=PayoutStatus.UNKNOWN, reason_text=_duplicate(code))
        reason, text = reason_of(payload.get("error_code"), status)
        updated = payload.get("updated_at")
        return StatusResult(
            payout_key=key,
            status=status,
            reason=reason,
            reason_text=text,
            provider_reference=payload.get("transaction_id"),
            amount_vnd=_int(payload["amount"]) if "amount" in payload else None,
            as_of=datetime.fromtimestamp(int(updated), UTC) if updated else None,
        )


def callback_from_wire(payload: dict[str, Any], error: type[Exception]) -> CallbackEvent:
    with reading("callback", error):
        status = STATUSES[payload["status"]]
        if code := refused_as_duplicate(payload, status):
            # Nothing to act on: it tells nothing of the original order (a status query does).
            raise error(f"callback refuses order {payload['order_id']} as a duplicate ({code})")
        reason, text = reason_of(payload.get("error_code"), status)
        return CallbackEvent(
            event_id=str(payload["event_id"]),
            payout_key=str(payload["order_id"]),
            status=status,
            occurred_at=datetime.fromtimestamp(int(payload["occurred_at"]), UTC),
            reason=reason,
            reason_text=text,
            provider_reference=payload.get("transaction_id"),
            amount_vnd=_int(payload["amount"]),
        )


def lookup_from_wire(payload: dict[str, Any]) -> NameLookupResult:
    with reading("wallet inquiry"):
        state = payload["status"]
        if state == "ACTIVE":
            return NameLookupResult(found=True, reported_name=str(payload["name"]))
        reason = {"NOT_FOUND": ReasonCode.AC01, "CLOSED": ReasonCode.AC04, "LOCKED": ReasonCode.AC06}[state]
        return NameLookupResult(found=False, reason=reason)


def statement_from_csv(text: str, account_id: str, day: date) -> Statement:
    """The settlement report for `day`: balances from OPENING/CLOSING rows, ENTRY rows as lines."""
    with reading("settlement report"):
        rows = list(csv.DictReader(io.StringIO(text)))
        if not rows or tuple(rows[0]) != REPORT_COLUMNS:
            raise ValueError("unexpected report columns")
        balances = {r["record_type"]: _int(int(r["amount"])) for r in rows if r["record_type"] != "ENTRY"}
        entries = tuple(_line(r, day) for r in rows if r["record_type"] == "ENTRY")
        return Statement(
            account_id=account_id,
            day=day,
            opening_balance_vnd=balances["OPENING"],
            closing_balance_vnd=balances["CLOSING"],
            entries=entries,
        )


def statement_to_csv(rows: list[dict[str, Any]]) -> str:
    """The simulator's side: rows with REPORT_COLUMNS keys (missing ones left empty)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _line(row: dict[str, str], day: date) -> StatementLine:
    status = STATUSES[row["status"]]
    return StatementLine(
        amount_vnd=_int(int(row["amount"])),
        direction=Direction(row["direction"]),
        booking_date=day,
        end_to_end_id=row["order_id"] or None,
        provider_tx_id=row["transaction_id"] or None,
        reason=reason_of(row["error_code"], status)[0] if row["error_code"] else None,
    )


def _duplicate(code: str) -> str:
    return f"refused as a duplicate ({code}): says nothing about the original order"


def _int(value: Any) -> int:
    # Amounts are integer đồng; a float would hide a rounding.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"amount {value!r} is not an integer")
    return value
