"""Writing camt.053.001.08 statements and camt.054.001.08 notifications, streaming.

The bank's side of the exchange: the simulator, tests that build files, and the benchmark.
Entries are written one at a time, so a million-entry statement never sits in memory.
"""

import io
from collections.abc import Iterable
from datetime import UTC
from typing import BinaryIO

from lxml import etree

from payments.adapters.iso20022.camt import Balance, BatchInfo, CamtEntry, CamtStatement, CamtTransaction
from payments.adapters.iso20022.xmlwrite import Builder

NAMESPACES = {
    "camt.053": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08",
    "camt.054": "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08",
}
SCHEMAS = {"camt.053": "camt.053.001.08.xsd", "camt.054": "camt.054.001.08.xsd"}
_BODY = {"camt.053": ("BkToCstmrStmt", "Stmt"), "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}


def camt_bytes(statement: CamtStatement, entries: Iterable[CamtEntry]) -> bytes:
    stream = io.BytesIO()
    write_camt(stream, statement, entries)
    return stream.getvalue()


def write_camt(stream: BinaryIO, statement: CamtStatement, entries: Iterable[CamtEntry]) -> int:
    """Write one statement (camt.053) or notification (camt.054) with its entries; returns the count."""
    b = Builder(NAMESPACES[statement.kind])
    body, block = _BODY[statement.kind]
    stream.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{b.ns}">\n<{body}>\n'.encode())
    stream.write(b.fragment(_group_header(b, statement)))
    stream.write(f"<{block}>\n".encode())
    for part in _statement_parts(b, statement):
        stream.write(b.fragment(part))
    written = 0
    for entry in entries:
        stream.write(b.fragment(_entry(b, entry)))
        written += 1
    stream.write(f"</{block}>\n</{body}>\n</Document>\n".encode())
    return written


def _stamp(statement: CamtStatement) -> str:
    return statement.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _group_header(b: Builder, statement: CamtStatement) -> etree._Element:
    header = b.root("GrpHdr")
    b.add(header, "MsgId", statement.message_id)
    b.add(header, "CreDtTm", _stamp(statement))
    return header


def _statement_parts(b: Builder, statement: CamtStatement) -> list[etree._Element]:
    parts = [_leaf(b, "Id", statement.statement_id)]
    if statement.sequence is not None:
        parts.append(_leaf(b, "ElctrncSeqNb", str(statement.sequence)))
    parts.append(_leaf(b, "CreDtTm", _stamp(statement)))
    account = b.root("Acct")
    b.add(account, "Id/Othr/Id", statement.account)
    b.add(account, "Ccy", "VND")
    parts.append(account)
    parts.extend(_balance(b, balance) for balance in statement.balances)
    return parts


def _leaf(b: Builder, name: str, text: str) -> etree._Element:
    elem = b.root(name)
    elem.text = text
    return elem


def _balance(b: Builder, balance: Balance) -> etree._Element:
    bal = b.root("Bal")
    b.add(bal, "Tp/CdOrPrtry/Cd", balance.code)
    b.add(bal, "Amt", str(balance.amount_vnd), Ccy="VND")
    b.add(bal, "CdtDbtInd", balance.credit_debit)
    if balance.day is not None:
        b.add(bal, "Dt/Dt", balance.day.isoformat())
    return bal


def _entry(b: Builder, entry: CamtEntry) -> etree._Element:
    ntry = b.root("Ntry")
    b.opt(ntry, "NtryRef", entry.reference)
    b.add(ntry, "Amt", str(entry.amount_vnd), Ccy="VND")
    b.add(ntry, "CdtDbtInd", entry.credit_debit)
    if entry.reversal:
        b.add(ntry, "RvslInd", "true")
    b.add(ntry, "Sts/Cd", entry.status)
    if entry.booking_date is not None:
        b.add(ntry, "BookgDt/Dt", entry.booking_date.isoformat())
    if entry.value_date is not None:
        b.add(ntry, "ValDt/Dt", entry.value_date.isoformat())
    b.opt(ntry, "AcctSvcrRef", entry.account_servicer_ref)
    _bank_code(b, ntry, entry.bank_transaction_code or "PMNT/ICDT/DMCT")
    if entry.batches or entry.transactions:
        details = b.add(ntry, "NtryDtls")
        for batch in entry.batches[:1]:  # one Btch per NtryDtls
            _batch(b, details, batch)
        for tx in entry.transactions:
            _transaction(b, b.add(details, "TxDtls"), tx)
    b.opt(ntry, "AddtlNtryInf", entry.additional_info)
    return ntry


def _bank_code(b: Builder, ntry: etree._Element, code: str) -> None:
    domain, family, sub_family = [*code.split("/"), "", "", ""][:3]
    b.add(ntry, "BkTxCd/Domn/Cd", domain)
    b.add(ntry, "BkTxCd/Domn/Fmly/Cd", family or "ICDT")
    b.add(ntry, "BkTxCd/Domn/Fmly/SubFmlyCd", sub_family or "OTHR")


def _batch(b: Builder, details: etree._Element, batch: BatchInfo) -> None:
    btch = b.add(details, "Btch")
    b.opt(btch, "MsgId", batch.message_id)
    b.opt(btch, "PmtInfId", batch.payment_info_id)
    b.opt(btch, "NbOfTxs", None if batch.tx_count is None else str(batch.tx_count))
    b.opt(btch, "TtlAmt", None if batch.total_vnd is None else str(batch.total_vnd), Ccy="VND")
    b.opt(btch, "CdtDbtInd", batch.credit_debit)


def _transaction(b: Builder, node: etree._Element, tx: CamtTransaction) -> None:
    refs = b.add(node, "Refs")
    b.opt(refs, "MsgId", tx.message_id)
    b.opt(refs, "AcctSvcrRef", tx.account_servicer_ref)
    b.opt(refs, "PmtInfId", tx.payment_info_id)
    b.opt(refs, "InstrId", tx.instruction_id)
    b.opt(refs, "EndToEndId", tx.end_to_end_id)
    b.opt(refs, "TxId", tx.transaction_id)
    b.opt(node, "Amt", None if tx.amount_vnd is None else str(tx.amount_vnd), Ccy="VND")
    b.opt(node, "CdtDbtInd", tx.credit_debit)
    if tx.creditor_name or tx.creditor_account:
        b.opt(node, "RltdPties/Cdtr/Pty/Nm", tx.creditor_name)
        b.opt(node, "RltdPties/CdtrAcct/Id/Othr/Id", tx.creditor_account)
    b.opt(node, "RmtInf/Ustrd", tx.remittance)
    if tx.return_reason or tx.return_text:
        b.opt(node, "RtrInf/Rsn/Cd", tx.return_reason)
        b.opt(node, "RtrInf/AddtlInf", tx.return_text[:105] or None)
