"""The bank API's JSON messages <-> the adapter protocol's dataclasses.

Wire statuses follow pain.002 `TxSts`: ACSC settled, ACSP/PDNG accepted, RJCT rejected, plus
RTND (returned after settlement) and NOT_FOUND. Reasons are ISO codes already; an unknown code
becomes MS03 with the provider's code kept in `reason_text`. RJCT for duplication (AM05,
DU01-DU05) refuses a *resend* and says nothing of the original: it is UNKNOWN, for a status
query to settle. Results are filed under the keys we sent: an answer about a key we did not
send, or about one key twice, is AdapterProtocolError.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from payments.adapters.creditors import BankAccount
from payments.adapters.errors import AdapterProtocolError
from payments.adapters.messages import NameLookupResult, PayoutInstruction, SendResult, StatusResult
from payments.adapters.statements import Statement, StatementLine
from payments.adapters.vocabulary import (
    DUPLICATION_REASONS,
    SEND_STATUSES,
    Direction,
    PayoutStatus,
    ReasonCode,
)

STATUSES = {
    "ACSC": PayoutStatus.SETTLED,
    "ACSP": PayoutStatus.ACCEPTED,
    "PDNG": PayoutStatus.ACCEPTED,
    "RJCT": PayoutStatus.REJECTED,
    "RTND": PayoutStatus.RETURNED,
    "NOT_FOUND": PayoutStatus.NOT_FOUND,
}


@contextmanager
def reading(what: str) -> Iterator[None]:
    """Turn a malformed message into AdapterProtocolError instead of a stray KeyError."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AdapterProtocolError(f"malformed {what} from the bank: {type(exc).__name__} {exc}") from exc


def reason_of(raw: str | None, status: PayoutStatus) -> tuple[ReasonCode | None, str]:
    if status not in (PayoutStatus.REJECTED, PayoutStatus.RETURNED):
        return None, ""
    if raw is not None and raw in ReasonCode.__members__:
        return ReasonCode(raw), ""
    return ReasonCode.MS03, raw or ""


def refused_as_duplicate(item: dict[str, Any], status: PayoutStatus) -> str | None:
    """The reason when an RJCT refuses a duplicate rather than the payout itself."""
    code = item.get("reason")
    return code if status is PayoutStatus.REJECTED and code in DUPLICATION_REASONS else None


def _duplicate(code: str) -> str:
    return f"refused as a duplicate ({code}): says nothing about the original payout"


def transfer_to_wire(payout: PayoutInstruction) -> dict[str, Any]:
    account = payout.creditor
    if not isinstance(account, BankAccount):
        raise TypeError("bank_api pays bank accounts only")
    return {
        "end_to_end_id": payout.payout_key,
        "amount": payout.amount_vnd,
        "currency": payout.currency,
        "bin": account.bin,
        "account_number": account.account_number,
        "account_name": account.holder_name or payout.beneficiary_name,
        "remittance": payout.remittance_info,
    }


def send_results_from_wire(keys: Sequence[str], items: Any) -> list[SendResult]:
    """One result per key sent, in order, each built from that key; a key the bank's answer
    leaves out is UNKNOWN. An answer naming a key we did not send, or one key twice, is
    AdapterProtocolError: which payout each answer is about cannot be trusted (chunk in doubt)."""
    sent, answers = set(keys), dict[str, dict[str, Any]]()
    with reading("bulk transfer"):
        for item in items:
            named = str(item["end_to_end_id"])
            if named not in sent or named in answers:
                raise AdapterProtocolError(f"the bank's bulk answer names {named!r} unasked or twice")
            answers[named] = item
    missing = "missing from the bank's answer"
    return [
        send_result_from_wire(key, answers[key])
        if key in answers
        else SendResult(payout_key=key, status=PayoutStatus.UNKNOWN, reason_text=missing)
        for key in keys
    ]


