"""Dispatch benchmark: `python -m bench.dispatch [--people N]` (SQLite).

Imports N generated beneficiaries, then for each of three months accrues the month, builds and
approves its batches, and dispatches them:

1. through the in-process `sandbox` adapter settling every payout at once, so a dispatch posts
   two entries per payout (initiation, settlement);
2. through the `sandbox` accepting every payout, settled later (as a bank's statement or an
   e-wallet's callback would): one entry per payout, the initiation;
3. the bank part through the bank simulator over HTTP in chunks (target >= 2,000 payouts/s).

For 1 and 2 it prints the ratio of the dispatch rate to the ledger's batched posting of the same
initiation entries into a fresh database, in the same run (target >= 0.5x), and two ceilings no
dispatch can beat: the ledger alone posting exactly the entries the dispatch posted (ours, into
a fresh database), and the dispatch's own SQL, the very reads and writes it made, done by plain
sqlite3 with no code of ours (`sql_ceiling`). The issue's size is 250,000 payouts; the default
is small so that it finishes in about a minute here.
"""

import argparse
import sqlite3
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.accrual import copy_entry, fresh, peak_memory_mb, reset_peak_memory
from bench.ledger import _ACCOUNT_INSERT, _BALANCE_UPSERT, _ENTRY_INSERT, _POSTING_INSERT, timed
from bench.registry_import import run_import, write_csv
from payments.adapters.bank_api.simulator import BankSimulator
from payments.adapters.registry import AdapterRegistry
from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.adapters.sandbox.script import Outcome
from payments.config import Settings
from payments.context import Actor
from payments.db import make_session_factory
from payments.demo.population import generated_rows
from payments.disbursements import outbox
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.building import build_batches
from payments.disbursements.dispatch import DispatchConfig, Dispatcher
from payments.disbursements.model import Payout
from payments.disbursements.outcomes import initiation_draft
from payments.disbursements.routing import Routing
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.ledger.draft import EntryKind
from payments.ledger.model import Entry
from payments.ledger.services import post_entries
from payments.ledger.writer import ENTRY_COLUMNS
from payments.registry.crypto import PiiCipher

OFFICER, APPROVER = Actor("bench.officer", "officer"), Actor("bench.approver", "approver")
SETTINGS = Settings(env="test")
CIPHER = PiiCipher.from_settings(SETTINGS)
TARGET_RATIO, TARGET_HTTP = 0.5, 2_000


def owed_month(factory, period: Period) -> None:
    with factory() as session:
        rates = load_rate_set(session, "68")
    accrue(factory, period, rates, actor=OFFICER, chunk=2_000)


def approved_batches(factory, period: Period, routing: Routing) -> tuple[float, list[int]]:
    started = time.perf_counter()
    with factory() as session, session.begin():
        built = build_batches(session, str(period), routing, CIPHER, actor=OFFICER, hold_days=30,
                              on_date=period.last_day)  # fmt: skip
        for batch in built.batches:
            submit_batch(session, OFFICER, batch.id)
            approve_batch(session, APPROVER, batch.id, manifest_seen=batch.manifest_hash, comment="bench",
                          threshold_vnd=10**15)  # fmt: skip
        return time.perf_counter() - started, [b.id for b in built.batches]


def dispatch_all(factory, batch_ids: list[int], adapter, chunk: int) -> tuple[float, int]:
    config = DispatchConfig(holder="bench", threshold_vnd=10**15, chunk_size=chunk)
    dispatcher = Dispatcher(factory, adapter, CIPHER, Actor("dispatcher", "system"), config)
    started, sent = time.perf_counter(), 0
    for batch_id in batch_ids:
        sent += dispatcher.dispatch(batch_id).sent
    return time.perf_counter() - started, sent


def baseline(folder: Path, factory, batch_ids: list[int], adapter_name: str) -> float:
    """The ledger's batched posting of the batches' initiation entries, into a fresh database."""
    with factory() as session:
        payouts = session.scalars(select(Payout).where(Payout.batch_id.in_(batch_ids)).order_by(Payout.id))
        drafts = [initiation_draft(p, adapter_name, p.updated_at.date()) for p in payouts]
    return _posted_fresh(folder, "baseline", drafts)


def ledger_only(folder: Path, factory, first_seq: int) -> float:
    """The ledger's batched posting of copies of every entry the dispatch posted (from `first_seq`),
    into a fresh database."""
    kinds = (EntryKind.PAYOUT_INITIATED, EntryKind.PAYOUT_SETTLED, EntryKind.PAYOUT_RETURNED)
    with factory() as session:
        posted = session.scalars(select(Entry).where(Entry.seq >= first_seq, Entry.kind.in_(kinds)))
        drafts = [copy_entry(entry) for entry in posted]
    return _posted_fresh(folder, "ceiling", drafts)


def _posted_fresh(folder: Path, name: str, drafts: list) -> float:
    target = make_session_factory(fresh(folder, f"{name}-{time.monotonic_ns()}.db"))
    with target() as session:
        started = time.perf_counter()
        post_entries(session, drafts, actor=OFFICER)
        session.commit()
        return time.perf_counter() - started


