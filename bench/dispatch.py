"""Dispatch benchmark: `python -m bench.dispatch [--people N]` (SQLite).

Imports N generated beneficiaries and accrues a month, then builds, approves and dispatches the
month's batches through the in-process `sandbox` adapter, and compares the dispatch rate with
the ledger's own batched posting of the same initiation entries into a fresh database, in the
same run (target >= 0.5x). The sandbox settles at once, so a dispatch posts two entries per
payout (initiation, settlement); it also prints the ceiling that sets: the ledger's batched
posting of exactly the entries the dispatch posted, against the same baseline. Then the same
payouts' bank part is sent again, as a new month, through the bank simulator over HTTP in
chunks (target >= 2,000 payouts/s). The issue's size is 250,000; the default is small so that
it finishes in about a minute here.
"""

import argparse
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import select

from bench.accrual import copy_entry, fresh
from bench.registry_import import run_import, write_csv
from payments.adapters.bank_api.simulator import BankSimulator
from payments.adapters.registry import AdapterRegistry
from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.config import Settings
from payments.context import Actor
from payments.db import make_session_factory
from payments.demo.population import generated_rows
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
from payments.registry.crypto import PiiCipher

OFFICER, APPROVER = Actor("bench.officer", "officer"), Actor("bench.approver", "approver")
SETTINGS = Settings(env="test")
CIPHER = PiiCipher.from_settings(SETTINGS)


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


def dispatch_all(factory, batch_ids: list[int], adapter, chunk: int = 1_000) -> tuple[float, int]:
    config = DispatchConfig(holder="bench", threshold_vnd=10**15, chunk_size=chunk)
    dispatcher = Dispatcher(factory, adapter, CIPHER, Actor("dispatcher", "system"), config)
    started, sent = time.perf_counter(), 0
    for batch_id in batch_ids:
        sent += dispatcher.dispatch(batch_id).sent
    return time.perf_counter() - started, sent


def baseline(folder: Path, factory, adapter_name: str) -> float:
    """The ledger's batched posting of the same initiation entries, into a fresh database."""
    with factory() as session:
        drafts = [
            initiation_draft(p, adapter_name, p.updated_at.date()) for p in session.scalars(select(Payout))
        ]
    target = make_session_factory(fresh(folder, "baseline.db"))
    with target() as session:
        started = time.perf_counter()
        post_entries(session, drafts, actor=OFFICER)
        session.commit()
        return time.perf_counter() - started


def ledger_only(folder: Path, factory) -> float:
    """The ledger's batched posting of copies of every entry the dispatch posted, into a fresh database."""
    kinds = (EntryKind.PAYOUT_INITIATED, EntryKind.PAYOUT_SETTLED, EntryKind.PAYOUT_RETURNED)
    with factory() as session:
        drafts = [copy_entry(e) for e in session.scalars(select(Entry).where(Entry.kind.in_(kinds)))]
    target = make_session_factory(fresh(folder, "ceiling.db"))
    with target() as session:
        started = time.perf_counter()
        post_entries(session, drafts, actor=OFFICER)
        session.commit()
        return time.perf_counter() - started


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
        factory = make_session_factory(engine)
        owed_month(factory, Period(2025, 8))
        sandbox = SandboxAdapter("sandbox")
        build_s, batch_ids = approved_batches(
            factory, Period(2025, 8), Routing("sandbox", "sandbox", {"sandbox": sandbox})
        )
        dispatch_s, sent = dispatch_all(factory, batch_ids, sandbox, args.chunk)
        base_s = baseline(folder, factory, "sandbox")
        ceiling_s = ledger_only(folder, factory)
        print(f"sandbox: built and approved {sent:,} payouts in {build_s:.1f}s")
        print(f"sandbox: dispatched in {dispatch_s:.1f}s ({sent / dispatch_s:,.0f}/s)")
        print(
            f"ledger batched posting of the same initiation entries: {base_s:.1f}s ({sent / base_s:,.0f}/s)"
        )
        print(f"ratio {(sent / dispatch_s) / (sent / base_s):.2f}x (target >= 0.5x)")
        print(
            f"ceiling: the ledger alone posting the entries of the dispatch takes {ceiling_s:.1f}s,"
            f" ratio {base_s / ceiling_s:.2f}x: no dispatch can beat it"
        )

        bank = stack.enter_context(BankSimulator(seed=1))
        for row in generated_rows(args.people):
            if row["instrument_kind"] == "bank":
                bank.add_account(row["bank_bin"], row["account_number"], row["holder_name"])
        http = AdapterRegistry().build("bank", bank.adapter_settings(read_timeout=30.0))
        owed_month(factory, Period(2025, 9))
        _build, http_ids = approved_batches(
            factory, Period(2025, 9), Routing("bank", "sandbox", {"bank": http, "sandbox": sandbox})
        )
        with factory() as session:
            bank_ids = [
                b
                for b in http_ids
                if session.scalar(select(Payout.channel).where(Payout.batch_id == b).limit(1)) == "bank"
            ]
        http_s, http_sent = dispatch_all(factory, bank_ids, http, args.chunk)
        print(
            f"bank simulator over HTTP: {http_sent:,} payouts in {http_s:.1f}s "
            f"({http_sent / http_s:,.0f}/s; target >= 2,000/s)"
        )


if __name__ == "__main__":
    main()
