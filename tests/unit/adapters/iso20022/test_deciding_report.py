"""Which pain.002 status decides a payout: a settlement is terminal, a refusal for duplication
says nothing about the original payout, and only statuses about the message it went out in count."""

from datetime import UTC, datetime

import pytest

from payments.adapters.iso20022 import mapping
from payments.adapters.iso20022.folders import Reported, Sent
from payments.adapters.vocabulary import PayoutStatus

SENT = Sent("P-1", "M-1", "M-1", "M-1/000001", 500_000, "pain001-M-1.xml")


def reported(hour: int, status: str, reason: str | None = None, *, group: bool = False, **about) -> Reported:
    return Reported(
        datetime(2024, 8, 21, hour, tzinfo=UTC),
        f"psr-{hour}.xml",
        status,
        reason,
        per_transaction=not group,
        **({"original_message_id": "M-1", "original_payment_info_id": "" if group else "M-1"} | about),
    )


def decided(*reports: Reported) -> PayoutStatus:
    report = mapping.latest(list(reports))
    assert report is not None
    return mapping.status_from_report("P-1", report, SENT, SENT.instruction_id).status


@pytest.mark.parametrize(
    ("code", "reason"), [("RJCT", "DU01"), ("RJCT", "AM05"), ("RJCT", "FF01"), ("ACSP", None)]
)
def test_nothing_reported_after_a_settlement_undoes_it(code, reason):
    assert decided(reported(9, "ACSC"), reported(10, code, reason, group=True)) is PayoutStatus.SETTLED
    assert decided(reported(9, "ACCC"), reported(10, code, reason)) is PayoutStatus.SETTLED


def test_a_settlement_after_a_rejection_still_settles():
    assert decided(reported(9, "RJCT", "AC04"), reported(10, "ACSC")) is PayoutStatus.SETTLED


@pytest.mark.parametrize("reason", ["AM05", "DU01", "DU02", "DU03", "DU04", "DU05"])
def test_a_refusal_for_duplication_does_not_reject_an_accepted_payout(reason):
    assert decided(reported(9, "ACSP"), reported(10, "RJCT", reason, group=True)) is PayoutStatus.ACCEPTED


@pytest.mark.parametrize("reason", ["AM05", "DU01", "DU05"])
def test_a_refusal_for_duplication_alone_is_unknown_without_a_reason(reason):
    report = mapping.latest([reported(10, "RJCT", reason)])
    assert report is not None
    result = mapping.status_from_report("P-1", report, SENT, SENT.instruction_id)
    assert (result.status, result.reason) == (PayoutStatus.UNKNOWN, None)
    assert reason in result.reason_text


def test_a_real_rejection_outranks_a_refusal_for_duplication():
    assert (
        decided(reported(9, "RJCT", "AC04"), reported(10, "RJCT", "DU01", group=True))
        is PayoutStatus.REJECTED
    )


def test_a_status_is_about_the_message_and_block_a_payout_went_out_in():
    assert reported(9, "ACSC").is_about(SENT)
    assert reported(9, "RJCT", group=True).is_about(SENT)
    assert not reported(9, "RJCT", "AM05", original_message_id="M-2").is_about(SENT)
    assert not reported(9, "RJCT", original_payment_info_id="M-2").is_about(SENT)
