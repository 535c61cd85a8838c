"""Cash at the post office: routed, snapshotted, paid through an adapter that can pay cash; and
DOMAIN rule 5: three months uncollected suspend the enrolment, three more terminate it."""

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.adapters.sandbox.script import Outcome
from payments.adapters.vocabulary import Capability, PayoutStatus, ReasonCode
from payments.audit.model import AuditEvent
from payments.cli import cli
from payments.clock import fixed_clock
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.building import build_batches
from payments.disbursements.repository import payouts_in
from payments.disbursements.routing import Routing
from payments.disbursements.snapshots import open_snapshot
from payments.disbursements.unclaimed import apply_unclaimed_cash_rule
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.jobs import JOBS
from payments.reconcile.callbacks import receive_callback
from payments.registry.enrolments import change_status
from payments.registry.model import Enrolment, EnrolmentVersion
from payments.scheduling.runs import JobContext
from tests.integration.disbursements.conftest import APPROVER, OFFICER, THRESHOLD
from tests.support.people import enrol_person, give_bank_account, give_cash

SYSTEM = OFFICER


@pytest.fixture
def sandbox():
    return SandboxAdapter("post", default=Outcome("accept"))  # cash waits at the counter


@pytest.fixture
def routing(sandbox):
    return Routing(bank="post", ewallet="post", cash="post", adapters={"post": sandbox})


@pytest.fixture
def cash_person(session):
    beneficiary, enrolment = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    give_cash(session, beneficiary, since=date(2024, 5, 1))
    return beneficiary, enrolment


@pytest.fixture
def pay_month(session, session_factory, build, dispatcher, sandbox):
    """Accrue, build, approve and dispatch one month; then each cash payout is collected or not."""

    def run(month: int, *, collected: bool | None, year: int = 2024):
        accrue(session_factory, Period(year, month), load_rate_set(session, "68"), actor=OFFICER)
        on = Period(year, month).next().first_day.replace(day=5)
        result = build(f"{year}-{month:02d}", on=on)
        payouts = []
        for batch in result.batches:
            submit_batch(session, OFFICER, batch.id)
            approve_batch(
                session,
                APPROVER,
                batch.id,
                manifest_seen=batch.manifest_hash,
                comment="ok",
                threshold_vnd=THRESHOLD,
            )
            session.commit()
            dispatcher().dispatch(batch.id)
            payouts += payouts_in(session, batch.id)
        for payout in payouts:
            if collected:
                sandbox.settle(payout.payout_key)
            elif collected is False:
                sandbox.return_payout(payout.payout_key, ReasonCode.NOAS)  # the pickup window closed
        for headers, body in sandbox.take_callbacks():
            receive_callback(session, "post", sandbox, headers, body)
        session.commit()
        session.expire_all()
        return result, payouts

    return run


class BanksOnly(SandboxAdapter):
    """A provider that pays accounts and wallets but has no counters for cash."""

    capabilities = SandboxAdapter.capabilities - {Capability.CASH}


def _status(session, enrolment_id: int) -> tuple[str, str | None]:
    session.expire_all()
    enrolment = session.get(Enrolment, enrolment_id)
    version = session.scalars(
        select(EnrolmentVersion).where(
            EnrolmentVersion.enrolment_id == enrolment_id,
            EnrolmentVersion.version == enrolment.current_version,
        )
    ).one()
    return enrolment.status, version.status_reason


def test_a_cash_payout_freezes_the_commune_and_citizen_id_and_goes_to_the_cash_adapter(
    session, cash_person, pay_month, cipher, sandbox
):
    result, (payout,) = pay_month(7, collected=True)
    assert payout.channel == "cash"
    assert result.batches[0].adapter == "post"
    snapshot = open_snapshot(cipher, payout)
    assert snapshot["kind"] == "cash"
    assert len(snapshot["citizen_id"]) == 12
    assert snapshot["holder_name"] == "Nguyễn Thị Đào"
    assert snapshot["citizen_id"] not in json.dumps(payout.instrument_masked)  # masked where it is shown
    assert payout.instrument_masked["citizen_id"].endswith(snapshot["citizen_id"][-3:])
    assert payout.state == "settled"
    assert sandbox.credits() == {payout.payout_key: 1}


def test_cash_is_held_when_no_adapter_pays_it(session, cash_person, session_factory, sandbox, cipher):
    accrue(session_factory, Period(2024, 7), load_rate_set(session, "68"), actor=OFFICER)
    routing = Routing(bank="post", ewallet="post", cash="vnpost", adapters={"post": sandbox})
    result = build_batches(
        session, "2024-07", routing, cipher, actor=OFFICER, hold_days=30, on_date=date(2024, 8, 5)
    )
    assert result.batches == []
    (hold,) = result.holds
    assert hold.reasons[0]["code"] == "channel_not_routed"
    assert "'vnpost' is not configured" in hold.reasons[0]["detail"]


def test_cash_is_held_when_the_routed_adapter_cannot_pay_cash(session, cash_person, session_factory, cipher):
    accrue(session_factory, Period(2024, 7), load_rate_set(session, "68"), actor=OFFICER)
    bank_only = BanksOnly("bank")
    routing = Routing(bank="bank", ewallet="bank", cash="bank", adapters={"bank": bank_only})
    result = build_batches(
        session, "2024-07", routing, cipher, actor=OFFICER, hold_days=30, on_date=date(2024, 8, 5)
    )
    assert result.batches == []
    assert result.holds[0].reasons[0]["code"] == "channel_not_routed"