# --- the dispatch's own SQL, by plain sqlite3 ------------------------------------------------


@dataclass
class Transaction:
    """One of the dispatch's transactions: the answers to one chunk recorded (`answered`), the
    next chunk claimed (`claimed`), with the ledger rows they wrote."""

    batch_id: int
    answered: list[tuple[Any, ...]] = field(default_factory=list)  # final columns, id, state it was
    claimed: list[int] = field(default_factory=list)  # payout ids moved to sending
    entries: list[tuple[Any, ...]] = field(default_factory=list)
    postings: list[tuple[Any, ...]] = field(default_factory=list)


def snapshot(engine, path: Path) -> Path:
    """A copy of the database as it stands (SQLite's online backup)."""
    source = sqlite3.connect(engine.url.database)
    with sqlite3.connect(path) as copy:
        source.backup(copy)
    source.close()
    return path


def dispatch_transactions(done: Path, before: Path, batch_ids: list[int], chunk: int) -> list[Transaction]:
    """What each of the dispatch's transactions wrote, read back from the dispatched database:
    per chunk, the previous chunk's answers and settlements, then this chunk's initiations."""
    with sqlite3.connect(before) as was:
        head = was.execute("SELECT coalesce(max(seq), 0) FROM ledger_entries").fetchone()[0]
    connection = sqlite3.connect(done)
    columns = ", ".join(ENTRY_COLUMNS)
    entries = connection.execute(f"SELECT {columns} FROM ledger_entries WHERE seq > ? ORDER BY seq", (head,))
    postings: dict[int, list[tuple]] = defaultdict(list)
    for row in connection.execute("SELECT * FROM ledger_postings WHERE entry_seq > ? ORDER BY 1, 2", (head,)):
        postings[row[0]].append(row)
    transactions: dict[tuple[int, int], Transaction] = {}
    place: dict[str, tuple[int, int]] = {}  # payout key -> (batch, chunk)
    for batch_id in batch_ids:
        payouts = connection.execute(
            "SELECT id, payout_key, state, reason_code, reason_text, provider_reference, updated_at"
            " FROM payouts WHERE batch_id = ? ORDER BY id",
            (batch_id,),
        ).fetchall()
        for number in range(len(payouts) // chunk + (1 if len(payouts) % chunk else 0) + 1):
            transactions[batch_id, number] = Transaction(batch_id)
        for index, (payout_id, key, *final) in enumerate(payouts):
            number = index // chunk
            place[key] = (batch_id, number)
            transactions[batch_id, number].claimed.append(payout_id)
            transactions[batch_id, number + 1].answered.append((*final, payout_id, "sending"))
    for entry in entries:
        batch_id, number = place[entry[ENTRY_COLUMNS.index("payout_ref")]]
        initiated = entry[ENTRY_COLUMNS.index("kind")] == EntryKind.PAYOUT_INITIATED
        transaction = transactions[batch_id, number if initiated else number + 1]
        transaction.entries.append(entry)
        transaction.postings += postings[entry[0]]
    connection.close()
    return list(transactions.values())


def sql_ceiling(done: Path, before: Path, batch_ids: list[int], chunk: int) -> float:
    """Seconds for plain sqlite3 to make the dispatch's reads and writes, transaction by
    transaction, into a copy of the database as the dispatch found it: each batch's payouts read
    once (the manifest check), then per chunk its queued payouts read, the lease taken, the last
    chunk's answers recorded with their entries, the chunk's initiations posted (postings,
    entries, cached balances) and its payouts moved to sending, one durable commit each."""
    transactions = dispatch_transactions(done, before, batch_ids, chunk)
    with sqlite3.connect(before) as was:
        known = was.execute("SELECT coalesce(max(id), 0) FROM ledger_accounts").fetchone()[0]
    with sqlite3.connect(done) as connection:
        accounts = connection.execute(
            "SELECT id, code, type, owner_ref, created_at FROM ledger_accounts WHERE id > ?", (known,)
        ).fetchall()
    connection = sqlite3.connect(before, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=FULL"):
        connection.execute(f"PRAGMA {pragma}")

    def replay() -> None:
        connection.executemany(_ACCOUNT_INSERT, accounts)  # the in-flight account, if new
        read = set()
        for transaction in transactions:
            batch_id = transaction.batch_id
            connection.execute("BEGIN IMMEDIATE")
            if batch_id not in read:
                read.add(batch_id)
                connection.execute(_SEALED, (batch_id,)).fetchall()
            connection.execute(_LEASE, ("bench", "2030-01-01 00:00:00.000000", batch_id))
            connection.executemany(_ANSWER, transaction.answered)
            connection.execute(_QUEUED, (batch_id, "queued", len(transaction.claimed))).fetchall()
            connection.executemany(_POSTING_INSERT, transaction.postings)
            connection.executemany(_ENTRY_INSERT, transaction.entries)
            connection.executemany(_BALANCE_UPSERT, _balance_changes(transaction.postings))
            for start in range(0, len(transaction.claimed), 500):
                ids = transaction.claimed[start : start + 500]
                sending = ("sending", "2025-08-31 00:00:00.000000", "queued", *ids)
                connection.execute(_SENDING.format(", ".join("?" * len(ids))), sending)
            connection.execute("COMMIT")

    elapsed = timed(replay)
    connection.close()
    return elapsed


def _balance_changes(postings: list[tuple]) -> list[tuple[int, int, int]]:
    changes: dict[int, list[int]] = {}
    for seq, _line, account_id, amount in postings:
        change = changes.setdefault(account_id, [0, seq])
        change[0] += amount
        change[1] = seq
    return [(account_id, delta, seq) for account_id, (delta, seq) in sorted(changes.items())]


# The dispatch's own statements (payments.disbursements.outbox), with sqlite3's marker.
_SEALED = outbox._SEALED.format(m="?")
_QUEUED = outbox._QUEUED.format(m="?")
_ANSWER = outbox._MOVE.format(m="?")
_SENDING = outbox._SENDING.format(m="?") + " AND id IN ({})"
_LEASE = "UPDATE batches SET dispatch_holder = ?, dispatch_expires_at = ? WHERE id = ?"


# --- the runs ---------------------------------------------------------------------------------


def sandbox_month(folder: Path, engine, period: Period, outcome: str, chunk: int) -> None:
    """Accrue, build, approve and dispatch a month through the sandbox; print the ratios."""
    factory = make_session_factory(engine)
    owed_month(factory, period)
    sandbox = SandboxAdapter("sandbox", default=Outcome(outcome))
    routing = Routing("sandbox", "sandbox", {"sandbox": sandbox})
    build_s, batch_ids = approved_batches(factory, period, routing)
    before = snapshot(engine, folder / f"before-{period}.db")
    with factory() as session:
        first_seq = (session.scalar(select(Entry.seq).order_by(Entry.seq.desc()).limit(1)) or 0) + 1
    reset_peak_memory()
    resident = peak_memory_mb()
    dispatch_s, sent = dispatch_all(factory, batch_ids, sandbox, chunk)
    grown = peak_memory_mb() - resident
    base_s = baseline(folder, factory, batch_ids, "sandbox")
    ours_s = ledger_only(folder, factory, first_seq)
    sql_s = sql_ceiling(Path(engine.url.database), before, batch_ids, chunk)
    entries = "initiation and settlement" if outcome == "settle" else "initiation"
    print(f"sandbox {outcome}s ({entries}), {period}: built and approved {sent:,} payouts in {build_s:.1f}s")
    print(f"  dispatched in {dispatch_s:.2f}s ({sent / dispatch_s:,.0f}/s), peak memory +{grown:,.0f} MB")
    print(f"  ledger batched posting of the same initiation entries: {base_s:.2f}s ({sent / base_s:,.0f}/s)")
    verdict = "meets" if base_s / dispatch_s >= TARGET_RATIO else "BELOW"
    print(f"  ratio {base_s / dispatch_s:.2f}x (target >= {TARGET_RATIO}x) {verdict}")
    print(f"  ceiling: our ledger alone posting its entries {ours_s:.2f}s, ratio {base_s / ours_s:.2f}x")
    print(f"  ceiling: its own SQL by plain sqlite3 {sql_s:.2f}s, ratio {base_s / sql_s:.2f}x")


def http_month(stack: ExitStack, engine, period: Period, people: int, chunk: int) -> None:
    """The month's bank payouts through the bank simulator over HTTP."""
    factory = make_session_factory(engine)
    bank = stack.enter_context(BankSimulator(seed=1))
    for row in generated_rows(people):
        if row["instrument_kind"] == "bank":
            bank.add_account(row["bank_bin"], row["account_number"], row["holder_name"])
    http = AdapterRegistry().build("bank", bank.adapter_settings(read_timeout=30.0))
    sandbox = SandboxAdapter("sandbox")
    owed_month(factory, period)
    _build, batch_ids = approved_batches(
        factory, period, Routing("bank", "sandbox", {"bank": http, "sandbox": sandbox})
    )
    with factory() as session:
        bank_ids = [
            b
            for b in batch_ids
            if session.scalar(select(Payout.channel).where(Payout.batch_id == b).limit(1)) == "bank"
        ]
    http_s, sent = dispatch_all(factory, bank_ids, http, chunk)
    print(
        f"bank simulator over HTTP, {period}: {sent:,} payouts in {http_s:.1f}s "
        f"({sent / http_s:,.0f}/s; target >= {TARGET_HTTP:,}/s)"
    )


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=1_000, help="payouts per dispatch chunk (default 1000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        write_csv(folder / "people.csv", args.people)
        engine = fresh(folder, "dispatch.db")
        run_import(engine, folder / "people.csv")
        sandbox_month(folder, engine, Period(2025, 8), "settle", args.chunk)
        sandbox_month(folder, engine, Period(2025, 9), "accept", args.chunk)
        http_month(stack, engine, Period(2025, 10), args.people, args.chunk)


if __name__ == "__main__":
    main()