def send_result_from_wire(key: str, item: dict[str, Any]) -> SendResult:
    """The bank's answer for the payout sent under `key`; it must name that EndToEndId."""
    with reading("transfer result"):
        if str(item["end_to_end_id"]) != key:
            raise AdapterProtocolError(f"the bank's answer for {key!r} is about {item['end_to_end_id']!r}")
        if item["status"] == "DUPLICATE_MISMATCH":
            # Our key was already used for a different payout: never call that a rejection,
            # the first one may have been credited. A status query tells what happened.
            return SendResult(payout_key=key, status=PayoutStatus.UNKNOWN, reason_text="key reused")
        status = STATUSES[item["status"]]
        if status not in SEND_STATUSES:
            # A resend of a payout already returned: the full story is for status() to tell.
            return SendResult(
                payout_key=key, status=PayoutStatus.UNKNOWN, reason_text=f"already {status.value}"
            )
        if code := refused_as_duplicate(item, status):
            return SendResult(payout_key=key, status=PayoutStatus.UNKNOWN, reason_text=_duplicate(code))
        reason, text = reason_of(item.get("reason"), status)
        return SendResult(
            payout_key=key,
            status=status,
            reason=reason,
            reason_text=text,
            provider_reference=item.get("transaction_id"),
        )


def status_from_wire(
    key: str, payload: dict[str, Any], parse_time: Callable[[str], datetime]
) -> StatusResult:
    with reading("transfer status"):
        named = str(payload.get("end_to_end_id", key))
        if named != key:
            raise AdapterProtocolError(f"the bank's status of {key!r} is about {named!r}")
        status = STATUSES[payload["status"]]
        if code := refused_as_duplicate(payload, status):
            return StatusResult(payout_key=key, status=PayoutStatus.UNKNOWN, reason_text=_duplicate(code))
        reason, text = reason_of(payload.get("reason"), status)
        updated = payload.get("updated_at")
        return StatusResult(
            payout_key=key,
            status=status,
            reason=reason,
            reason_text=text,
            provider_reference=payload.get("transaction_id"),
            amount_vnd=_optional_int(payload.get("amount")),
            as_of=parse_time(updated) if updated else None,
        )


def statement_from_wire(payload: dict[str, Any]) -> Statement:
    with reading("statement"):
        return Statement(
            account_id=str(payload["account"]),
            day=date.fromisoformat(payload["date"]),
            opening_balance_vnd=_int(payload["opening_balance"]),
            closing_balance_vnd=_int(payload["closing_balance"]),
            entries=tuple(_line(entry) for entry in payload["entries"]),
        )


def _line(entry: dict[str, Any]) -> StatementLine:
    reason = entry.get("reason")
    return StatementLine(
        amount_vnd=_int(entry["amount"]),
        direction=Direction(entry["direction"]),
        booking_date=date.fromisoformat(entry["booking_date"]),
        end_to_end_id=entry.get("end_to_end_id"),
        instr_id=entry.get("instr_id"),
        provider_tx_id=entry.get("transaction_id"),
        account_servicer_ref=entry.get("servicer_ref"),
        reason=ReasonCode(reason) if reason is not None and reason in ReasonCode.__members__ else None,
        remittance_info=entry.get("remittance") or "",
        status=entry.get("status", "BOOK"),
    )


def lookup_from_wire(payload: dict[str, Any]) -> NameLookupResult:
    with reading("account inquiry"):
        result = payload["result"]
        if result == "FOUND":
            return NameLookupResult(found=True, reported_name=str(payload["account_name"]))
        reason = {"NOT_FOUND": ReasonCode.AC01, "CLOSED": ReasonCode.AC04, "BLOCKED": ReasonCode.AC06}[result]
        return NameLookupResult(found=False, reason=reason)


def _int(value: Any) -> int:
    # Amounts are integer đồng on the wire; a float or a string would hide a rounding.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"amount {value!r} is not an integer")
    return value


def _optional_int(value: Any) -> int | None:
    return None if value is None else _int(value)