def test_three_uncollected_months_suspend_and_three_more_terminate(session, cash_person, pay_month):
    _, enrolment = cash_person
    for month in (7, 8, 9):
        _, (payout,) = pay_month(month, collected=False)
        assert (payout.state, payout.reason_code) == ("returned", "NOAS")

    assert apply_unclaimed_cash_rule(session, SYSTEM, today=date(2024, 10, 4)).suspended == [enrolment]
    status, reason = _status(session, enrolment)
    assert status == "suspended"
    assert reason == "unclaimed cash: cash not collected in 2024-07, 2024-08, 2024-09"
    again = apply_unclaimed_cash_rule(session, SYSTEM, today=date(2024, 10, 5))
    assert again.as_dict() == {"suspended": 0, "terminated": 0}  # safe to run twice

    # Suspended: what is still owed is held for an officer, not sent to the counter again.
    result, payouts = pay_month(10, collected=False)
    assert payouts == []
    assert [r["code"] for r in result.holds[0].reasons] == ["suspended"]

    assert apply_unclaimed_cash_rule(session, SYSTEM, today=date(2025, 1, 3)).terminated == []
    assert apply_unclaimed_cash_rule(session, SYSTEM, today=date(2025, 1, 4)).terminated == [enrolment]
    status, reason = _status(session, enrolment)
    assert status == "terminated"
    assert reason == "unclaimed cash: suspended on 2024-10-04 and not resumed within 3 months"
    events = session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == str(enrolment)))
    assert {"enrolment.suspended", "enrolment.terminated"} <= set(events)

    # Terminated: what is still owed is not sent to the counter again month after month either.
    result, payouts = pay_month(1, collected=None, year=2025)
    assert payouts == []
    (hold,) = result.holds
    assert [r["code"] for r in hold.reasons] == ["unclaimed_cash"]
    assert "record a bank account or e-wallet" in hold.reasons[0]["detail"]
    assert hold.amount_vnd == 2_250_000  # July to September, never collected


def test_after_termination_a_bank_account_lifts_the_unclaimed_cash_hold(session, cash_person, pay_month):
    beneficiary, _ = cash_person
    for month in (7, 8, 9):
        pay_month(month, collected=False)
    apply_unclaimed_cash_rule(session, SYSTEM, today=date(2024, 10, 4))
    apply_unclaimed_cash_rule(session, SYSTEM, today=date(2025, 1, 4))
    give_bank_account(session, beneficiary, "0071000999002", since=date(2025, 1, 10))
    session.commit()

    result, payouts = pay_month(1, collected=None, year=2025)

    # Only the usual wait after a new account remains: once it is over, the bank account is paid.
    assert payouts == []
    assert [r["code"] for r in result.holds[0].reasons] == ["instrument_changed"]


def test_a_collected_month_breaks_the_run(session, cash_person, pay_month):
    _, enrolment = cash_person
    pay_month(7, collected=False)
    pay_month(8, collected=True)
    pay_month(9, collected=False)
    pay_month(10, collected=False)
    assert apply_unclaimed_cash_rule(session, SYSTEM, today=date(2024, 11, 5)).suspended == []
    assert _status(session, enrolment)[0] == "active"


def test_an_officer_who_resumes_an_enrolment_gives_a_fresh_start(session, cash_person, pay_month):
    beneficiary, enrolment = cash_person
    for month in (7, 8, 9):
        pay_month(month, collected=False)
    apply_unclaimed_cash_rule(session, SYSTEM, today=date(2024, 10, 4))
    reason = "she moved in with her daughter, who has a bank account"
    change_status(session, OFFICER, enrolment, "resumed", reason, effective_date=date(2024, 10, 20))
    give_bank_account(session, beneficiary, "0071000999001", since=date(2024, 10, 20))
    session.commit()
    assert apply_unclaimed_cash_rule(session, SYSTEM, today=date(2024, 10, 21)).as_dict() == {
        "suspended": 0,
        "terminated": 0,
    }
    assert apply_unclaimed_cash_rule(session, SYSTEM, today=date(2025, 2, 1)).terminated == []
    assert _status(session, enrolment)[0] == "active"


def test_cash_still_waiting_at_the_counter_proves_nothing(session, cash_person, pay_month, sandbox):
    pay_month(7, collected=False)
    pay_month(8, collected=False)
    _, (waiting,) = pay_month(9, collected=None)
    assert waiting.state == "accepted"
    assert apply_unclaimed_cash_rule(session, SYSTEM, today=date(2024, 10, 5)).suspended == []
    assert sandbox.status(waiting.payout_key).status is PayoutStatus.ACCEPTED


def test_the_scheduler_job_and_the_command_apply_the_rule_once(
    session, session_factory, settings, app, cash_person, pay_month
):
    _, enrolment = cash_person
    for month in (7, 8, 9):
        pay_month(month, collected=False)
    context = JobContext(session_factory, settings, fixed_clock(datetime(2024, 10, 4, 2, 0, tzinfo=UTC)))
    assert JOBS["unclaimed_cash"](context) == {"suspended": 1, "terminated": 0}
    assert JOBS["unclaimed_cash"](context) == {"suspended": 0, "terminated": 0}

    result = app.test_cli_runner().invoke(cli, ["unclaimed-cash", "--date", "2025-01-04", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"date": "2025-01-04", "suspended": [], "terminated": [enrolment]}
    assert _status(session, enrolment)[0] == "terminated"
