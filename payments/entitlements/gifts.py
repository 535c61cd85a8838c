"""One-off gift runs (for example Tết): one gift per person, whatever their programmes (rule 8).

An officer names the run (`tet-2027`), the decision granting it, the gift's date and an amount
per programme. Each person with an enrolment in one of those programmes in force on that date,
and alive on it, is given ONE gift: the highest of their programmes' amounts (the highest
applicable only, as rule 3 and the funeral grant); a tie goes to the earliest enrolment (the
lowest id), as the funeral grant's does, so the same facts always choose the same gift.

"In force" is the accrual's notion, not a second one: the terms the registry holds for the date
(`registry.facts.facts_on`, which leaves out an enrolment decided after it) and
`calculator.not_due` for its month (rule 1: from the decision's and the start month; rule 2:
nothing after the end month; rule 5: nothing while suspended, so a suspended enrolment brings
no gift either). Death alone is checked by the day: the month of death is still due monthly,
but someone who died on or before the gift's date is given nothing.

Ledger: one `accrual` entry per person, keyed `gift:<run code>:<beneficiary>`: expense of the
chosen programme to the person's payable, effective on the gift's date, explained in its memo
(rule, decision, programme, amount, date, enrolment). The ledger records a key once, so a
second gift to the same person in one run cannot happen, a run started again posts nothing new,
and the same run with another amount, date or decision is a Conflict naming the key. Chunks of
people are committed one by one, so a run killed and started again gives each gift once.
Someone already given a gift under the code is left with it when the run starts again, even if
the registry has changed for them since (a programme added, a category corrected): only the
run's own terms (decision, date, the amount for their gift's programme) are compared, so a
change to one person can never stop the rest from being given theirs.

A gift entry carries NO `enrolment_ref` and NO `period`, on purpose: the monthly accrual finds
what it accrued by those two fields (`accrued.accrued_for`, `accrued.accrued_periods`), so a
gift is never taken for part of a month's allowance, never recovered or topped up by a
recompute, and never makes a month count as accrued. It still lands in the payable balance,
which is what a batch pays.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from payments.audit.services import record_event
from payments.clock import Clock, local_date, utcnow
from payments.context import Actor
from payments.db import refresh_statistics
from payments.entitlements.accrual import Tally
from payments.entitlements.calculator import not_due
from payments.entitlements.facts import Programme as CalculatorProgramme
from payments.entitlements.from_registry import calculator_facts
from payments.entitlements.period import Period
from payments.errors import Conflict, InvalidInput, PaymentsError
from payments.ledger import accounts
from payments.ledger.draft import MAX_AMOUNT_VND, EntryDraft, EntryKind
from payments.ledger.model import LEDGER_TABLES, Entry
from payments.ledger.services import post_entries
from payments.registry.facts import EnrolmentFacts, facts_on, iter_people
from payments.registry.model import Programme

DEFAULT_CHUNK = 500
RUN_ACTION = "gift.run"
RULE = "DOMAIN rule 8: one gift per person per run, even in several programmes; the highest applicable only"
# Lower-case words joined by hyphens ('tet-2027'): it becomes part of ledger keys, which use ':'.
RUN_CODE_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_CODE_LENGTH = 40
MAX_DECISION_LENGTH = 200
_RUN_CODE = re.compile(RUN_CODE_PATTERN)


@dataclass(frozen=True)
class GiftRun:
    """What the officer decided. `amounts_vnd` is {registry programme code: integer VND}.

    Checks its own shape and raises InvalidInput (naming the field); whether the programmes
    exist is checked against the registry by `run_gifts`, before anything is written."""

    code: str
    gift_date: date
    decision: str
    amounts_vnd: Mapping[str, int]

    def __post_init__(self) -> None:
        _check_code(self.code)
        if not isinstance(self.decision, str) or not 0 < len(self.decision.strip()) <= MAX_DECISION_LENGTH:
            raise InvalidInput(
                f"give the decision that grants the gift (1 to {MAX_DECISION_LENGTH} characters)",
                field="decision",
            )
        _check_amounts(self.amounts_vnd)


def _check_code(code: object) -> None:
    if not (isinstance(code, str) and len(code) <= MAX_CODE_LENGTH and _RUN_CODE.match(code)):
        raise InvalidInput(
            f"run code {code!r} must be lower-case letters and digits joined by '-' (e.g. tet-2027), "
            f"at most {MAX_CODE_LENGTH} characters",
            field="code",
        )


def _check_amounts(amounts_vnd: Mapping[str, int]) -> None:
    if not amounts_vnd:
        raise InvalidInput("give an amount for at least one programme", field="amounts")
    for programme, amount in amounts_vnd.items():
        if type(amount) is not int or not 0 < amount <= MAX_AMOUNT_VND:  # bool and float refused too
            raise InvalidInput(
                f"the amount for {programme} must be a positive whole number of đồng, not {amount!r}",
                field="amounts",
            )


@dataclass(frozen=True)
class Gift:
    """The one gift chosen for one person, and the programmes they qualified under."""

    beneficiary_id: int
    enrolment_id: int
    category: str
    programme: str
    amount_vnd: int
    compared: tuple[tuple[str, int], ...]  # (programme, amount) for each programme qualified under


@dataclass
class GiftSummary:
    code: str
    gift_date: str
    decision: str
    amounts_vnd: dict[str, int]
    dry_run: bool = False
    people: int = 0  # people with any enrolment, looked at
    given: int = 0  # gifts posted by this run
    given_vnd: int = 0
    already_given: int = 0  # gifts an earlier (or interrupted) run of the same code posted
    already_given_vnd: int = 0
    not_eligible: int = 0
    by_programme: dict[str, Tally] = field(default_factory=dict)  # gifts posted by this run
    problems: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, run: GiftRun, *, dry_run: bool) -> "GiftSummary":
        return cls(run.code, run.gift_date.isoformat(), run.decision, dict(run.amounts_vnd), dry_run)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__ | {"by_programme": {n: t.__dict__ for n, t in self.by_programme.items()}}


def run_gifts(
    session_factory: sessionmaker[Session],
    run: GiftRun,
    *,
    actor: Actor,
    dry_run: bool = False,
    clock: Clock = utcnow,
    chunk: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
) -> GiftSummary:
    """Give everyone eligible on `run.gift_date` their one gift; safe to run again.

    Commits once per chunk of people, then records a `gift.run` audit event with the summary.
    `dry_run` works every chunk out and posts it, then rolls it back, and records nothing. A
    person whose facts the calculator cannot read is listed in `problems`; the others are given.
    Raises InvalidInput for an unknown programme or a date still to come, before anything is
    written, and Conflict when someone was given a gift under this code on other terms
    (decision, date or amount): the chunks before stay committed, that one is rolled back."""
    started_at = clock()
    refuse_future(run, started_at)
    summary = GiftSummary.of(run, dry_run=dry_run)
    with session_factory() as session:
        check_programmes(session, run)
        first = _first_gift(session, run.code)
        if first is not None:
            _same_terms(run, *first)  # before anything is written
        pages = list(iter_people(session, chunk=chunk))
    for page in pages:
        with session_factory() as session:  # closed, so rolled back, if the chunk raises
            _Chunk(session, run, summary, actor, clock).give(page)
            if dry_run:
                session.rollback()
            else:
                session.commit()
        if progress is not None:
            progress(len(page))
    if not dry_run:
        with session_factory() as session, session.begin():
            after = summary.as_dict() | {"started_at": started_at.isoformat()}
            record_event(session, actor, RUN_ACTION, "gift_run", run.code, after=after, clock=clock)
            refresh_statistics(session, LEDGER_TABLES, rows=summary.given)
    return summary


def refuse_future(run: GiftRun, now: datetime) -> None:
    """A gift is given on or after its date (Vietnam's calendar): before it, who is alive and in
    force on that date is not known yet, and the gift would be paid early (as a month is never
    accrued before it begins)."""
    today = local_date(now)
    if run.gift_date > today:
        raise InvalidInput(
            f"the gift's date {run.gift_date} has not come (today is {today} in Vietnam): "
            "run it on or after that day",
            field="date",
        )


def check_programmes(session: Session, run: GiftRun) -> None:
    """Raise InvalidInput unless every programme of the run is one the registry knows and the
    calculator has rules for (it decides whether an enrolment is in force)."""
    ruled = {programme.value.upper() for programme in CalculatorProgramme}  # 'BTXH', 'NCC'
    known = set(session.scalars(select(Programme.code))) & ruled
    unknown = sorted(set(run.amounts_vnd) - known)
    if unknown:
        raise InvalidInput(
            f"unknown programme(s): {', '.join(unknown)}; gifts can be given in {', '.join(sorted(known))}",
            field="amounts",
        )


def choose_gift(run: GiftRun, enrolments: Iterable[EnrolmentFacts]) -> Gift | None:
    """One person's gift, from their enrolments' terms on the gift's date as `facts_on` gives
    them (an enrolment decided after that date is not among them); None when none of the run's
    programmes is in force for them then. Raises InvalidInput (from the calculator's facts) for
    an enrolment in a category it has no rule for."""
    eligible = [f for f in enrolments if f.programme in run.amounts_vnd and in_force(f, run.gift_date)]
    if not eligible:
        return None
    best = max(eligible, key=lambda f: (run.amounts_vnd[f.programme], -f.enrolment_id))
    compared = tuple((p, run.amounts_vnd[p]) for p in sorted({f.programme for f in eligible}))
    amount = run.amounts_vnd[best.programme]
    return Gift(best.beneficiary_id, best.enrolment_id, best.category_code, best.programme, amount, compared)


def in_force(facts: EnrolmentFacts, day: date) -> bool:
    """Whether the enrolment brings a gift dated `day`: the person alive on that day and the
    enrolment due, as the calculator decides it, for that month (see the module docstring)."""
    if facts.death_date is not None and facts.death_date <= day:
        return False
    person, enrolment = calculator_facts(facts)
    return not_due(enrolment, person, Period.of(day)) is None


def gift_key(code: str, beneficiary_id: int) -> str:
    return f"gift:{code}:{beneficiary_id}"


def gift_draft(run: GiftRun, gift: Gift) -> EntryDraft:
    """The ledger entry of one gift: expense of its programme, to the person's payable.

    Neither `enrolment_ref` nor `period` is set: see the module docstring."""
    memo = {
        "rule": RULE,
        "gift_run": run.code,
        "decision": run.decision,
        "gift_date": run.gift_date.isoformat(),
        "programme": gift.programme,
        "amount_vnd": gift.amount_vnd,
        "enrolment_id": gift.enrolment_id,
        "category": gift.category,
        "compared": [{"programme": p, "amount_vnd": a} for p, a in gift.compared],
        "amounts_vnd": dict(sorted(run.amounts_vnd.items())),  # the run's terms, whole
    }
    return EntryDraft(
        idempotency_key=gift_key(run.code, gift.beneficiary_id),
        kind=EntryKind.ACCRUAL,  # owed to the person like an allowance (ARCHITECTURE's account table)
        effective_date=run.gift_date,
        postings=(
            (accounts.expense(gift.programme), gift.amount_vnd),
            (accounts.payable(gift.beneficiary_id), -gift.amount_vnd),
        ),
        memo=memo,
    )


@dataclass
class _Chunk:
    """One chunk of people, in one transaction: who is eligible, their gifts, posted."""

    session: Session
    run: GiftRun
    summary: GiftSummary
    actor: Actor
    clock: Clock

    def give(self, page: dict[int, list[int]]) -> None:
        enrolment_ids = [e for ids in page.values() for e in ids]
        by_person: dict[int, list[EnrolmentFacts]] = {}
        for facts in facts_on(self.session, enrolment_ids, self.run.gift_date):
            by_person.setdefault(facts.beneficiary_id, []).append(facts)
        chosen = [self._choose(b, by_person.get(b, [])) for b in page]
        self._post([gift for gift in chosen if gift is not None])
        self.summary.people += len(page)

    def _choose(self, beneficiary_id: int, enrolments: list[EnrolmentFacts]) -> Gift | None:
        try:
            gift = choose_gift(self.run, enrolments)
        except PaymentsError as error:
            self.summary.problems.append({"beneficiary_id": beneficiary_id, "problem": error.detail})
            return None
        if gift is None:
            self.summary.not_eligible += 1
        return gift

    def _post(self, gifts: list[Gift]) -> None:
        if not gifts:
            return
        drafts = [gift_draft(self.run, gift) for gift in gifts]
        recorded = _gifts_recorded(self.session, [d.idempotency_key for d in drafts])
        for key, memo in recorded.items():
            _same_terms(self.run, key, memo)
        # A gift given before stands; the ledger still compares the content of the others, so a
        # second run racing this one with other terms is a Conflict there.
        fresh = [draft for draft in drafts if draft.idempotency_key not in recorded]
        post_entries(self.session, fresh, actor=self.actor, clock=self.clock)
        for gift, draft in zip(gifts, drafts, strict=True):
            if draft.idempotency_key in recorded:
                self.summary.already_given += 1
                self.summary.already_given_vnd += int(recorded[draft.idempotency_key]["amount_vnd"])
            else:
                self.summary.given += 1
                self.summary.given_vnd += gift.amount_vnd
                self.summary.by_programme.setdefault(gift.programme, Tally()).add(gift.amount_vnd)


def _first_gift(session: Session, code: str) -> tuple[str, dict[str, Any]] | None:
    """(key, memo) of one gift already given under `code`, if any. Every key of the code starts
    'gift:<code>:'; codes hold no LIKE wildcard. (Not a range of the key's index: PostgreSQL
    compares text by the database's collation, where ':' need not sort where it does in ASCII.)"""
    prefix = gift_key(code, 0)[:-1]
    query = select(Entry.idempotency_key, Entry.memo).where(Entry.idempotency_key.like(f"{prefix}%")).limit(1)
    found = session.execute(query).first()
    return (found[0], found[1] or {}) if found is not None else None


def _gifts_recorded(session: Session, keys: list[str]) -> dict[str, dict[str, Any]]:
    """{key: memo} of the gifts among `keys` the ledger holds already."""
    query = select(Entry.idempotency_key, Entry.memo).where(Entry.idempotency_key.in_(keys))
    return {key: memo or {} for key, memo in session.execute(query)}


def _same_terms(run: GiftRun, key: str, memo: Mapping[str, Any]) -> None:
    """Raise Conflict, naming the key, when the gift recorded under `key` was given on other
    terms than this run's (decision, date, the amount of every programme): the same code cannot
    stand for two decisions, nor give one person 500,000 and the next 2,000,000 for the same
    category of need. Gifts recorded before the full amounts were kept are compared by theirs."""
    amounts = memo.get("amounts_vnd") or {memo.get("programme"): memo.get("amount_vnd")}
    given = (memo.get("decision"), memo.get("gift_date"), amounts)
    ours = (run.decision, run.gift_date.isoformat(), dict(run.amounts_vnd) if "amounts_vnd" in memo
            else {memo.get("programme"): run.amounts_vnd.get(str(memo.get("programme")))})  # fmt: skip
    if given != ours:
        raise Conflict(
            f"idempotency key {key!r} was already used for different content: gift run {run.code!r} "
            f"was given with decision {given[0]!r}, date {given[1]}, amounts {given[2]}; "
            "use a new code for other terms",
            idempotency_key=key,
        )
