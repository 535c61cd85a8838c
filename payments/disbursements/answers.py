"""What the provider said about a payout key, from a send or a status query: dispatch's answers.

Asking is how a payout left `sending` by a dispatcher that died, or left in doubt, is resolved:
the provider is asked about its key, never sent it again blindly. A query that fails is an
answer too (unknown): the payout is in doubt, and asked about again when the batch is
dispatched again. A status answer may say what amount the provider holds under the key; one
that differs from the payout's is not taken as it stands (`answer_problems.py`).
"""

from dataclasses import dataclass

from payments.adapters.base import PayoutAdapter
from payments.adapters.errors import AdapterProtocolError, AdapterUnavailable
from payments.adapters.messages import SendResult, StatusResult
from payments.adapters.vocabulary import PayoutStatus


@dataclass(frozen=True)
class Answer:
    """What the provider said about one key, from a send or a status query."""

    payout_key: str
    status: PayoutStatus
    reason: str | None = None
    reason_text: str = ""
    reference: str | None = None
    amount_vnd: int | None = None  # what the provider holds under the key, when a status query says

    @classmethod
    def of(cls, said: SendResult | StatusResult) -> "Answer":
        reason = said.reason.value if said.reason else None
        amount = said.amount_vnd if isinstance(said, StatusResult) else None  # a send's answer has none
        return cls(said.payout_key, said.status, reason, said.reason_text, said.provider_reference, amount)


def ask(adapter: PayoutAdapter, key: str) -> Answer:
    try:
        return Answer.of(adapter.status(key))
    except (AdapterUnavailable, AdapterProtocolError):
        return Answer(key, PayoutStatus.UNKNOWN, reason_text="status query failed")
