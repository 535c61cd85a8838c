"""Posting entries: idempotency, accounts on first use, bulk chunks, reversals, balances."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from sqlalchemy import func, select

from payments.clock import fixed_clock
from payments.context import Actor
from payments.errors import Conflict, InvalidInput, NotFound
from payments.ledger import repository, services
from payments.ledger.draft import EntryDraft
from payments.ledger.model import Account, Balance, Entry, Posting
from payments.ledger.verify import verify_ledger
from payments.ledger.writer import ChainWriter
from tests.factories import LedgerEntryFactory

CLERK = Actor(username="accrual-job", role="system")
JULY = date(2025, 7, 1)


def accrual(key: str, beneficiary: int, amount: int = 500_000, **extra) -> EntryDraft:
    postings = (("expense:BTXH", amount), (f"payable:{beneficiary}", -amount))
    return EntryDraft(key, "accrual", extra.pop("effective_date", JULY), postings, period="2025-07", **extra)


def test_an_entry_is_recorded_with_its_postings_links_and_who_recorded_it(session):
    moment = datetime(2025, 7, 1, 3, 0, tzinfo=UTC)
    draft = accrual("accrual:2025-07:E1:base", 1, enrolment_ref="E1", memo={"coefficient": "1.5"})
    entry = services.post_entry(session, draft, actor=CLERK, clock=fixed_clock(moment))
    assert (entry.seq, entry.kind, entry.effective_date, entry.recorded_at) == (1, "accrual", JULY, moment)
    assert (entry.actor, entry.enrolment_ref, entry.period, entry.memo) == (
        "accrual-job",
        "E1",
        "2025-07",
        {"coefficient": "1.5"},
    )
    assert entry.postings == (("expense:BTXH", 500_000), ("payable:1", -500_000))
    assert entry.content_hash == draft.content_hash
    assert entry.created
    assert len(entry.hash) == 64


def test_accounts_are_created_on_first_use_with_their_type_and_owner(session):
    services.post_entry(session, accrual("a", 17), actor=CLERK)
    services.post_entry(session, accrual("b", 17), actor=CLERK)
    rows = session.execute(select(Account.code, Account.type, Account.owner_ref).order_by(Account.code)).all()
    assert [tuple(r) for r in rows] == [("expense:BTXH", "expense", "BTXH"), ("payable:17", "payable", "17")]


def test_entries_chain_each_to_the_previous_hash_with_gapless_sequence_numbers(session):
    entries = [services.post_entry(session, accrual(f"k{i}", i), actor=CLERK) for i in range(1, 5)]
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert entries[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(entries))


def test_posting_the_same_key_and_content_again_returns_the_original_entry(session):
    first = services.post_entry(session, accrual("accrual:2025-07:E1:base", 1), actor=CLERK)
    again = services.post_entry(
        session, accrual("accrual:2025-07:E1:base", 1), actor=Actor("other", "system")
    )
    assert (again.seq, again.hash, again.created, again.actor) == (
        first.seq,
        first.hash,
        False,
        "accrual-job",
    )
    assert again == replace(first, created=False)
    assert session.scalar(select(func.count()).select_from(Entry)) == 1
    assert services.balance(session, "payable:1") == -500_000


def test_the_same_key_with_different_content_is_a_conflict_naming_the_key(session):
    services.post_entry(session, accrual("accrual:2025-07:E1:base", 1), actor=CLERK)
    with pytest.raises(Conflict, match="accrual:2025-07:E1:base") as refused:
        services.post_entry(session, accrual("accrual:2025-07:E1:base", 1, amount=600_000), actor=CLERK)
    assert refused.value.extra == {"idempotency_key": "accrual:2025-07:E1:base", "seq": 1}


def test_bulk_posting_writes_every_chunk_and_reports_counts_and_progress(session):
    seen = []
    drafts = (accrual(f"k{i}", i % 3) for i in range(23))
    result = services.post_entries(session, drafts, actor=CLERK, chunk_size=5, progress=seen.append)
    assert (result.posted, result.skipped, result.first_seq, result.head_seq) == (23, 0, 1, 23)
    assert seen == [5, 5, 5, 5, 3]
    assert session.scalar(select(func.count()).select_from(Posting)) == 46
    assert services.balance(session, "expense:BTXH") == 23 * 500_000
    assert services.balance(session, "payable:0") == -8 * 500_000


def test_a_bulk_post_leaves_each_balance_with_the_last_entry_that_moved_it(session):
    drafts = [accrual(f"k{i}", i % 4) for i in range(11)]  # payable:3 last moves in entry 8
    services.post_entries(session, drafts, actor=CLERK, chunk_size=3)
    rows = session.execute(select(Account.code, Balance.balance_vnd, Balance.last_seq).join(Balance)).all()
    assert sorted(tuple(row) for row in rows) == [
        ("expense:BTXH", 11 * 500_000, 11),
        ("payable:0", -3 * 500_000, 9),
        ("payable:1", -3 * 500_000, 10),
        ("payable:2", -3 * 500_000, 11),
        ("payable:3", -2 * 500_000, 8),
    ]


def test_a_writer_whose_pending_balances_outgrow_their_memory_writes_them_as_it_goes(session):
    writer = ChainWriter(session, CLERK, datetime(2025, 7, 1, tzinfo=UTC), pending_limit=3)
    writer.append([accrual("a", 1), accrual("b", 2)])  # three accounts pending: written now
    assert services.balance(session, "payable:2") == -500_000
    writer.append([accrual("c", 3)])
    assert services.balance(session, "payable:3") == 0  # waiting for flush_balances
    writer.flush_balances()
    assert services.balance(session, "payable:3") == -500_000
    assert verify_ledger(session, []).ok


def test_a_bulk_post_refused_midway_leaves_the_chunks_before_it_balanced(session):
    services.post_entry(session, accrual("k3", 3), actor=CLERK)
    drafts = [accrual("k1", 1), accrual("k2", 2), accrual("k3", 3, amount=1)]
    with pytest.raises(Conflict, match="'k3'"):
        services.post_entries(session, drafts, actor=CLERK, chunk_size=2)
    # A caller that handles the refusal and commits keeps the first chunk, with its balances.
    assert services.balances(session, ["payable:1", "payable:2"]) == {
        "payable:1": -500_000,
        "payable:2": -500_000,
    }
    assert verify_ledger(session, []).ok


def test_rerunning_a_bulk_post_posts_nothing_and_counts_the_skips(session):
    services.post_entries(session, [accrual(f"k{i}", i) for i in range(7)], actor=CLERK, chunk_size=3)
    again = services.post_entries(session, [accrual(f"k{i}", i) for i in range(9)], actor=CLERK, chunk_size=3)
    assert (again.posted, again.skipped, again.first_seq, again.head_seq) == (2, 7, 8, 9)


def test_a_key_repeated_within_one_bulk_post_is_recorded_once(session):
    result = services.post_entries(session, [accrual("k", 1), accrual("k", 1), accrual("j", 2)], actor=CLERK)
    assert (result.posted, result.skipped) == (2, 1)


def test_a_conflicting_key_in_a_bulk_post_is_refused_naming_it(session):
    services.post_entry(session, accrual("k3", 3), actor=CLERK)
    drafts = [accrual("k1", 1), accrual("k3", 3, amount=1), accrual("k4", 4)]
    with pytest.raises(Conflict, match="'k3'"):
        services.post_entries(session, drafts, actor=CLERK, chunk_size=1)
    with pytest.raises(Conflict, match="'k5'"):
        services.post_entries(session, [accrual("k5", 5), accrual("k5", 5, amount=9)], actor=CLERK)


def test_a_chunk_size_below_one_is_refused(session):
    with pytest.raises(InvalidInput):
        services.post_entries(session, [], actor=CLERK, chunk_size=0)


def test_reversing_an_entry_posts_its_negation_linked_to_it(session):
    original = LedgerEntryFactory(amount_vnd=300_000, beneficiary=9, payout_ref="P9")
    reversal = services.reverse_entry(
        session, original.seq, effective_date=date(2025, 7, 5), reason="wrong rate", actor=CLERK
    )
    assert (reversal.kind, reversal.reverses_seq, reversal.payout_ref) == ("reversal", original.seq, "P9")
    assert reversal.postings == (("expense:BTXH", -300_000), ("payable:9", 300_000))
    assert reversal.memo == {"reason": "wrong rate", "reverses": original.seq}
    assert services.balance(session, "payable:9") == 0
    assert repository.reversal_of(session, original.seq).seq == reversal.seq


def test_a_retried_reversal_returns_the_first_and_a_second_one_is_a_conflict(session):
    original = LedgerEntryFactory()
    first = services.reverse_entry(session, original.seq, effective_date=JULY, reason="x", actor=CLERK)
    retry = services.reverse_entry(session, original.seq, effective_date=JULY, reason="x", actor=CLERK)
    assert retry.seq == first.seq
    with pytest.raises(Conflict, match=f"already reversed by entry {first.seq}"):
        services.reverse_entry(
            session, original.seq, effective_date=JULY, reason="x", actor=CLERK, idempotency_key="again"
        )


def test_reversing_an_unknown_entry_is_not_found(session):
    with pytest.raises(NotFound):
        services.reverse_entry(session, 404, effective_date=JULY, reason="x", actor=CLERK)


def test_balances_as_of_a_sequence_number_or_an_effective_date(session):
    services.post_entry(session, accrual("jul", 1, 100, effective_date=date(2025, 7, 1)), actor=CLERK)
    services.post_entry(session, accrual("aug", 1, 20, effective_date=date(2025, 8, 1)), actor=CLERK)
    services.post_entry(session, accrual("late-jul", 1, 3, effective_date=date(2025, 7, 31)), actor=CLERK)
    assert services.balance(session, "payable:1") == -123
    assert services.balance(session, "payable:1", as_of_seq=2) == -120
    assert services.balance(session, "payable:1", as_of_seq=0) == 0
    assert services.balance(session, "payable:1", as_of_date=date(2025, 7, 31)) == -103
    assert services.balance(session, "payable:1", as_of_date=date(2025, 7, 31), as_of_seq=2) == -100
    assert services.balance(session, "payable:2") == 0


def test_balances_of_many_accounts_at_once_include_unused_ones_as_zero(session):
    LedgerEntryFactory(beneficiary=1, amount_vnd=10)
    assert services.balances(session, ["payable:1", "expense:BTXH", "payable:2"]) == {
        "payable:1": -10,
        "expense:BTXH": 10,
        "payable:2": 0,
    }


@pytest.mark.parametrize("bound", [{"as_of_seq": -1}, {"as_of_seq": 1.5}])
def test_a_malformed_balance_query_is_refused(session, bound):
    with pytest.raises(InvalidInput):
        services.balance(session, "payable:1", **bound)
    with pytest.raises(InvalidInput):
        services.balance(session, "cash:1")


def test_entries_are_found_by_payout_and_by_enrolment_and_period(session):
    LedgerEntryFactory(enrolment_ref="E1", period="2025-07")
    LedgerEntryFactory(enrolment_ref="E1", period="2025-08")
    LedgerEntryFactory(payout_ref="P1", enrolment_ref="E2")
    assert [e.period for e in repository.entries_for_enrolment(session, "E1")] == ["2025-07", "2025-08"]
    assert len(repository.entries_for_enrolment(session, "E1", "2025-08")) == 1
    assert [e.enrolment_ref for e in repository.entries_for_payout(session, "P1")] == ["E2"]


def test_an_entry_is_found_by_its_idempotency_key(session):
    posted = LedgerEntryFactory(idempotency_key="payout:P7:initiated")
    assert repository.entry_by_key(session, "payout:P7:initiated").seq == posted.seq
    assert repository.entry_by_key(session, "payout:P8:initiated") is None


def test_an_entry_reads_back_from_the_database_exactly_as_it_was_returned(session):
    in_hanoi = datetime(2025, 7, 1, 9, 0, tzinfo=timezone(timedelta(hours=7)))  # whole seconds, not UTC
    draft = accrual("k", 1, memo={"tên": "Đào", "n": 1}, payout_ref="P1", enrolment_ref="E1")
    returned = services.post_entry(session, draft, actor=CLERK, clock=fixed_clock(in_hanoi))
    values = {column.key: getattr(returned, column.key) for column in Entry.__table__.columns}
    session.expire_all()
    stored = session.get(Entry, returned.seq)
    assert {column: getattr(stored, column) for column in values} == values
    assert tuple((p.account_code, p.amount_vnd) for p in stored.postings) == returned.postings
    assert stored.recorded_at == datetime(2025, 7, 1, 2, 0, tzinfo=UTC)
    assert stored.recorded_at.utcoffset() == timedelta(0)


def test_a_long_run_that_outgrows_the_account_id_memory_still_finds_every_account(session):
    writer = ChainWriter(session, CLERK, datetime(2025, 7, 1, tzinfo=UTC), cache_limit=3)
    for chunk in range(4):
        writer.write([accrual(f"k{chunk}:{n}", chunk * 2 + n) for n in range(2)])
    assert writer.posted == 8
    assert services.balance(session, "expense:BTXH") == 8 * 500_000
    assert verify_ledger(session, []).ok
