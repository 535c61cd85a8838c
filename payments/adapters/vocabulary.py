"""The words every adapter speaks, whatever its provider's own: what an adapter can do, where a
payout stands, why it failed (ISO 20022 reason codes) and which way money moved.

Providers' own codes are mapped onto these (each provider package's `mapping.py`), so
disbursements and reconciliation never see a provider's vocabulary.
"""

from enum import StrEnum


class Capability(StrEnum):
    SEND = "send"
    STATUS = "status"
    CALLBACKS = "callbacks"
    STATEMENT = "statement"
    NAME_LOOKUP = "name_lookup"
    SIGNED_RESPONSES = "signed_responses"  # every response is signature-checked
    BANK_ACCOUNTS = "bank_accounts"  # can pay a BankAccount creditor
    WALLETS = "wallets"  # can pay a WalletAccount creditor
    CASH = "cash"  # can pay a CashPickup creditor


CAPABILITIES = frozenset(Capability)


class PayoutStatus(StrEnum):
    """Where a payout stands at the provider.

    `send()` returns only ACCEPTED, SETTLED, REJECTED or UNKNOWN. `status()` and callbacks may
    also say RETURNED (credited, then sent back; for cash: not collected within the pickup
    window, reason NOAS, nothing left our account) and `status()` NOT_FOUND (the provider has no
    record of the key: nothing was credited, resending with the *same* key is safe).
    """

    ACCEPTED = "accepted"
    SETTLED = "settled"
    REJECTED = "rejected"
    RETURNED = "returned"
    UNKNOWN = "unknown"
    NOT_FOUND = "not_found"


SEND_STATUSES = frozenset(
    {PayoutStatus.ACCEPTED, PayoutStatus.SETTLED, PayoutStatus.REJECTED, PayoutStatus.UNKNOWN}
)


class ReasonCode(StrEnum):
    """ISO 20022 external status reason codes, the normalised vocabulary of every adapter."""

    AC01 = "AC01"  # incorrect account number (wrong account, unknown wallet, commune not served)
    AC04 = "AC04"  # closed account
    AC06 = "AC06"  # blocked account (locked wallet)
    AG01 = "AG01"  # transaction forbidden on this account
    AM02 = "AM02"  # amount exceeds the allowed maximum
    AM04 = "AM04"  # insufficient funds (in our debit account)
    AM05 = "AM05"  # duplication
    BE01 = "BE01"  # inconsistent with end customer (name mismatch)
    FF01 = "FF01"  # invalid file or message format
    MS03 = "MS03"  # reason not specified by the provider
    NARR = "NARR"  # narrative: see reason_text
    NOAS = "NOAS"  # no answer from customer: cash not collected within the pickup window


# Reason codes that refuse an instruction *as a duplicate* of one the provider already holds
# (AM05 duplication; DU01-DU05 duplicate message, payment information block, transaction,
# file or instruction id). They say the original exists, not that it failed: a refusal for
# duplication never reads as a rejection of the original payout (its money may be credited).
DUPLICATION_REASONS = frozenset({"AM05", "DU01", "DU02", "DU03", "DU04", "DU05"})


class Direction(StrEnum):
    """Seen from our own (debit) account: a payout is a DEBIT, a return is a CREDIT."""

    CREDIT = "CRDT"
    DEBIT = "DBIT"
