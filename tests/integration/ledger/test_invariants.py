"""Properties under hypothesis: the books always balance, replay equals the cache, and any
single changed byte of a stored entry is refused by the database or named by verify."""

from collections import Counter
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from payments.ledger import repository, services
from payments.ledger.draft import EntryDraft
from payments.ledger.model import Posting
from payments.ledger.verify import verify_ledger
from tests.integration.ledger.conftest import CLERK, accrual, drop_guards

ACCOUNTS = ["expense:BTXH", "expense:NCC", "payable:1", "payable:2", "in_flight:napas", "settlement:napas"]
EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # each example runs inside its own savepoint, rolled back


@st.composite
def entry_postings(draw) -> tuple[tuple[str, int], ...]:
    accounts = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=2, max_size=4))
    amounts = [draw(st.integers(-(10**12), 10**12).filter(bool)) for _ in accounts[:-1]]
    closing = -sum(amounts)
    if closing == 0:  # keep every posting non-zero: move one đồng between the first two lines
        amounts[0] += 1
        closing = -1
    return tuple(zip(accounts, [*amounts, closing], strict=True))


operations = st.lists(
    st.one_of(
        st.tuples(st.just("post"), entry_postings(), st.dates(date(2024, 1, 1), date(2026, 12, 31))),
        st.tuples(st.just("reverse"), st.integers(0, 30), st.just(date(2026, 1, 1))),
    ),
    min_size=1,
    max_size=12,
)


def _apply(session, steps) -> Counter:
    expected: Counter = Counter()
    posted: list[int] = []
    for number, (op, payload, day) in enumerate(steps):
        if op == "post":
            draft = EntryDraft(f"op{number}", "accrual", day, payload)
            posted.append(services.post_entry(session, draft, actor=CLERK).seq)
            expected.update(dict(_summed(payload)))
        elif posted and repository.reversal_of(session, posted[payload % len(posted)]) is None:
            original = repository.get_entry(session, posted[payload % len(posted)])
            services.reverse_entry(session, original.seq, effective_date=day, reason="test", actor=CLERK)
            expected.update(dict(_summed((p.account_code, -p.amount_vnd) for p in original.postings)))
    return expected


def _summed(postings) -> Counter:
    total: Counter = Counter()
    for code, amount in postings:
        total[code] += amount
    return total


@EXAMPLES
@given(steps=operations)
def test_random_entries_and_reversals_balance_replay_to_the_cache_and_verify(session, steps):
    savepoint = session.begin_nested()
    try:
        expected = _apply(session, steps)
        assert session.scalar(select(func.coalesce(func.sum(Posting.amount_vnd), 0))) == 0
        cached = services.balances(session, ACCOUNTS)
        assert {code: cached[code] for code in ACCOUNTS} == {code: expected.get(code, 0) for code in ACCOUNTS}
        assert verify_ledger(session, []).ok
    finally:
        savepoint.rollback()


TAMPERABLE = [
    "prev_hash",
    "hash",
    "kind",
    "effective_date",
    "recorded_at",
    "actor",
    "idempotency_key",
    "content_hash",
    "enrolment_ref",
    "period",
    "memo",
    "amount_vnd",
]
_CASTS = {"effective_date": "date", "recorded_at": "timestamptz", "memo": "json", "amount_vnd": "bigint"}


def _changed_byte(value: str, position: int, replacement: str) -> str:
    index = position % len(value)
    if value[index] == replacement:
        replacement = chr((ord(replacement) - 32 + 1) % 95 + 32)
    return value[:index] + replacement + value[index + 1 :]


def _tamper(session, db_kind, column, seq, position, replacement) -> bool:
    """Change one byte of a stored field. False if the database refused, or stored the same value
    (PostgreSQL reads '2025;07-01' as the same date): then nothing was changed."""
    table, key = ("ledger_postings", "entry_seq = :seq AND line = 1") if column == "amount_vnd" else (
        "ledger_entries", "seq = :seq"
    )  # fmt: skip
    read = text(f"SELECT CAST({column} AS TEXT) FROM {table} WHERE {key}")
    stored = session.execute(read, {"seq": seq}).scalar()
    new = _changed_byte(stored, position, replacement)
    value = f"CAST(:v AS {_CASTS[column]})" if db_kind == "postgresql" and column in _CASTS else ":v"
    savepoint = session.begin_nested()
    try:
        session.execute(text(f"UPDATE {table} SET {column} = {value} WHERE {key}"), {"v": new, "seq": seq})
    except DBAPIError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return session.execute(read, {"seq": seq}).scalar() != stored


@EXAMPLES
@given(
    column=st.sampled_from(TAMPERABLE),
    seq=st.integers(1, 4),
    position=st.integers(0, 200),
    replacement=st.characters(min_codepoint=32, max_codepoint=126),
)
def test_any_single_changed_byte_of_a_stored_entry_is_detected(
    session, db_kind, column, seq, position, replacement
):
    savepoint = session.begin_nested()
    try:
        services.post_entries(
            session,
            [accrual(n, 1000 * n, enrolment_ref=f"E{n}", memo={"n": n}) for n in range(1, 5)],
            actor=CLERK,
        )
        drop_guards(session, db_kind)
        if _tamper(session, db_kind, column, seq, position, replacement):
            session.expire_all()
            result = verify_ledger(session, [])
            assert not result.ok, (column, seq)
            assert result.first_bad_seq == seq, (column, seq, result)
    finally:
        savepoint.rollback()
