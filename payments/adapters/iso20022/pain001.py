"""pain.001.001.09 credit transfer initiation: the payout files we send to a bank.

One file per chunk of a batch, one payment information block per file. The output is a pure
function of the input (no clock, no random ids), so sending the same chunk again produces the
same bytes, and the bank can recognise the resend by MsgId and each transfer by EndToEndId.
"""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from lxml import etree

from payments.adapters.iso20022.fields import Here
from payments.adapters.iso20022.xmlsafe import Source, parse_tree, validate
from payments.adapters.iso20022.xmlwrite import Builder, document_bytes, write_atomically
from payments.chain import encode
from payments.errors import Conflict, InvalidInput

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
SCHEMA = "pain.001.001.09.xsd"
_B = Builder(NAMESPACE)


@dataclass(frozen=True)
class CreditTransfer:
    """One payout. `end_to_end_id` is our payout key, carried to the payee's bank and back."""

    end_to_end_id: str
    instruction_id: str
    amount_vnd: int
    creditor_name: str
    creditor_account: str
    creditor_bin: str
    remittance: str | None = None


@dataclass(frozen=True)
class Party:
    """The paying authority: its name, its account and its bank's NAPAS BIN."""

    name: str
    account: str
    bin: str


@dataclass(frozen=True)
class Pain001:
    message_id: str
    payment_info_id: str
    created_at: datetime
    execution_date: date
    initiating_party: str
    debtor: Party
    transfers: tuple[CreditTransfer, ...]
    batch_booking: bool = False

    @property
    def count(self) -> int:
        return len(self.transfers)

    @property
    def control_sum_vnd(self) -> int:
        return sum(transfer.amount_vnd for transfer in self.transfers)


def message_id_for(batch_ref: str, payout_keys: Sequence[str]) -> str:
    """The same MsgId whenever the same chunk of the same batch is sent (never a timestamp):
    the batch reference (file-name safe, at most 22 characters) and a digest of batch and keys.
    """
    digest = hashlib.sha256(encode((batch_ref, list(payout_keys)))).hexdigest()[:12]
    prefix = re.sub(r"[^A-Za-z0-9._-]", "_", batch_ref)[:22]
    return f"{prefix}-{digest}" if prefix else f"M-{digest}"


def file_name(message: Pain001) -> str:
    return f"pain001-{message.message_id}.xml"


def build_pain001(message: Pain001) -> bytes:
    """The document's bytes, checked against the official XSD; raises `InvalidInput` if wrong."""
    _check(message)
    root = _B.root("Document")
    body = _B.add(root, "CstmrCdtTrfInitn")
    _group_header(body, message)
    info = _payment_info(body, message)
    for transfer in message.transfers:
        _transfer(_B.add(info, "CdtTrfTxInf"), transfer)
    data = document_bytes(root)
    validate(parse_tree(data), SCHEMA)
    return data


def write_pain001(message: Pain001, outbox: Path) -> Path:
    """Write the file atomically into `outbox`; idempotent for the same message.

    A file already there with the same payouts is kept as it is, even if it was made at
    another moment (another process sending the same chunk). Raises `Conflict` when it holds
    different payouts: a chunk that changed must get a new MsgId, never overwrite the old one.
    """
    data = build_pain001(message)
    target = outbox / file_name(message)
    if target.exists():
        if same_payouts(parse_pain001(target, check_schema=False), message):
            return target
        raise Conflict(
            f"{target.name} was already written with different content", message_id=message.message_id
        )
    write_atomically(target, data)
    return target


def same_payouts(one: Pain001, other: Pain001) -> bool:
    """Equal but for when they were made (CreDtTm, and the execution date derived from it)."""
    return replace(one, created_at=other.created_at, execution_date=other.execution_date) == other


def _check(message: Pain001) -> None:
    if not message.transfers:
        raise InvalidInput("a pain.001 needs at least one transfer")
    if message.created_at.tzinfo is None:
        raise InvalidInput("created_at must be timezone-aware")
    keys = [transfer.end_to_end_id for transfer in message.transfers]
    if len(set(keys)) != len(keys):
        raise InvalidInput("EndToEndId repeats within one message", message_id=message.message_id)
    for transfer in message.transfers:
        if not 0 < len(transfer.end_to_end_id) <= 35:
            raise InvalidInput("EndToEndId must be 1 to 35 characters", end_to_end_id=transfer.end_to_end_id)
        if transfer.amount_vnd <= 0:
            raise InvalidInput("amounts must be positive whole đồng", end_to_end_id=transfer.end_to_end_id)


