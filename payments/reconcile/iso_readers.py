"""camt.053/054 statements and pain.002 status reports as reconciliation `Line`s.

Both are read streaming through the hardened ISO 20022 parsers in `payments.adapters.iso20022`
(entities off, DOCTYPE refused); their `MalformedMessage` names the element path and line.
"""

from collections.abc import Iterator
from datetime import date

from payments.adapters.iso20022 import mapping
from payments.adapters.iso20022.camt import CamtEntry, CamtStatement, CamtTransaction, iter_camt
from payments.adapters.iso20022.pain002 import (
    PaymentInfoStatus,
    ReportHeader,
    TransactionStatus,
    iter_pain002,
)
from payments.adapters.iso20022.xmlsafe import MalformedMessage, Source
from payments.adapters.vocabulary import DUPLICATION_REASONS, PayoutStatus
from payments.clock import local_date
from payments.reconcile.lines import Line, StatementRef, Totals, movement_status

BOOKED = "BOOK"


def camt_lines(source: Source) -> Iterator[Line | Totals | StatementRef]:
    """Booked entries as movement lines (pending and information-only entries are skipped);
    each statement's identity as a `StatementRef` and its OPBD/CLBD balances as `Totals`
    (camt.054 notifications carry none)."""
    position = 0
    for item in iter_camt(source):
        if isinstance(item, CamtStatement):
            yield statement_ref(item)
            totals = _totals(item)
            if totals is not None:
                yield totals
            continue
        if item.status != BOOKED:
            continue
        for line in _entry_lines(item, position):
            position = line.position
            yield line


def statement_ref(statement: CamtStatement) -> StatementRef:
    """Account, statement Id and electronic sequence number: what stays the same when the bank
    sends a statement again (its message id and creation time change)."""
    sequence = "" if statement.sequence is None else f"seq {statement.sequence}"
    return StatementRef(statement.kind, statement.account[:60], statement.statement_id, sequence)


def _totals(statement: CamtStatement) -> Totals | None:
    opening, closing = statement.opening, statement.closing
    if opening is None or closing is None:
        if statement.kind == "camt.053":
            raise MalformedMessage("a camt.053 statement needs OPBD and CLBD balances", "/Document/Stmt/Bal")
        return None
    day_from = opening.day or closing.day or local_date(statement.created_at)
    day_to = closing.day or day_from
    return Totals(statement.account[:60], day_from, day_to, opening.signed_vnd, closing.signed_vnd)


def _entry_lines(entry: CamtEntry, position: int) -> list[Line]:
    """One line per payment; a batch booking stays one line naming its payment block. Several
    payments whose own amounts are not given (or do not add up to the entry) stay one line for
    the entry's total that names none of them: the total is never one payout's."""
    txs = entry.transactions
    if len(txs) == 1:  # nearly every entry of a statement: one payment, booked alone
        return [_line(entry, txs[0], entry.amount_vnd, position + 1)]
    amounts = [tx.amount_vnd for tx in txs]
    if len(txs) > 1 and None not in amounts and sum(a or 0 for a in amounts) == entry.amount_vnd:
        return [_line(entry, tx, tx.amount_vnd or 0, position + n) for n, tx in enumerate(txs, 1)]
    if entry.batches:
        return [_batch_line(entry, position + 1)]
    if txs:
        return [_unsplit_line(entry, txs, position + 1)]
    return [_line(entry, None, entry.amount_vnd, position + 1)]


def _line(entry: CamtEntry, tx: CamtTransaction | None, amount_vnd: int, position: int) -> Line:
    reason, text = (None, "")
    if tx is not None and tx.return_reason is not None:
        code, text = mapping.reason(tx.return_reason, tx.return_text)
        reason = code.value
    return Line(
        position=position,
        movement=True,
        status=movement_status(entry.credit_debit),
        amount_vnd=amount_vnd,
        direction=entry.credit_debit,
        booking_date=_day(entry),
        end_to_end_id=tx and tx.end_to_end_id,
        instr_id=tx and tx.instruction_id,
        provider_tx_id=tx and tx.transaction_id,
        account_servicer_ref=(tx and tx.account_servicer_ref) or entry.account_servicer_ref,
        payment_info_id=tx and tx.payment_info_id,
        reference=entry.reference,
        reason=reason,
        reason_text=text[:300],
        holder_name=tx and tx.creditor_name,
        line_no=entry.line,
    )


