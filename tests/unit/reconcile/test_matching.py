"""The matching passes, pure: exact key, secondary references, payment blocks, suggestions."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from payments.reconcile.lines import Line
from payments.reconcile.matching import (
    AMBIGUOUS,
    AMOUNT_MISMATCH,
    UNMATCHED,
    Candidate,
    CandidateIndex,
    Flag,
    Match,
    match_line,
    match_lines,
    name_likeness,
    suggest,
)

DAY = date(2024, 8, 21)


def payout(n: int, amount: int = 750_000, **changes) -> Candidate:
    values = {
        "payout_id": n,
        "payout_key": f"2408-{n:08d}-01-BTXH",
        "amount_vnd": amount,
        "state": "accepted",
    }
    return Candidate(**(values | changes))


def debit(**changes) -> Line:
    values = {"position": 1, "movement": True, "status": "settled", "amount_vnd": 750_000}
    values |= {"direction": "DBIT", "booking_date": DAY}
    return Line(**(values | changes))


keys = st.lists(st.integers(1, 10**9), min_size=1, max_size=40, unique=True)
amounts = st.integers(1, 10**10)


@given(keys, st.data())
def test_pass_one_matches_every_key_with_its_own_amount(numbers, data):
    amounts_by_n = {n: data.draw(amounts) for n in numbers}
    index = CandidateIndex(payout(n, a) for n, a in amounts_by_n.items())
    lines = [debit(end_to_end_id=payout(n).payout_key, amount_vnd=a) for n, a in amounts_by_n.items()]
    results = match_lines(lines, index)
    assert all(isinstance(r, Match) and r.match_pass == 1 for r in results)
    assert [r.payouts[0].payout_id for r in results] == list(amounts_by_n)


@given(amounts, amounts)
def test_the_key_with_another_amount_is_a_mismatch_never_a_match(ours, theirs):
    index = CandidateIndex([payout(1, ours)])
    result = match_line(debit(end_to_end_id=payout(1).payout_key, amount_vnd=theirs), index)
    assert isinstance(result, Match) == (ours == theirs)
    if ours != theirs:
        assert isinstance(result, Flag)
        assert result.kind == AMOUNT_MISMATCH


def test_a_status_line_without_an_amount_matches_by_key_alone():
    status = Line(position=1, movement=False, status="rejected", end_to_end_id=payout(1).payout_key)
    assert isinstance(match_line(status, CandidateIndex([payout(1)])), Match)


def test_pass_two_matches_the_provider_reference_when_exactly_one_payout_fits():
    index = CandidateIndex([payout(1, provider_reference="SBX1"), payout(2, provider_reference="SBX2")])
    result = match_line(debit(end_to_end_id="TRUNCATED", provider_tx_id="SBX2"), index)
    assert isinstance(result, Match)
    assert result.match_pass == 2
    assert result.payouts[0].payout_id == 2


def test_pass_two_matches_an_instruction_id_given_as_a_reference():
    index = CandidateIndex([payout(1)], references={"B-1/000001": [payout(1)]})
    assert isinstance(match_line(debit(instr_id="B-1/000001"), index), Match)


def test_pass_two_uses_a_16_character_reference_as_a_key_prefix_only_when_one_fits():
    one = CandidateIndex([payout(1), payout(2, amount=500_000)])
    prefix = payout(1).payout_key[:16]
    assert isinstance(match_line(debit(reference=prefix), one), Match)
    # Keys built by one build never share 16 characters; a hand-made second one must not slip through.
    twin = payout(2, payout_key=prefix + "-NCC")
    two = CandidateIndex([payout(1), twin])
    result = match_line(debit(reference=prefix), two)
    assert isinstance(result, Flag)
    assert result.kind == AMBIGUOUS
    assert len(result.candidates) == 2


def test_a_short_reference_is_not_used_as_a_prefix():
    result = match_line(debit(reference="VN20"), CandidateIndex([payout(1)]))
    assert isinstance(result, Flag)
    assert result.kind == UNMATCHED


@given(st.lists(st.integers(1, 5_000_000), min_size=1, max_size=20))
def test_pass_three_books_a_block_as_the_sum_of_its_live_members(block_amounts):
    members = [payout(n, a) for n, a in enumerate(block_amounts, 1)]
    rejected = payout(999, 123, state="rejected")
    index = CandidateIndex(members, groups={"PMT-1": [*members, rejected]})
    line = debit(payment_info_id="PMT-1", batch_count=len(members), amount_vnd=sum(block_amounts))
    result = match_line(line, index)
    assert isinstance(result, Match)
    assert result.match_pass == 3
    assert {c.payout_id for c in result.payouts} == {c.payout_id for c in members}
    wrong = match_line(
        debit(payment_info_id="PMT-1", batch_count=1, amount_vnd=sum(block_amounts) + 1), index
    )
    assert isinstance(wrong, Flag)
    assert wrong.kind == AMOUNT_MISMATCH


def test_pass_three_by_control_sum_needs_exactly_one_block_of_that_total():
    groups = {"A": [payout(1), payout(2)], "B": [payout(3, 1_000_000)]}
    index = CandidateIndex([], groups=groups)
    line = debit(payment_info_id="UNKNOWN", batch_count=2, amount_vnd=1_500_000)
    result = match_line(line, index)
    assert isinstance(result, Match)
    assert [c.payout_id for c in result.payouts] == [1, 2]
    twins = CandidateIndex([], groups={"A": [payout(1), payout(2)], "C": [payout(4), payout(5)]})
    assert isinstance(match_line(line, twins), Flag)


def test_pass_three_by_control_sum_tells_blocks_of_one_total_apart_by_the_count_booked():
    index = CandidateIndex([], groups={"A": [payout(1), payout(2)], "C": [payout(4, 1_500_000)]})
    two = match_line(debit(payment_info_id="UNKNOWN", batch_count=2, amount_vnd=1_500_000), index)
    one = match_line(debit(payment_info_id="UNKNOWN", batch_count=1, amount_vnd=1_500_000), index)
    assert isinstance(two, Match)
    assert [c.payout_id for c in two.payouts] == [1, 2]
    assert isinstance(one, Match)
    assert [c.payout_id for c in one.payouts] == [4]


def test_a_block_status_whose_count_differs_from_the_payouts_known_in_it_moves_nothing():
    index = CandidateIndex([], groups={"MSG-1": [payout(1), payout(2)]})
    rejected = Line(1, False, "rejected", payment_info_id="MSG-1", reason="AM04", batch_count=3)
    result = match_line(rejected, index)
    assert isinstance(result, Flag)
    assert result.kind == AMBIGUOUS
    assert "counts 3 payments, 2 payouts are known" in result.detail


def test_a_block_status_whose_payouts_are_not_known_moves_nothing():
    index = CandidateIndex([payout(1), payout(2)])
    rejected = Line(1, False, "rejected", payment_info_id="B7-2024-07-0a1b2c3d4e5f", batch_count=0)
    result = match_line(rejected, index)
    assert isinstance(result, Flag)
    assert result.kind == UNMATCHED
    assert "is not known: nothing was moved" in result.detail


def test_pass_four_suggests_same_amount_within_the_window_best_name_first():
    pool = [
        payout(1, beneficiary_name="Trần Văn Bình", sent_on=DAY),
        payout(2, beneficiary_name="Nguyễn Thị Đào", sent_on=DAY),
        payout(3, beneficiary_name="Nguyễn Thị Đào", sent_on=date(2024, 7, 1)),  # too early
        payout(4, amount=1, beneficiary_name="Nguyễn Thị Đào", sent_on=DAY),  # another amount
    ]
    found = suggest(debit(holder_name="NGUYEN THI DAO"), pool, window_days=3)
    assert [s.candidate.payout_id for s in found] == [2, 1]
    assert found[0].score == 1.0


def test_names_are_compared_after_folding_and_unknown_names_score_half():
    assert name_likeness("NGUYEN THI DAO", "Nguyễn Thị Đào") == 1.0
    assert name_likeness(None, "Nguyễn Thị Đào") == 0.5
    assert name_likeness("TRAN VAN BINH", "Nguyễn Thị Đào") < 0.5