def _group_header(body: etree._Element, message: Pain001) -> None:
    header = _B.add(body, "GrpHdr")
    _B.add(header, "MsgId", message.message_id)
    _B.add(header, "CreDtTm", message.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    _B.add(header, "NbOfTxs", str(message.count))
    _B.add(header, "CtrlSum", str(message.control_sum_vnd))
    _B.add(header, "InitgPty/Nm", message.initiating_party)


def _payment_info(body: etree._Element, message: Pain001) -> etree._Element:
    info = _B.add(body, "PmtInf")
    _B.add(info, "PmtInfId", message.payment_info_id)
    _B.add(info, "PmtMtd", "TRF")
    _B.add(info, "BtchBookg", "true" if message.batch_booking else "false")
    _B.add(info, "NbOfTxs", str(message.count))
    _B.add(info, "CtrlSum", str(message.control_sum_vnd))
    _B.add(info, "ReqdExctnDt/Dt", message.execution_date.isoformat())
    _B.add(info, "Dbtr/Nm", message.debtor.name)
    _B.add(info, "DbtrAcct/Id/Othr/Id", message.debtor.account)
    _agent(info, "DbtrAgt", message.debtor.bin)
    return info


def _agent(parent: etree._Element, name: str, bank_bin: str) -> None:
    """A bank named by its NAPAS BIN, the clearing-system member id Vietnamese banks use."""
    _B.add(parent, f"{name}/FinInstnId/ClrSysMmbId/ClrSysId/Prtry", "NAPAS")
    _B.add(parent, f"{name}/FinInstnId/ClrSysMmbId/MmbId", bank_bin)


def _transfer(tx: etree._Element, transfer: CreditTransfer) -> None:
    _B.add(tx, "PmtId/InstrId", transfer.instruction_id)
    _B.add(tx, "PmtId/EndToEndId", transfer.end_to_end_id)
    _B.add(tx, "Amt/InstdAmt", str(transfer.amount_vnd), Ccy="VND")
    _agent(tx, "CdtrAgt", transfer.creditor_bin)
    _B.add(tx, "Cdtr/Nm", transfer.creditor_name)
    _B.add(tx, "CdtrAcct/Id/Othr/Id", transfer.creditor_account)
    _B.opt(tx, "RmtInf/Ustrd", transfer.remittance)


def parse_pain001(source: Source, *, check_schema: bool = True) -> Pain001:
    """Read a pain.001.001.09 (the bank side of the exchange, and tests); raises `MalformedMessage`."""
    tree = parse_tree(source)
    if check_schema:
        validate(tree, SCHEMA)
    doc = Here(tree.getroot(), NAMESPACE, "/Document")
    info = doc.child("CstmrCdtTrfInitn/PmtInf")
    if len(doc.findall("CstmrCdtTrfInitn/PmtInf")) > 1:
        raise doc.fail("only one PmtInf per file is supported", doc.findall("CstmrCdtTrfInitn/PmtInf")[1])
    message = Pain001(
        message_id=doc.required("CstmrCdtTrfInitn/GrpHdr/MsgId"),
        payment_info_id=info.required("PmtInfId"),
        created_at=doc.moment("CstmrCdtTrfInitn/GrpHdr/CreDtTm"),
        execution_date=info.required_day("ReqdExctnDt"),
        initiating_party=doc.text("CstmrCdtTrfInitn/GrpHdr/InitgPty/Nm") or "",
        debtor=Party(info.text("Dbtr/Nm") or "", info.required("DbtrAcct/Id/Othr/Id"), _bin(info, "DbtrAgt")),
        transfers=tuple(_read_transfer(info.at(node)) for node in info.findall("CdtTrfTxInf")),
        batch_booking=info.text("BtchBookg") == "true",
    )
    _check_totals(doc.child("CstmrCdtTrfInitn/GrpHdr"), message)
    _check_totals(info, message)
    return message


def _check_totals(here: Here, message: Pain001) -> None:
    """NbOfTxs and CtrlSum are control totals: a file whose totals disagree is not paid."""
    count = here.count("NbOfTxs")
    if count is not None and count != message.count:
        raise here.fail(
            f"NbOfTxs says {count} but the file has {message.count} transfers", here.find("NbOfTxs")
        )
    total = here.amount_vnd("CtrlSum", required=False)
    if total is not None and total != message.control_sum_vnd:
        raise here.fail(
            f"CtrlSum says {total} but the transfers add up to {message.control_sum_vnd}",
            here.find("CtrlSum"),
        )


def _bin(here: Here, agent: str) -> str:
    return here.required(f"{agent}/FinInstnId/ClrSysMmbId/MmbId")


def _read_transfer(tx: Here) -> CreditTransfer:
    return CreditTransfer(
        end_to_end_id=tx.required("PmtId/EndToEndId"),
        instruction_id=tx.text("PmtId/InstrId") or "",
        amount_vnd=tx.amount_vnd("Amt/InstdAmt") or 0,
        creditor_name=tx.text("Cdtr/Nm") or "",
        creditor_account=tx.required("CdtrAcct/Id/Othr/Id"),
        creditor_bin=_bin(tx, "CdtrAgt"),
        remittance=tx.text("RmtInf/Ustrd"),
    )
