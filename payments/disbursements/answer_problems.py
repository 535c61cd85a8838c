"""What finance staff must see of a provider's send and status answers: exceptions raised in the
transaction that records the answers (`claims.record_answers`), idempotent by fingerprint, so
an answer recorded twice (a retry, two dispatchers) raises one exception.

- AMOUNT_MISMATCH: a status answer naming another amount than the payout's is about some other
  payment under its key (a key reused, a provider's error). It is not taken as it stands: a
  payout waiting for an answer goes in doubt, whatever the answer's status, as a statement line
  booking the key with another amount never settles it either.
- CONTRADICTED_ANSWER: an answer for a payout that other news (a callback, a rival dispatcher)
  moved on meanwhile, which that state cannot follow from (`states.contradicts`): settled, then
  the send said rejected. The payout keeps its state until someone has asked the provider.
"""

from dataclasses import replace
from typing import Any

from payments.adapters.vocabulary import PayoutStatus
from payments.disbursements.answers import Answer
from payments.disbursements.outbox import AnsweredPayout
from payments.exception_queue.raising import AMOUNT_MISMATCH, CONTRADICTED_ANSWER, Problem


def of_another_amount(payout: AnsweredPayout, answer: Answer) -> bool:
    """Whether the provider says it holds another amount under the payout's key (most answers
    name none: a send's never does)."""
    return answer.amount_vnd is not None and answer.amount_vnd != payout.amount_vnd


def in_doubt(payout: AnsweredPayout, answer: Answer) -> Answer:
    """`answer` as what it proves of `payout` when it names another amount: nothing (unknown)."""
    why = f"the provider answered {answer.status.value} for {answer.amount_vnd} VND, not {payout.amount_vnd}"
    return replace(answer, status=PayoutStatus.UNKNOWN, reason=None, reason_text=why)


def amount_mismatch(adapter: str, payout: AnsweredPayout, answer: Answer, *, kept: str) -> Problem:
    """The exception for an answer of another amount; `kept` is the payout's state after it."""
    detail = (
        f"payout {payout.payout_key} of batch {payout.batch_id} is {payout.amount_vnd} VND, yet {adapter} "
        f"answered {answer.status.value} for {answer.amount_vnd} VND: it stays {kept} until someone "
        "asks the provider (a statement line booking its key settles or returns it)"
    )
    return Problem(
        kind=AMOUNT_MISMATCH,
        # one per payout and amount said, whatever status comes with it, however often it is said
        fingerprint=f"{AMOUNT_MISMATCH}:answer:payout:{payout.id}:{answer.amount_vnd}",
        adapter=adapter, payout_id=payout.id, amount_vnd=payout.amount_vnd, detail=detail,
        data=_facts(payout, answer, kept),
    )  # fmt: skip


def contradiction(adapter: str, payout: AnsweredPayout, answer: Answer) -> Problem:
    """The exception for an answer the payout's later state contradicts; that state stands."""
    said = ": ".join(part for part in (answer.reason, answer.reason_text) if part)
    detail = (
        f"payout {payout.payout_key} of batch {payout.batch_id} is {payout.state}, yet {adapter} answered "
        f"{answer.status.value}{f' ({said})' if said else ''}: it stays {payout.state} until someone "
        "asks the provider"
    )
    return Problem(
        kind=CONTRADICTED_ANSWER,
        fingerprint=f"{CONTRADICTED_ANSWER}:payout:{payout.id}:{payout.state}:{answer.status.value}",
        adapter=adapter, payout_id=payout.id, amount_vnd=payout.amount_vnd, detail=detail,
        data=_facts(payout, answer, payout.state),
    )  # fmt: skip


def said(answer: Answer) -> dict[str, Any]:
    """What the provider said, as the audit log and the exception keep it."""
    return {
        "status": answer.status.value, "reason": answer.reason, "reason_text": answer.reason_text,
        "reference": answer.reference, "amount_vnd": answer.amount_vnd,
    }  # fmt: skip


def _facts(payout: AnsweredPayout, answer: Answer, kept: str) -> dict[str, Any]:
    facts = {"batch_id": payout.batch_id, "payout_key": payout.payout_key, "kept": kept}
    return facts | {"answer": said(answer)}
