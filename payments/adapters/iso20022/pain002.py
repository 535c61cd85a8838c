"""pain.002 customer payment status reports: the bank's answer to our pain.001 files.

Read streaming, so a report on a 250,000-payout file stays in bounded memory. Any version of
pain.002 is accepted for reading (the elements used here are the same since 001.03); our
simulator writes pain.002.001.12, checked against the official XSD.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from payments.adapters.iso20022.fields import Here
from payments.adapters.iso20022.xmlsafe import Source, parse_tree, streamed, validate
from payments.adapters.iso20022.xmlwrite import Builder, document_bytes

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.12"
SCHEMA = "pain.002.001.12.xsd"
FINAL_STATUSES = frozenset({"ACSC", "ACCC", "RJCT"})
_ROOT = "/Document/CstmrPmtStsRpt"


@dataclass(frozen=True, slots=True)
class ReportHeader:
    """GrpHdr and OrgnlGrpInfAndSts: which of our messages this report answers."""

    message_id: str
    created_at: datetime
    original_message_id: str
    original_message_name: str
    group_status: str | None = None  # GrpSts: a status for the whole original message
    group_reason: str | None = None
    group_reason_text: str = ""


@dataclass(frozen=True, slots=True)
class PaymentInfoStatus:
    """OrgnlPmtInfAndSts: a status for one payment information block (PmtInfSts)."""

    original_payment_info_id: str
    status: str | None = None
    reason: str | None = None
    reason_text: str = ""
    count: int | None = None


@dataclass(frozen=True, slots=True)
class TransactionStatus:
    """TxInfAndSts: one payout's status (TxSts) with its reason code (StsRsnInf/Rsn/Cd)."""

    original_payment_info_id: str
    original_end_to_end_id: str | None
    original_instruction_id: str | None
    status: str | None
    reason: str | None = None
    reason_text: str = ""
    amount_vnd: int | None = None  # OrgnlTxRef/Amt/InstdAmt, when the bank repeats it
    account_servicer_ref: str | None = None
    accepted_at: datetime | None = None
    line: int | None = None  # where it is in the file, for people reading exceptions

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True, slots=True)
class StatusReport:
    header: ReportHeader
    payment_infos: tuple[PaymentInfoStatus, ...] = ()
    transactions: tuple[TransactionStatus, ...] = ()


def iter_pain002(source: Source) -> Iterator[ReportHeader | PaymentInfoStatus | TransactionStatus]:
    """Stream a report: its header first, then each transaction, and each payment
    information block's own status after that block's transactions.

    Raises `MalformedMessage` (path, line, plain reason) on a file that is not a pain.002.
    """
    names = ["GrpHdr", "OrgnlGrpInfAndSts", "OrgnlPmtInfAndSts", "TxInfAndSts"]
    with streamed(source, ["pain.002"], names) as (ns, events):
        state = _Walk(ns)
        for _event, elem in events:
            yield from state.read(elem)


class _Walk:
    """Remembers the group header and the position of each block, clearing as it goes."""

    def __init__(self, ns: str) -> None:
        self.ns = ns
        self.header: Here | None = None
        self.blocks = 0
        self.txs = 0

    def read(self, elem: etree._Element) -> Iterator[ReportHeader | PaymentInfoStatus | TransactionStatus]:
        name = etree.QName(elem).localname
        if name == "GrpHdr":
            self.header = Here(elem, self.ns, f"{_ROOT}/GrpHdr")
        elif name == "OrgnlGrpInfAndSts":
            yield _header(self._header(), Here(elem, self.ns, f"{_ROOT}/OrgnlGrpInfAndSts"))
            elem.getparent().remove(self.header.elem)  # type: ignore[union-attr]
        elif name == "TxInfAndSts":
            self.txs += 1
            yield _transaction(Here(elem, self.ns, f"{self._block_path()}/TxInfAndSts[{self.txs}]"))
            _drop_read(elem)
        else:
            yield _payment_info(Here(elem, self.ns, self._block_path()))
            self.blocks, self.txs = self.blocks + 1, 0
            _drop_read(elem)

    def _header(self) -> Here:
        if self.header is None:
            raise AssertionError("the schema puts GrpHdr first; a file without it fails earlier")
        return self.header

    def _block_path(self) -> str:
        """The block being read: the ones before it are already counted."""
        return f"{_ROOT}/OrgnlPmtInfAndSts[{self.blocks + 1}]"


def _drop_read(elem: etree._Element) -> None:
    """Free a read element and the already-read siblings of the same kind before it."""
    elem.clear(keep_tail=True)
    parent = elem.getparent()
    while (previous := elem.getprevious()) is not None and previous.tag == elem.tag:
        parent.remove(previous)


def _reason(here: Here) -> tuple[str | None, str]:
    """The first StsRsnInf's code (Cd, else Prtry) and its additional text."""
    code = here.text("StsRsnInf/Rsn/Cd") or here.text("StsRsnInf/Rsn/Prtry")
    texts = [node.text.strip() for node in here.findall("StsRsnInf/AddtlInf") if node.text]
    return code, " ".join(texts)


