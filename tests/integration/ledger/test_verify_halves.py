"""A long chain is verified in two halves at once, the second in a helper process: the verdict,
the first bad entry, the problem and the head are exactly those of a walk from the start."""

import pytest
from sqlalchemy import text

from payments import aside, migrate
from payments.db import make_engine, make_session_factory
from payments.ledger import services, verify
from payments.ledger.verify import verify_ledger
from tests.integration.ledger.conftest import CLERK, TRUSTED, accrual, drop_guards

ENTRIES = 41  # the halves meet after entry 20


def _swap(first: int, second: int) -> list[str]:
    return [
        f"UPDATE {table} SET {column} = {value} WHERE {column} = {match}"
        for table, column in (("ledger_entries", "seq"), ("ledger_postings", "entry_seq"))
        for match, value in ((first, 1002), (second, first), (1002, second))
    ]


def _delete(seq: int) -> list[str]:
    return [
        f"DELETE FROM ledger_postings WHERE entry_seq = {seq}",
        f"DELETE FROM ledger_entries WHERE seq = {seq}",
    ]


def _amount(seq: int) -> str:
    return f"UPDATE ledger_postings SET amount_vnd = amount_vnd * 2 WHERE entry_seq = {seq}"


TAMPERING = {
    "nothing": [],
    "an amount in the first half": [_amount(5)],
    "an amount in the second half": [_amount(30)],
    "one in each half (the first is named)": [_amount(33), _amount(7)],
    "the last entry of the first half deleted": _delete(20),
    "the first entry of the second half deleted": _delete(21),
    "the two entries where the halves meet swapped": _swap(20, 21),
    "an actor in the second half": ["UPDATE ledger_entries SET actor = 'mallory' WHERE seq = 21"],
    "the last entry deleted": _delete(ENTRIES),
}


@pytest.fixture
def ledger(database_maker, db_kind):
    engine = make_engine(database_maker.new_url())
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        services.post_entries(
            session, [accrual(n, 10_000 * n, memo={"n": n}) for n in range(1, ENTRIES + 1)], actor=CLERK
        )
        session.commit()

    def tamper(statements: list[str]) -> None:
        with factory() as session:
            drop_guards(session, db_kind)
            for statement in statements:
                session.execute(text(statement))
            session.commit()

    yield factory, tamper
    engine.dispose()


@pytest.mark.parametrize("tampering", list(TAMPERING))
def test_two_halves_give_the_verdict_of_one_walk(ledger, monkeypatch, tampering):
    factory, tamper = ledger
    tamper(TAMPERING[tampering])
    monkeypatch.setattr(verify, "ASIDE_FROM_ENTRIES", 10**9)
    with factory() as session:
        one_walk = verify_ledger(session, TRUSTED)
    helpers: list = []
    started = aside.start_helper
    monkeypatch.setattr(aside, "start_helper", lambda: helpers.append(started()) or helpers[-1])
    monkeypatch.setattr(verify, "ASIDE_FROM_ENTRIES", 0)
    steps: list[int] = []
    with factory() as session:
        halves = verify_ledger(session, TRUSTED, progress=steps.append)
    assert len(helpers) == 1, "the second half should be checked in a helper process"
    assert helpers[0].poll() is not None  # and none is left running
    assert halves == one_walk
    assert one_walk.ok == (tampering == "nothing")  # (a deleted last entry leaves balances that differ)
    if halves.ok:
        assert sum(steps) == halves.entries  # the progress counts every entry checked, once
