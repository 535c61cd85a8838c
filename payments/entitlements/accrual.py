"""The monthly accrual run: what each person is owed, posted to the ledger exactly once.

For the month being accrued, and for every earlier month whose figures changed since the
previous run (a late rate decree, a decision or a death recorded late), the calculator says
what is owed and the ledger is brought to it: accruals the first time, then arrears or
recoveries of the difference. People are processed in chunks, each chunk committed on its own,
so a run killed in the middle and started again posts every entry exactly once (the ledger's
idempotency keys skip what a chunk already committed). What is owed comes from
payments.entitlements.owing, a page at a time; a large run works it out in a helper process
while this one posts.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from payments.audit.services import record_event
from payments.clock import Clock, local_date, utcnow
from payments.context import Actor
from payments.db import refresh_statistics
from payments.entitlements import accrued as ledger_view
from payments.entitlements.owing import PageOwed, owed_by_page
from payments.entitlements.period import Period
from payments.entitlements.plan import Plan, plan_run
from payments.entitlements.postings import Owed, Shortfall, increase_draft, offset_draft, recovery_draft
from payments.entitlements.rateset import RateSet
from payments.errors import InvalidInput
from payments.ledger import accounts
from payments.ledger.draft import EntryDraft, MemoPart
from payments.ledger.model import LEDGER_TABLES
from payments.ledger.services import balances, post_entries
from payments.registry.facts import iter_people

DEFAULT_CHUNK = 500


@dataclass
class Tally:
    entries: int = 0
    amount_vnd: int = 0

    def add(self, amount_vnd: int) -> None:
        self.entries += 1
        self.amount_vnd += amount_vnd


@dataclass
class AccrualSummary:
    period: str
    recomputed: list[str] = field(default_factory=list)
    people: int = 0
    posted: int = 0
    already_posted: int = 0
    accrued_vnd: int = 0
    arrears_vnd: int = 0
    recovered_vnd: int = 0
    offset_vnd: int = 0
    by_programme: dict[str, Tally] = field(default_factory=dict)
    by_category: dict[str, Tally] = field(default_factory=dict)
    by_commune: dict[str, Tally] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        tallies = ("by_programme", "by_category", "by_commune")
        plain = {k: v for k, v in self.__dict__.items() if k not in tallies}
        return plain | {k: {n: t.__dict__ for n, t in getattr(self, k).items()} for k in tallies}


def accrue(
    session_factory: sessionmaker[Session],
    period: Period,
    rates: RateSet,
    *,
    actor: Actor,
    recompute: tuple[Period, Period] | None = None,
    clock: Clock = utcnow,
    chunk: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
) -> AccrualSummary:
    """Accrue `period` for everyone (and bring changed earlier months up to date).

    Idempotent: running it again posts nothing. Commits once per chunk of people. A person
    whose facts cannot be computed for a month (a missing rate, an unknown category) is listed
    in `problems` and that month of theirs is left as it was: nothing accrued, nothing taken
    back. The rest are still paid. A month that has not begun in Vietnam is refused
    (InvalidInput): its allowances would become payable, and be paid, early.
    """
    started_at = clock()
    refuse_unbegun(period, started_at)
    summary = AccrualSummary(str(period))
    with session_factory() as session:
        plan = plan_run(session, period, recompute)
        accrued_months = ledger_view.accrued_periods(session, before=period)
        owing = ledger_view.Owing.now(session)
        pages = list(iter_people(session, chunk=chunk))
    summary.recomputed = [str(p) for p in plan.everyone if p != period]
    with owed_by_page(session_factory, pages, plan, accrued_months, rates) as owed_pages:
        for page, owed in zip(pages, owed_pages, strict=True):
            with session_factory() as session, session.begin():
                _Chunk(session, plan, summary, actor, clock, owed, owing).run(page)
            if progress is not None:
                progress(len(page))
    with session_factory() as session, session.begin():
        after = summary.as_dict() | {"started_at": started_at.isoformat()}
        record_event(session, actor, ledger_view.RUN_ACTION, "period", str(period), after=after, clock=clock)
        refresh_statistics(session, LEDGER_TABLES, rows=summary.posted)
    return summary


def refuse_unbegun(period: Period, now: datetime) -> None:
    """A month is accrued from its first day (Vietnam's calendar), never ahead of it."""
    today = local_date(now)
    if period.first_day > today:
        raise InvalidInput(
            f"{period} has not begun (today is {today} in Vietnam): a month can be accrued from "
            f"its first day, {period.first_day}",
            field="period",
        )


@dataclass
class _Chunk:
    """One chunk of people, in one transaction: what was accrued for them, and the difference."""

    session: Session
    plan: Plan
    summary: AccrualSummary
    actor: Actor
    clock: Clock
    page_owed: PageOwed
    owing: ledger_view.Owing

    def run(self, page: dict[int, list[int]]) -> None:
        enrolment_ids = [e for ids in page.values() for e in ids]
        already = ledger_view.accrued_for(self.session, enrolment_ids, self.page_owed.months)
        owed = self.page_owed.owed
        owed = owed + _vanished(self.session, owed, already, page, self.page_owed)
        self.summary.problems += self.page_owed.problems
        drafts: list[EntryDraft] = []
        shortfalls: list[Shortfall] = []
        for item in owed:
            held = already.get(_key(item), ledger_view.Accrued())
            result = increase_draft(item, held, past_month=item.period < self.plan.period)
            if isinstance(result, Shortfall):
                shortfalls.append(result)
            elif result is not None:
                drafts.append(result)
        self._post_increases(drafts)
        self._post_recoveries(shortfalls, already)
        self.owing.catch_up(self.session)  # this chunk's recoveries, and anyone else's entries
        self._offset_receivables([b for b in page if b in self.owing.people])
        self.summary.people += len(page)

    def _post_increases(self, drafts: list[EntryDraft]) -> None:
        self._post(drafts)
        for draft in drafts:
            amount = draft.postings[0][1]
            if draft.kind == "accrual":
                self.summary.accrued_vnd += amount
            else:
                self.summary.arrears_vnd += amount
            self._tally(int(draft.enrolment_ref or 0), amount)

    def _post_recoveries(
        self, shortfalls: list[Shortfall], already: dict[tuple[int, str, str], ledger_view.Accrued]
    ) -> None:
        if not shortfalls:
            return
        owed_now = balances(self.session, {accounts.payable(s.owed.beneficiary_id) for s in shortfalls})
        drafts = []
        for shortfall in shortfalls:
            code = accounts.payable(shortfall.owed.beneficiary_id)
            draft = recovery_draft(shortfall, -owed_now[code], already[_key(shortfall.owed)].amount_vnd)
            owed_now[code] += dict(draft.postings).get(code, 0)
            drafts.append(draft)
            self.summary.recovered_vnd += shortfall.amount_vnd
            self._tally(shortfall.owed.enrolment_id, -shortfall.amount_vnd)
        self._post(drafts)

    def _offset_receivables(self, beneficiary_ids: list[int]) -> None:
        """Where a person owes us (receivable) and we owe them (payable), net the two."""
        owing = ledger_view.receivables_owed(self.session, beneficiary_ids)
        if not owing:
            return
        payable = balances(self.session, [accounts.payable(b) for b in owing])
        drafts = []
        for b, (receivable, seq) in owing.items():
            owed = -payable[accounts.payable(b)]
            if owed > 0:
                amount = min(receivable, owed)
                drafts.append(offset_draft(b, self.plan.period, amount, seq))
                self.summary.offset_vnd += amount
        self._post(drafts)

    def _post(self, drafts: list[EntryDraft]) -> None:
        if drafts:
            result = post_entries(self.session, drafts, actor=self.actor, clock=self.clock)
            self.summary.posted += result.posted
            self.summary.already_posted += result.skipped

    def _tally(self, enrolment_id: int, amount: int) -> None:
        tallied_as = self.page_owed.tallied_as.get(enrolment_id)
        if tallied_as is None:
            return
        programme, category, commune = tallied_as
        _count(self.summary.by_programme, programme, amount)
        _count(self.summary.by_category, category, amount)
        _count(self.summary.by_commune, commune, amount)


def _key(owed: Owed) -> tuple[int, str, str]:
    return (owed.enrolment_id, str(owed.period), owed.component)


def _count(tallies: dict[str, Tally], key: str, amount_vnd: int) -> None:
    # Not setdefault(key, Tally()): that builds a Tally for every entry posted, three times.
    tally = tallies.get(key)
    if tally is None:
        tally = tallies[key] = Tally()
    tally.add(amount_vnd)


def _vanished(
    session: Session,
    owed: list[Owed],
    already: dict[tuple[int, str, str], ledger_view.Accrued],
    page: dict[int, list[int]],
    page_owed: PageOwed,
) -> list[Owed]:
    """A zero for each component accrued before but owed nothing now (after a late death, say).

    Not for a person's month whose facts could not be computed (`page_owed.unknown`): not
    knowing what is owed there is no reason to take back what was accrued."""
    months_by_person, unknown = page_owed.months_by_person, page_owed.unknown
    seen = {_key(o) for o in owed}
    person_of = {e: b for b, ids in page.items() for e in ids}
    gone = [
        (enrolment_id, period, component)
        for (enrolment_id, month, component), item in already.items()
        if item.amount_vnd != 0
        and (enrolment_id, month, component) not in seen
        and (period := Period.parse(month)) in months_by_person[person_of[enrolment_id]]
        and (person_of[enrolment_id], period) not in unknown
    ]
    if not gone:
        return []
    programme_of = ledger_view.programmes_of(session, [g[0] for g in gone])
    why = MemoPart(
        {"rule": "DOMAIN rule 2: nothing is owed for this month any more (death or loss of eligibility)"}
    )
    return [Owed(e, person_of[e], programme_of[e], month, component, 0, why) for e, month, component in gone]
