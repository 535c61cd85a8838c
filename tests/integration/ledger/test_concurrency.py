"""Separate OS processes posting at once still produce one gapless, valid chain."""

import multiprocessing
from datetime import date

import pytest
from sqlalchemy import func, select

from payments import migrate
from payments.context import Actor
from payments.db import make_engine, make_session_factory
from payments.ledger import services
from payments.ledger.draft import EntryDraft
from payments.ledger.model import Entry
from payments.ledger.verify import verify_ledger

SINGLES = 25
BULK = 60
SHARED = 10  # keys every process posts with the same content: recorded once in all


def _draft(key: str, beneficiary: int) -> EntryDraft:
    return EntryDraft(
        key, "accrual", date(2025, 7, 1), (("expense:BTXH", 1_000), (f"payable:{beneficiary}", -1_000))
    )


def _post_from_a_process(url: str, worker: int, barrier) -> None:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    actor = Actor(username=f"worker-{worker}", role="system")
    barrier.wait()
    for i in range(SINGLES):
        with sessions() as session:
            services.post_entry(session, _draft(f"w{worker}:single:{i}", i), actor=actor)
            services.post_entry(session, _draft(f"shared:{i % SHARED}", 99), actor=actor)
            session.commit()
    with sessions() as session:
        drafts = [_draft(f"w{worker}:bulk:{i}", i % 7) for i in range(BULK)]
        services.post_entries(session, drafts, actor=actor, chunk_size=16)
        session.commit()
    engine.dispose()


def _run_processes(url: str, count: int) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(count)
    processes = [context.Process(target=_post_from_a_process, args=(url, n, barrier)) for n in range(count)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [p.exitcode for p in processes] == [0] * count


def _check_one_chain(url: str, count: int) -> None:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        result = verify_ledger(session, [])
        expected = count * (SINGLES + BULK) + SHARED
        assert (result.ok, result.entries, result.problem) == (True, expected, None)
        seqs = session.execute(select(func.min(Entry.seq), func.max(Entry.seq), func.count())).one()
        assert tuple(seqs) == (1, expected, expected)
        assert services.balance(session, "expense:BTXH") == expected * 1_000
        assert services.balance(session, "payable:99") == -SHARED * 1_000
    engine.dispose()


@pytest.mark.slow
def test_four_processes_posting_at_once_on_postgres_make_one_valid_chain(fresh_database_url, db_kind):
    if db_kind != "postgresql":
        return  # SQLite takes the two-process test below; its writers queue on BEGIN IMMEDIATE
    migrate.upgrade(make_engine(fresh_database_url))
    _run_processes(fresh_database_url, 4)
    _check_one_chain(fresh_database_url, 4)


@pytest.mark.slow
def test_two_processes_posting_at_once_on_sqlite_make_one_valid_chain(fresh_database_url, db_kind):
    if db_kind != "sqlite":
        return  # PostgreSQL takes the four-process test above
    migrate.upgrade(make_engine(fresh_database_url))
    _run_processes(fresh_database_url, 2)
    _check_one_chain(fresh_database_url, 2)