def _header(group: Here, original: Here) -> ReportHeader:
    reason, text = _reason(original)
    return ReportHeader(
        message_id=group.required("MsgId"),
        created_at=group.moment("CreDtTm"),
        original_message_id=original.required("OrgnlMsgId"),
        original_message_name=original.text("OrgnlMsgNmId") or "",
        group_status=original.text("GrpSts"),
        group_reason=reason,
        group_reason_text=text,
    )


def _payment_info(block: Here) -> PaymentInfoStatus:
    reason, text = _reason(block)
    return PaymentInfoStatus(
        original_payment_info_id=block.required("OrgnlPmtInfId"),
        status=block.text("PmtInfSts"),
        reason=reason,
        reason_text=text,
        count=block.count("OrgnlNbOfTxs"),
    )


def _transaction(tx: Here) -> TransactionStatus:
    reason, text = _reason(tx)
    block = Here(tx.elem.getparent(), tx.ns, tx.path.rsplit("/", 1)[0])
    if tx.text("OrgnlEndToEndId") is None and tx.text("OrgnlInstrId") is None:
        raise tx.fail("a transaction status needs OrgnlEndToEndId or OrgnlInstrId", missing="OrgnlEndToEndId")
    return TransactionStatus(
        original_payment_info_id=block.required("OrgnlPmtInfId"),
        original_end_to_end_id=tx.text("OrgnlEndToEndId"),
        original_instruction_id=tx.text("OrgnlInstrId"),
        status=tx.text("TxSts"),
        reason=reason,
        reason_text=text,
        amount_vnd=tx.amount_vnd("OrgnlTxRef/Amt/InstdAmt", required=False),
        account_servicer_ref=tx.text("AcctSvcrRef"),
        accepted_at=tx.moment("AccptncDtTm") if tx.text("AccptncDtTm") else None,
        line=tx.elem.sourceline,
    )


def read_pain002(source: Source) -> StatusReport:
    """The whole report in memory (status reports for one chunk are small)."""
    header: ReportHeader | None = None
    infos: list[PaymentInfoStatus] = []
    txs: list[TransactionStatus] = []
    for item in iter_pain002(source):
        if isinstance(item, ReportHeader):
            header = item
        elif isinstance(item, PaymentInfoStatus):
            infos.append(item)
        else:
            txs.append(item)
    if header is None:
        raise AssertionError("iter_pain002 yields a header or raises")
    return StatusReport(header, tuple(infos), tuple(txs))


# --- writing (the bank's side: the simulator, and tests that build files) -----------------

_B = Builder(NAMESPACE)


def build_pain002(report: StatusReport, *, check_schema: bool = True) -> bytes:
    """A pain.002.001.12 document; transactions are grouped under their payment information."""
    root = _B.root("Document")
    body = _B.add(root, "CstmrPmtStsRpt")
    header = report.header
    _B.add(body, "GrpHdr/MsgId", header.message_id)
    _B.add(body, "GrpHdr/CreDtTm", header.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    original = _B.add(body, "OrgnlGrpInfAndSts/OrgnlMsgId", header.original_message_id).getparent()
    _B.add(original, "OrgnlMsgNmId", header.original_message_name or "pain.001.001.09")
    _B.opt(original, "GrpSts", header.group_status)
    _add_reason(original, header.group_reason, header.group_reason_text)
    for info in _blocks(report):
        block = _B.add(body, "OrgnlPmtInfAndSts/OrgnlPmtInfId", info.original_payment_info_id).getparent()
        _B.opt(block, "PmtInfSts", info.status)
        _add_reason(block, info.reason, info.reason_text)
        for tx in report.transactions:
            if tx.original_payment_info_id == info.original_payment_info_id:
                _add_transaction(_B.add(block, "TxInfAndSts"), tx)
    data = document_bytes(root)
    if check_schema:
        validate(parse_tree(data), SCHEMA)
    return data


def _blocks(report: StatusReport) -> Iterable[PaymentInfoStatus]:
    known = {info.original_payment_info_id: info for info in report.payment_infos}
    for tx in report.transactions:
        known.setdefault(tx.original_payment_info_id, PaymentInfoStatus(tx.original_payment_info_id))
    return known.values()


def _add_reason(parent: etree._Element, code: str | None, text: str) -> None:
    if code is None and not text:
        return
    info = _B.add(parent, "StsRsnInf")
    _B.opt(info, "Rsn/Cd", code)
    _B.opt(info, "AddtlInf", text[:105] or None)


def _add_transaction(node: etree._Element, tx: TransactionStatus) -> None:
    _B.opt(node, "OrgnlInstrId", tx.original_instruction_id)
    _B.opt(node, "OrgnlEndToEndId", tx.original_end_to_end_id)
    _B.opt(node, "TxSts", tx.status)
    _add_reason(node, tx.reason, tx.reason_text)
    if tx.accepted_at is not None:
        _B.add(node, "AccptncDtTm", tx.accepted_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    _B.opt(node, "AcctSvcrRef", tx.account_servicer_ref)
    if tx.amount_vnd is not None:
        _B.add(node, "OrgnlTxRef/Amt/InstdAmt", str(tx.amount_vnd), Ccy="VND")


def with_header(report: StatusReport, **changes: Any) -> StatusReport:
    """A copy with header fields changed (the simulator's duplicate reports get a new MsgId)."""
    return replace(report, header=replace(report.header, **changes))
