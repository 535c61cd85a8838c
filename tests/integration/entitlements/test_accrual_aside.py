"""A large accrual works out what is owed in a helper process while it posts: the ledger it
leaves is the one an in-process run leaves, and a helper that dies stops the run cleanly."""

from datetime import date

import pytest
from sqlalchemy import select, text

from payments import aside, migrate
from payments.context import Actor
from payments.db import make_engine, make_session_factory, shareable_url
from payments.entitlements import owing
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import NewRate, add_rate, load_rate_set
from payments.ledger import accounts
from payments.ledger.draft import EntryDraft
from payments.ledger.model import Entry
from payments.ledger.services import balance, post_entry
from payments.ledger.verify import verify_ledger
from payments.registry.services import record_death
from tests.support.people import OFFICER, enrol_person

ADMIN = Actor(username="admin", role="admin")
CROWD = 80  # people, a page each: ~2 KB a page, so the helper cannot send them all into a 64 KB pipe


@pytest.fixture
def fresh_factory(database_maker):
    engines = []

    def make():
        engine = make_engine(database_maker.new_url())
        migrate.upgrade(engine)
        engines.append(engine)
        return make_session_factory(engine)

    yield make
    for engine in engines:
        engine.dispose()


def _people(factory) -> dict[str, int]:
    with factory() as session:
        elderly, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
        invalid, _ = enrol_person(session, "NCC_WAR_INVALID", date(2024, 8, 20), injury_rate=21)
        dying, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
        enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 9, 15), born=date(1940, 2, 2))
    return {"elderly": elderly, "invalid": invalid, "dying": dying}


def _run(factory, month: str, *, aside_from: int, monkeypatch, **kwargs):
    monkeypatch.setattr(owing, "ASIDE_FROM_PEOPLE", aside_from)
    with factory() as session:
        rates = load_rate_set(session, "68")
    return accrue(factory, Period.parse(month), rates, actor=OFFICER, chunk=1, **kwargs)


def _months(factory, people: dict[str, int], *, aside_from: int, monkeypatch) -> list[dict]:
    """September and October; then a death recorded late after October was paid, and a late
    provincial rate; then November (arrears, a recovery, a funeral grant)."""
    summaries = [
        _run(factory, m, aside_from=aside_from, monkeypatch=monkeypatch) for m in ("2024-09", "2024-10")
    ]
    with factory() as session:
        dying = people["dying"]
        legs = ((accounts.payable(dying), 1_500_000), (accounts.in_flight("sandbox"), -1_500_000))
        post_entry(
            session,
            EntryDraft("payout:test:oct", "payout_initiated", date(2024, 10, 31), legs),
            actor=OFFICER,
        )
        record_death(session, OFFICER, dying, date(2024, 9, 3))
        add_rate(
            session, ADMIN, NewRate("btxh.standard_level", "68", date(2024, 9, 1), None, 600_000, "test")
        )
        session.commit()
    summaries.append(_run(factory, "2024-11", aside_from=aside_from, monkeypatch=monkeypatch))
    return [summary.as_dict() for summary in summaries]


def _ledger(factory) -> list[tuple]:
    """Every entry as an auditor reads it: key, kind, dates, links, memo, postings, content hash."""
    with factory() as session:
        entries = session.scalars(select(Entry).order_by(Entry.seq))
        return [
            (e.idempotency_key, e.kind, e.effective_date, e.period, e.enrolment_ref, e.memo, e.content_hash,
             [(p.account.code, p.amount_vnd) for p in e.postings])
            for e in entries
        ]  # fmt: skip


def test_a_run_worked_out_aside_leaves_the_ledger_an_in_process_run_leaves(fresh_factory, monkeypatch):
    here, there = fresh_factory(), fresh_factory()
    people_here, people_there = _people(here), _people(there)
    assert people_here == people_there
    in_process = _months(here, people_here, aside_from=10**9, monkeypatch=monkeypatch)
    helpers: list = []
    started = aside.start_helper
    monkeypatch.setattr(aside, "start_helper", lambda: helpers.append(started()) or helpers[-1])
    worked_aside = _months(there, people_there, aside_from=0, monkeypatch=monkeypatch)
    assert len(helpers) == 3  # one helper a run
    assert [helper.returncode for helper in helpers] == [0, 0, 0]  # each finished its work
    assert worked_aside == in_process
    ledger = _ledger(there)
    assert ledger == _ledger(here)
    kinds = {entry[1] for entry in ledger}
    assert {"accrual", "arrears", "recovery"} <= kinds  # first accruals, and both kinds of difference
    with there() as session:
        assert verify_ledger(session, []).ok
        assert balance(session, accounts.receivable(people_there["dying"])) == 0


def test_a_helper_killed_mid_run_stops_the_run_and_a_rerun_posts_each_entry_once(fresh_factory, monkeypatch):
    reference, crashed = fresh_factory(), fresh_factory()
    for factory in (reference, crashed):  # more pages than a pipe holds, so the helper is still at work
        with factory() as session:
            for _ in range(CROWD):
                enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    _run(reference, "2024-10", aside_from=10**9, monkeypatch=monkeypatch)
    helpers: list = []
    started = aside.start_helper
    monkeypatch.setattr(aside, "start_helper", lambda: helpers.append(started()) or helpers[-1])

    def kill_after_the_first_page(_people_done: int) -> None:
        helpers[-1].kill()

    with pytest.raises(aside.HelperFailed, match="working out what is owed"):
        _run(crashed, "2024-10", aside_from=0, monkeypatch=monkeypatch, progress=kill_after_the_first_page)
    assert 0 < len(_ledger(crashed)) < len(_ledger(reference))  # the first page stayed, whole
    _run(crashed, "2024-10", aside_from=0, monkeypatch=monkeypatch)
    assert _ledger(crashed) == _ledger(reference)


def test_the_helpers_connection_refuses_to_write(database_maker):
    url = database_maker.new_url()
    writer = make_engine(url)
    migrate.upgrade(writer)
    reader = make_engine(url, read_only=True)
    try:
        with pytest.raises(Exception, match=r"(?i)read.?only"), reader.begin() as connection:
            connection.execute(text("CREATE TABLE probe (x INTEGER)"))
    finally:
        reader.dispose()
        writer.dispose()


def test_an_in_memory_database_or_a_single_connection_is_not_shared_with_a_helper(database_maker):
    memory = make_engine("sqlite://")
    assert shareable_url(memory) is None
    memory.dispose()
    url = database_maker.new_url()
    engine = make_engine(url)
    assert shareable_url(engine) == engine.url.render_as_string(hide_password=False)
    with engine.connect() as connection:
        assert shareable_url(connection) is None  # it may hold work no other process sees
    engine.dispose()
