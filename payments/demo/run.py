"""`payments demo`: a demo province run month by month through the real cycle.

Accrual, batch build, submit and approval by two different officers, dispatch through the HTTP
simulators (bank, e-wallet, post office), the post office's pickup window closing on the cash
nobody collected, reconciliation, a ledger checkpoint and a verify, for each month. The second
month brings a late provincial rate (arrears) and a death recorded after a payout (recovery).
"""

import csv
import io
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from payments.adapters.base import AdapterServices
from payments.adapters.errors import CallbackRejected
from payments.adapters.nonce_store import nonce_stores
from payments.config import Settings
from payments.context import Actor
from payments.demo.population import generated_rows
from payments.demo.simulators import BANK, POST, WALLET, DemoProviders, start_providers
from payments.disbursements.approval import approvals_needed, approve_batch, submit_batch
from payments.disbursements.building import build_batches
from payments.disbursements.dispatch import DispatchConfig, Dispatcher
from payments.disbursements.model import Payout
from payments.disbursements.routing import Routing
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import NewRate, add_rate, load_rate_set
from payments.errors import RuleViolation
from payments.ledger.checkpoints import create_checkpoint
from payments.ledger.model import Entry, Posting
from payments.ledger.notes import NoteKey
from payments.ledger.verify import verify_ledger
from payments.reconcile.callbacks import receive_callback
from payments.reconcile.runs import fetch_statements, run_reconciliation
from payments.registry.crypto import PiiCipher
from payments.registry.importer import import_beneficiaries
from payments.registry.model import Enrolment
from payments.registry.services import record_death
from payments.security.model import User
from payments.security.services import create_user

FIRST_PERIOD = Period(2025, 7)
OFFICER = Actor(username="demo.officer", role="officer")
APPROVERS = (
    Actor(username="demo.approver", role="approver"),
    Actor(username="demo.approver2", role="approver"),
)
DEMO_USERS = {
    "demo.officer": ["officer"], "demo.approver": ["approver"], "demo.approver2": ["approver"],
    "demo.finance": ["finance"], "demo.auditor": ["auditor"], "demo.admin": ["admin"],
}  # fmt: skip
SYSTEM = Actor(username="demo", role="system")
FINANCE = Actor(username="demo.finance", role="finance")
Say = Callable[[str], None]


@dataclass(frozen=True)
class DemoOptions:
    beneficiaries: int = 2_000
    months: int = 2
    seed: int = 7


def run_demo(
    session_factory: sessionmaker[Session],
    settings: Settings,
    options: DemoOptions,
    say: Say,
    providers: DemoProviders | None = None,
) -> dict[str, Any]:
    """Run the demo on the configured database and return its summary (see ARCHITECTURE.md).

    Starts its own simulators unless `providers` (already running) are given."""
    rows = list(generated_rows(options.beneficiaries, seed=options.seed))
    with ExitStack() as stack:
        if providers is None:
            services = AdapterServices(nonce_store=nonce_stores(session_factory))
            providers = start_providers(stack, options.seed, services)
        for row in rows:
            providers.add_payee(row)
        demo = _Demo(session_factory, settings, PiiCipher.from_settings(settings), providers, say)
        demo.seed(rows)
        periods = demo.periods(options.months)
        for index, period in enumerate(periods):
            if index == 1:
                demo.late_changes(periods[0])
            demo.month(period)
        demo.reconcile_statements()
        return demo.summary(periods, options)


