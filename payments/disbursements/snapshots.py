"""Instrument snapshots: where a payout goes, frozen when it is built.

A build seals each payout's snapshot (bank account, wallet, or cash pickup at the commune);
dispatch opens it once, for the manifest check, and sends the adapter's view of it. The API
and the console show only its masked copy. A payout of what is owed to someone who has died
goes to the recipient recorded for them: its snapshot is the recipient's instrument (a cash
pickup against the recipient's own citizen ID) and names them under "recipient", so that the
manifest the approvers sign covers who is paid, not only where.
"""

import json
from typing import Any, Protocol

from payments.adapters.creditors import BankAccount, CashPickup, Creditor, WalletAccount
from payments.registry.crypto import PiiCipher, Sealed, mask
from payments.registry.payees import Payee

SEALED_AS = "payout_instrument"  # the field name the encryption binds a snapshot to


def creditor(snapshot: dict[str, Any]) -> Creditor:
    """The adapter's view of a frozen instrument snapshot."""
    if snapshot["kind"] == "cash":
        return CashPickup(
            commune_code=snapshot["commune"],
            citizen_id=snapshot["citizen_id"],
            holder_name=snapshot["holder_name"],
        )
    if snapshot["kind"] == "bank":
        return BankAccount(
            bin=snapshot["bin"], account_number=snapshot["account"], holder_name=snapshot["holder_name"]
        )
    return WalletAccount(provider=snapshot["provider"], phone=snapshot["phone"])


def instrument_snapshot(payee: Payee, commune: str, cipher: PiiCipher) -> dict[str, Any]:
    """Where the money goes, in clear: the payee's account or wallet, or cash at the commune's
    post office handed over against the payee's citizen ID card."""
    inst = payee.instrument
    if inst.kind == "cash":
        if payee.citizen_id is None:  # the database refuses cash for a payee without one
            raise ValueError("a cash pickup needs the payee's citizen ID")
        citizen_id = cipher.open("citizen_id", *payee.citizen_id)
        return {"kind": "cash", "commune": commune, "citizen_id": citizen_id, "holder_name": payee.name}
    sealed, key_id = inst.account_ct, inst.account_key
    account = cipher.open("account", sealed, key_id) if sealed and key_id else None
    if inst.kind == "bank":
        return {"kind": "bank", "bin": inst.bank_bin, "account": account, "holder_name": inst.holder_name}
    return {"kind": "ewallet", "provider": inst.wallet_provider, "phone": account}


def recipient_snapshot(payee: Payee) -> dict[str, Any]:
    """For a payee who receives what is owed to someone who has died: who they are and the
    decision that names them (no identifier: the cash pickup's citizen ID is masked apart)."""
    recipient = payee.recipient
    if recipient is None:
        return {}
    return {
        "recipient": {
            "id": recipient.id,
            "name": recipient.full_name,
            "relationship": recipient.relationship,
            "decision_reference": recipient.decision_reference,
        }
    }


def masked_snapshot(snapshot: dict[str, Any]) -> dict[str, Any]:
    hidden = {key: mask(snapshot.get(key)) for key in ("account", "phone", "citizen_id")}
    return {k: hidden.get(k, v) for k, v in snapshot.items()}


def seal_snapshot(cipher: PiiCipher, snapshot: dict[str, Any]) -> Sealed:
    return cipher.seal(SEALED_AS, json.dumps(snapshot, sort_keys=True))


class SealedSnapshot(Protocol):
    """What opening a snapshot needs of a payout (an ORM row or a plain one)."""

    @property
    def instrument_sealed(self) -> bytes: ...

    @property
    def instrument_key_id(self) -> str: ...


def open_snapshot(cipher: PiiCipher, payout: SealedSnapshot) -> dict[str, Any]:
    return json.loads(cipher.open(SEALED_AS, payout.instrument_sealed, payout.instrument_key_id))
