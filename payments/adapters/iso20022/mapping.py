"""ISO 20022 codes to the adapter protocol's values, in one place.

TxSts: ACSC (settlement on our account completed) and ACCC (credited to the payee) settle;
RJCT rejects; the in-between codes (RCVD, ACTC, ACCP, ACSP, ACWC, ACWP, ACFC, PDNG, PART)
mean accepted and still in flight. A code we do not know is reported as UNKNOWN. A settlement
is terminal against any later pain.002 (only a camt return can follow it), and an RJCT for
duplication (AM05, DU01-DU05) says nothing about the original payout.
"""

from datetime import date
from typing import TYPE_CHECKING

from payments.adapters.creditors import BankAccount
from payments.adapters.errors import AdapterProtocolError
from payments.adapters.iso20022.camt import CamtEntry, CamtTransaction, iter_camt
from payments.adapters.iso20022.pain001 import CreditTransfer
from payments.adapters.messages import PayoutInstruction, StatusResult
from payments.adapters.statements import Statement, StatementLine
from payments.adapters.vocabulary import DUPLICATION_REASONS, Direction, PayoutStatus, ReasonCode
from payments.text import fold_name

if TYPE_CHECKING:
    from payments.adapters.iso20022.folders import Reported, Sent, StatementFile

SETTLED = frozenset({"ACSC", "ACCC"})
IN_FLIGHT = frozenset({"RCVD", "ACTC", "ACCP", "ACSP", "ACWC", "ACWP", "ACFC", "PDNG", "PART"})
_REASONS = frozenset(code.value for code in ReasonCode)


def payout_status(tx_status: str | None) -> PayoutStatus:
    if tx_status in SETTLED:
        return PayoutStatus.SETTLED
    if tx_status == "RJCT":
        return PayoutStatus.REJECTED
    if tx_status in IN_FLIGHT:
        return PayoutStatus.ACCEPTED
    return PayoutStatus.UNKNOWN


def reason(code: str | None, text: str = "") -> tuple[ReasonCode, str]:
    """A normalised reason: the ISO code when it is one of ours, else NARR keeping the bank's code.

    A rejection without any code is MS03 (reason not specified).
    """
    if code is None:
        return ReasonCode.MS03, text
    if code in _REASONS:
        return ReasonCode(code), text
    return ReasonCode.NARR, f"{code}: {text}" if text else code


def statement_lines(entry: CamtEntry, day: date) -> list[StatementLine]:
    """One line per payment: a batch-booked entry is split into its transactions when their
    amounts add up to the entry's; otherwise the entry stays one line (balances still tie)."""
    txs = entry.transactions
    amounts = [tx.amount_vnd for tx in txs]
    if len(txs) > 1 and None not in amounts and sum(amounts) == entry.amount_vnd:  # type: ignore[arg-type]
        return [_line(entry, tx, tx.amount_vnd or 0, day) for tx in txs]
    return [_line(entry, txs[0] if len(txs) == 1 else None, entry.amount_vnd, day)]


def _line(entry: CamtEntry, tx: CamtTransaction | None, amount_vnd: int, day: date) -> StatementLine:
    code = None if tx is None or tx.return_reason is None else reason(tx.return_reason)[0]
    return StatementLine(
        amount_vnd=amount_vnd,
        direction=Direction(entry.credit_debit),
        booking_date=entry.booking_date or entry.value_date or day,
        end_to_end_id=None if tx is None else tx.end_to_end_id,
        instr_id=None if tx is None else tx.instruction_id,
        provider_tx_id=None if tx is None else tx.transaction_id,
        account_servicer_ref=(tx and tx.account_servicer_ref) or entry.account_servicer_ref,
        reason=code,
        remittance_info=(tx and tx.remittance) or "",
        status=entry.status,
    )


def credit_transfer(payout: PayoutInstruction, instruction_id: str) -> CreditTransfer:
    """A bank payout as a pain.001 transfer; the creditor name folded as banks want it."""
    creditor = payout.creditor
    if not isinstance(creditor, BankAccount):
        raise TypeError("only bank accounts go into a pain.001")
    return CreditTransfer(
        end_to_end_id=payout.payout_key,
        instruction_id=instruction_id,
        amount_vnd=payout.amount_vnd,
        creditor_name=fold_name(creditor.holder_name or payout.beneficiary_name)[:140],
        creditor_account=creditor.account_number,
        creditor_bin=creditor.bin,
        remittance=payout.remittance_info or None,
    )


def latest(reports: list["Reported"]) -> "Reported | None":
    """The report that decides a payout's status, from those about the message it went out in.

    A settlement (ACSC/ACCC) wins over anything reported before or after it: the money has
    left, so a later RJCT (the bank re-reading the file and refusing it as a duplicate, say)
    must not make it owed, and payable, again. Then the last rejection, then the last in-flight
    status; within one file a transaction's own status outranks its group's. A refusal for
    duplication is chosen only when nothing else was said (`status_from_report`: UNKNOWN).
    """
    ordered = sorted(reports, key=lambda r: (r.created_at, r.file, r.per_transaction))
    settled = [r for r in ordered if r.status in SETTLED]
    telling = [r for r in ordered if not refused_as_duplicate(r)]
    rejected = [r for r in telling if r.status == "RJCT"]
    chosen = settled or rejected or telling or ordered
    return chosen[-1] if chosen else None


def refused_as_duplicate(report: "Reported") -> bool:
    """An RJCT because the bank already holds this message, block or transaction: it says
    the original exists, not that it failed."""
    return report.status == "RJCT" and report.reason in DUPLICATION_REASONS


def status_from_report(
    key: str, report: "Reported", sent: "Sent | None", reference: str | None
) -> StatusResult:
    status = payout_status(report.status)
    code, text = reason(report.reason, report.reason_text)
    if refused_as_duplicate(report):
        status = PayoutStatus.UNKNOWN
        text = f"refused as a duplicate ({report.reason}): says nothing about the original payout"
    elif status is PayoutStatus.UNKNOWN:
        text = f"unrecognised status {report.status!r}"
    return StatusResult(
        payout_key=key,
        status=status,
        reason=code if status is PayoutStatus.REJECTED else None,
        reason_text=text if status in (PayoutStatus.REJECTED, PayoutStatus.UNKNOWN) else "",
        provider_reference=reference,
        amount_vnd=report.amount_vnd or (None if sent is None else sent.amount_vnd),
        as_of=report.created_at,
    )


def statement(adapter: str, account: str, day: date, files: list["StatementFile"]) -> Statement:
    """The day's camt.053 statements (in sequence) as one Statement: the first opening balance,
    the last closing balance, and every entry between; raises AdapterProtocolError without them."""
    opening, closing = files[0].statement.opening, files[-1].statement.closing
    if opening is None or closing is None:
        raise AdapterProtocolError(f"{adapter}: the camt.053 for {day} lacks an opening or closing balance")
    lines: list[StatementLine] = []
    for found in files:
        wanted = found.statement.statement_id
        for entry in iter_camt(found.path):
            if isinstance(entry, CamtEntry) and entry.statement_id == wanted:
                lines.extend(statement_lines(entry, day))
    return Statement(
        account_id=account,
        day=day,
        opening_balance_vnd=opening.signed_vnd,
        closing_balance_vnd=closing.signed_vnd,
        entries=tuple(lines),
    )