@dataclass
class _Demo:
    session_factory: sessionmaker[Session]
    settings: Settings
    cipher: PiiCipher
    providers: DemoProviders
    say: Say
    callbacks_seen: dict[str, int] = field(default_factory=dict)  # per provider with callbacks
    refused_callbacks: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    exceptions: dict[str, int] = field(default_factory=dict)
    tie_outs: dict[str, Any] = field(default_factory=dict)

    def seed(self, rows: list[dict[str, str]]) -> None:
        with self.session_factory() as session, session.begin():
            for username, roles in DEMO_USERS.items():
                if session.scalar(select(User.id).where(User.username == username)) is None:
                    create_user(session, SYSTEM, username, roles)
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
            report = import_beneficiaries(session, SYSTEM, self.cipher, lambda: io.StringIO(text.getvalue()))
            if not report.ok:
                raise RuleViolation(f"the demo population did not import: {report.problems[:3]}")
        self.say(f"registry: {len(rows)} beneficiaries ({report.beneficiaries_created} new)")

    def periods(self, months: int) -> list[Period]:
        """Months after the last one accrued (so running the demo again adds new months)."""
        with self.session_factory() as session:
            last = session.scalar(select(func.max(Entry.period)).where(Entry.kind == "accrual"))
        periods = [Period.parse(last).next() if last else FIRST_PERIOD]
        while len(periods) < months:
            periods.append(periods[-1].next())
        return periods

    def month(self, period: Period) -> None:
        with self.session_factory() as session:
            rates = load_rate_set(session, self.settings.province_code)
        summary = accrue(self.session_factory, period, rates, actor=OFFICER)
        self.say(
            f"{period}: accrued {summary.accrued_vnd:,} đ, arrears {summary.arrears_vnd:,} đ, "
            f"recovered {summary.recovered_vnd:,} đ"
        )
        batches, held = self.approved_batches(period)
        self.say(f"{period}: {len(batches)} batches built and approved, {held} beneficiaries held")
        for batch_id, adapter in batches:
            self.dispatch(batch_id, adapter)
        uncollected = self.providers.post.close_pickup_window()
        self.say(f"{period}: post office pickup window closed, {len(uncollected)} cash payouts uncollected")
        self.reconcile_callbacks()
        with self.session_factory() as session, session.begin():
            create_checkpoint(
                session, self.settings.load_signing_key(), self.settings.ledger_origin, actor=SYSTEM
            )
        self.say(f"{period}: dispatched and reconciled; ledger checkpoint signed")

    def approved_batches(self, period: Period) -> tuple[list[tuple[int, str]], int]:
        """Build, submit (the officer) and approve (one or two other people) the month's batches."""
        routing = Routing(bank=BANK, ewallet=WALLET, cash=POST, adapters=self.providers.adapters)
        threshold = self.settings.two_approver_threshold_vnd
        with self.session_factory() as session, session.begin():
            built = build_batches(
                session, str(period), routing, self.cipher, actor=OFFICER,
                hold_days=self.settings.instrument_change_hold_days, on_date=period.last_day,
            )  # fmt: skip
            for batch in built.batches:
                submit_batch(session, OFFICER, batch.id)
                for approver in APPROVERS[: approvals_needed(batch, threshold)]:
                    approve_batch(
                        session, approver, batch.id, manifest_seen=batch.manifest_hash, comment="demo",
                        threshold_vnd=threshold,
                    )  # fmt: skip
            return [(b.id, b.adapter) for b in built.batches], len(built.holds)

    def dispatch(self, batch_id: int, adapter: str) -> None:
        config = DispatchConfig(
            holder=f"demo:{batch_id}",
            threshold_vnd=self.settings.two_approver_threshold_vnd,
            backoff_seconds=0.05,
        )
        dispatcher = Dispatcher(
            self.session_factory, self.providers.adapters[adapter], self.cipher, SYSTEM, config
        )
        for _attempt in range(4):  # in-doubt payouts are resolved by a status query on the next pass
            if dispatcher.dispatch(batch_id).state == "dispatched":
                return

    def reconcile_callbacks(self) -> None:
        """The e-wallet's and the post office's callbacks so far, each verified and reconciled."""
        outboxes = {WALLET: self.providers.wallet.outbox, POST: self.providers.post.outbox}
        received = 0
        for name, outbox in outboxes.items():
            seen = self.callbacks_seen.get(name, 0)
            deliveries = outbox.wait_for(seen + 1, timeout=2.0)
            for delivery in deliveries[seen:]:
                self._receive(name, delivery.headers, delivery.body)
            received += len(deliveries) - seen
            self.callbacks_seen[name] = len(deliveries)
        self.say(f"callbacks: {received} received and reconciled")

    def _receive(self, name: str, headers: dict[str, str], body: bytes) -> None:
        with self.session_factory() as session, session.begin():
            try:
                adapter = self.providers.adapters[name]
                result = receive_callback(session, name, adapter, headers, body, actor=FINANCE)
            except CallbackRejected:
                self.refused_callbacks += 1
                return
        self._count(result["outcomes"], result["exceptions"])

    def reconcile_statements(self) -> None:
        """End of day: every provider's statement, matched against the payouts (all demo months
        are sent on the same real day, so one statement per provider covers them)."""
        today = datetime.now(UTC).date()
        fetch_statements(self.session_factory, self.providers.adapters, [today], actor=FINANCE)
        report = run_reconciliation(self.session_factory, actor=FINANCE)
        outcomes = {name: figures["count"] for name, figures in report["outcomes"].items()}
        exceptions = {name: figures["count"] for name, figures in report["exceptions"].items()}
        self._count(outcomes, exceptions)
        self.tie_outs = report["tie_outs"]
        self.say(f"statements reconciled: outcomes {outcomes}, exceptions {exceptions}")

    def _count(self, outcomes: dict[str, int], exceptions: dict[str, int]) -> None:
        for name, count in outcomes.items():
            self.outcomes[name] = self.outcomes.get(name, 0) + count
        for name, count in exceptions.items():
            self.exceptions[name] = self.exceptions.get(name, 0) + count

    def late_changes(self, first: Period) -> None:
        """A provincial standard level decreed late (arrears) and a death recorded late (recovery)."""
        with self.session_factory() as session, session.begin():
            self.late_decree(session, first)
            paid = session.scalar(
                select(Payout.beneficiary_id)
                .join(Enrolment, Enrolment.beneficiary_id == Payout.beneficiary_id)
                .where(Payout.state == "settled", Enrolment.programme_code == "BTXH")
                .order_by(Payout.id)
                .limit(1)
            )
            if paid is not None:
                record_death(session, OFFICER, paid, first.first_day - timedelta(days=10))
                self.say(f"death recorded late for beneficiary {paid}: {first} was paid, now a recovery")

    def late_decree(self, session: Session, first: Period) -> None:
        decree = NewRate(
            "btxh.standard_level", "68", first.first_day, None, 550_000,
            "Demo: a Lâm Đồng decision raising the standard level, decreed late",
        )  # fmt: skip
        savepoint = session.begin_nested()
        try:
            add_rate(session, Actor("demo.admin", "admin"), decree)
        except RuleViolation:
            savepoint.rollback()
            self.say("late decree already recorded by an earlier demo run")
            return
        savepoint.commit()
        self.say(f"late decree: Lâm Đồng standard level 550,000 đ from {first} (arrears follow)")

    def summary(self, periods: list[Period], options: DemoOptions) -> dict[str, Any]:
        with self.session_factory() as session:
            by_state = session.execute(select(Payout.state, func.count()).group_by(Payout.state)).all()
            paid = session.scalar(select(func.sum(Payout.amount_vnd)).where(Payout.state == "settled")) or 0
            accrued = session.scalar(
                select(func.sum(Posting.amount_vnd))
                .join(Entry, Entry.seq == Posting.entry_seq)
                .where(Entry.kind.in_(("accrual", "arrears", "recovery")), Posting.amount_vnd > 0)
            )
            entries = session.scalar(select(func.count()).select_from(Entry)) or 0
            total = session.scalar(select(func.sum(Posting.amount_vnd))) or 0
            key = NoteKey(self.settings.ledger_origin, self.settings.load_signing_key().public_key())
            verified = verify_ledger(session, [key]).ok
        return {
            "beneficiaries": options.beneficiaries,
            "periods": [str(p) for p in periods],
            "accrued_vnd": int(accrued or 0),
            "paid_vnd": int(paid),
            "payouts": {state: count for state, count in by_state},  # noqa: C416 - rows, not pairs
            "reconciliation": {
                "matched": sum(n for name, n in self.outcomes.items() if name != "exception"),
                "outcomes": self.outcomes,
                "exceptions": self.exceptions,
                "refused_callbacks": self.refused_callbacks,
                "tie_outs_hold": bool(self.tie_outs.get("holds")),
            },
            "ledger": {"entries": entries, "verified": verified, "balanced": total == 0},
            "double_payments": len(self.providers.double_payments()),
        }