def _batch_line(entry: CamtEntry, position: int) -> Line:
    batch = entry.batches[0]
    return Line(
        position=position,
        movement=True,
        status=movement_status(entry.credit_debit),
        amount_vnd=entry.amount_vnd,
        direction=entry.credit_debit,
        booking_date=_day(entry),
        account_servicer_ref=entry.account_servicer_ref,
        payment_info_id=batch.payment_info_id or batch.message_id,
        reference=entry.reference,
        batch_count=batch.tx_count or 0,
        line_no=entry.line,
    )


def _unsplit_line(entry: CamtEntry, txs: tuple[CamtTransaction, ...], position: int) -> Line:
    """The entry's total, matched to no payout (an exception for finance staff); the payments
    it names are in its text. For an entry whose payments give no amounts of their own
    (neither TxDtls/Amt nor AmtDtls) or amounts that do not add up to it."""
    keys = ", ".join(tx.end_to_end_id or tx.instruction_id or tx.transaction_id or "?" for tx in txs)
    return Line(
        position=position,
        movement=True,
        status=movement_status(entry.credit_debit),
        amount_vnd=entry.amount_vnd,
        direction=entry.credit_debit,
        booking_date=_day(entry),
        account_servicer_ref=entry.account_servicer_ref,
        reason_text=f"one booking of {len(txs)} payments without their own amounts: {keys}"[:300],
        line_no=entry.line,
    )


def _day(entry: CamtEntry) -> date | None:
    return entry.booking_date or entry.value_date


def pain002_lines(source: Source) -> Iterator[Line]:
    """Each transaction status as a status line; a block or group status with no transaction
    listed under it as one line for the whole payment block (matched in pass 3)."""
    position, listed, header = 0, set[str](), None
    for item in iter_pain002(source):
        if isinstance(item, ReportHeader):
            header = item
            continue
        position += 1
        if isinstance(item, TransactionStatus):
            listed.add(item.original_payment_info_id)
            yield _status_line(item, position)
        elif (
            isinstance(item, PaymentInfoStatus)
            and item.status
            and item.original_payment_info_id not in listed
        ):
            yield _block_line(
                item.original_payment_info_id, item.status, item.reason, item.reason_text, position,
                count=item.count,
            )  # fmt: skip
    if header is not None and header.group_status and not listed and position == 0:
        reason, text = header.group_reason, header.group_reason_text
        yield _block_line(header.original_message_id, header.group_status, reason, text, 1)


def _status_of(tx_status: str | None, reason: str | None) -> str:
    """A line's status: an RJCT refusing a duplicate (a resend, AM05 or DU01-DU05) says
    nothing about the original payout, which may well have been paid: unknown, moving nothing."""
    status = mapping.payout_status(tx_status)
    if status is PayoutStatus.REJECTED and reason in DUPLICATION_REASONS:
        return PayoutStatus.UNKNOWN.value
    return status.value


def _status_line(tx: TransactionStatus, position: int) -> Line:
    status = _status_of(tx.status, tx.reason)
    duplicate = tx.status == "RJCT" and tx.reason in DUPLICATION_REASONS
    reason, text = (None, f"refused as a duplicate ({tx.reason})" if duplicate else "")
    if status == "rejected":
        code, text = mapping.reason(tx.reason, tx.reason_text)
        reason = code.value
    return Line(
        position=position,
        movement=False,
        status=status,
        amount_vnd=tx.amount_vnd,
        booking_date=local_date(tx.accepted_at) if tx.accepted_at else None,
        end_to_end_id=tx.original_end_to_end_id,
        instr_id=tx.original_instruction_id,
        account_servicer_ref=tx.account_servicer_ref,
        payment_info_id=tx.original_payment_info_id,
        reason=reason,
        reason_text=text[:300],
        line_no=tx.line,
    )


def _block_line(
    block: str, tx_status: str, reason: str | None, text: str, position: int, *, count: int | None = None
) -> Line:
    """A status for a whole block or message: `count` is the OrgnlNbOfTxs it states (0: none),
    checked against the payouts known to be in it."""
    status = _status_of(tx_status, reason)
    code = mapping.reason(reason, text)[0].value if status == "rejected" else None
    return Line(
        position=position,
        movement=False,
        status=status,
        payment_info_id=block,
        reason=code,
        reason_text=text[:300],
        batch_count=count or 0,
    )
