"""Instrument snapshots: where a payout goes, frozen when it is built.

A build seals each payout's snapshot (bank account, wallet, or cash pickup at the commune);
dispatch opens it once, for the manifest check, and sends the adapter's view of it. The API
and the console show only its masked copy.
"""

import json
from typing import Any, Protocol

from payments.adapters.creditors import BankAccount, CashPickup, Creditor, WalletAccount
from payments.registry.crypto import PiiCipher, Sealed, mask

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
