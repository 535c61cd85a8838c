"""The manifest check: dispatch sends what was approved, and nothing else.

Each dispatch begins by opening every payout's sealed snapshot, hashing keys, amounts and
snapshots into the manifest the approvers saw, and counting the approvals still bound to it.
What the check found (`ApprovedPayout`) is what every claim then sends: a queued row whose
amount or sealed snapshot is no longer the one checked is refused, never a later reading sent.
"""

from typing import NamedTuple

from sqlalchemy.orm import Session

from payments.adapters.creditors import Creditor
from payments.adapters.messages import PayoutInstruction
from payments.disbursements import outbox
from payments.disbursements.approval import approvals_needed, valid_approvers
from payments.disbursements.manifest import ManifestLine, manifest_hash
from payments.disbursements.model import Batch
from payments.disbursements.snapshots import creditor, open_snapshot
from payments.errors import RuleViolation
from payments.registry.crypto import PiiCipher


class ApprovedPayout(NamedTuple):  # a tuple: one per payout of the batch, made at every dispatch
    """A payout as the manifest check found it: its amount, its sealed snapshot, and where it
    goes (the snapshot opened). A claim sends this creditor and refuses a row that differs."""

    amount_vnd: int
    sealed: tuple[bytes, str]  # instrument ciphertext and key id, as checked
    creditor: Creditor

    def matches(self, row: outbox.QueuedPayout) -> bool:
        """Whether a payout row still holds this amount and this very ciphertext."""
        return (
            row.amount_vnd == self.amount_vnd
            and (row.instrument_sealed, row.instrument_key_id) == self.sealed
        )


Approved = dict[str, ApprovedPayout]  # by payout key


def check_manifest(session: Session, batch: Batch, cipher: PiiCipher, threshold_vnd: int) -> Approved:
    """Every payout's key, amount and opened snapshot, checked against the approved manifest.
    Each snapshot is opened here once; claims send what was checked, never a later reading."""
    rows = outbox.sealed_payouts(session, batch.id)
    lines = [ManifestLine(row.payout_key, row.amount_vnd, open_snapshot(cipher, row)) for row in rows]
    if manifest_hash(lines) != batch.manifest_hash:
        raise _manifest_changed(batch.id)
    total = sum(row.amount_vnd for row in rows)  # the amounts hashed, not the stored total
    if len(valid_approvers(session, batch)) < approvals_needed(batch, threshold_vnd, total_vnd=total):
        raise RuleViolation(f"batch {batch.id}: not enough approvals bound to its current manifest")
    return {
        row.payout_key: ApprovedPayout(
            row.amount_vnd, (row.instrument_sealed, row.instrument_key_id), creditor(line.instrument)
        )
        for row, line in zip(rows, lines, strict=True)
    }


def instruction(
    row: outbox.QueuedPayout, approved: Approved, *, batch_id: int, remittance: str, reference: str
) -> PayoutInstruction:
    """What the adapter is sent for a queued row: refused unless it is the payout approved."""
    as_approved = approved.get(row.payout_key)
    if as_approved is None or not as_approved.matches(row):
        raise _manifest_changed(batch_id)
    return PayoutInstruction(
        payout_key=row.payout_key,
        amount_vnd=row.amount_vnd,
        creditor=as_approved.creditor,
        beneficiary_name=row.beneficiary_name,
        remittance_info=remittance,
        batch_reference=reference,
    )


def _manifest_changed(batch_id: int) -> RuleViolation:
    return RuleViolation(f"batch {batch_id}: its payouts no longer match the manifest that was approved")
