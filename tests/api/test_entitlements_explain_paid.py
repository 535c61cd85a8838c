"""The explanation reconciles: what a person is owed now equals what was accrued, in arrears and
given, less what was recovered, offset, paid and is in flight (issue 5, item 7)."""

from datetime import date

import pytest
from sqlalchemy import select

from payments.adapters.sandbox.script import Outcome
from payments.adapters.vocabulary import ReasonCode
from payments.context import Actor
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.building import build_batches
from payments.disbursements.dispatch import dispatcher_for
from payments.disbursements.model import Batch, Payout
from payments.disbursements.routing import routing_for
from payments.entitlements.accrual import accrue
from payments.entitlements.explain import payout_period
from payments.entitlements.gifts import GiftRun, run_gifts
from payments.entitlements.period import Period
from payments.entitlements.rates import NewRate, add_rate, load_rate_set
from payments.ledger.model import Entry
from payments.ledger.services import reverse_entry
from payments.registry.crypto import PiiCipher
from payments.registry.enrolments import amend_enrolment
from payments.registry.services import record_death
from tests.conftest import bearer
from tests.support.batches import APPROVER, app_sandbox
from tests.support.people import OFFICER, enrol_person, give_bank_account

MONTHLY = 750_000  # BTXH_ELDERLY_POOR_60_80: 1.5 x 500,000
RAISED = 900_000  # 1.5 x a provincial 600,000, decreed late, from 2024-08
GIFT = 500_000
MID_AUTUMN = GiftRun("trung-thu-2024", date(2024, 8, 10), "QĐ 77/QĐ-UBND", {"BTXH": GIFT})
ADMIN = Actor(username="admin", role="admin")
TERMS = (
    "accrued_vnd", "arrears_vnd", "gifts_vnd", "recovered_vnd", "offset_vnd",
    "paid_vnd", "in_flight_vnd", "corrected_vnd", "returned_vnd",
)  # fmt: skip


@pytest.fixture
def accrue_month(session_factory, session):
    def go(period: str, recompute: tuple[Period, Period] | None = None):
        rates = load_rate_set(session, "68")
        return accrue(session_factory, Period.parse(period), rates, actor=OFFICER, recompute=recompute)

    return go


@pytest.fixture
def pay(app, session):
    """pay(period, on_date, outcome): build the period's batch, approve it and dispatch it
    through the app's sandbox, which answers `outcome` for its one payout."""
    runtime = app.extensions["payments"]

    def go(period: str, on_date: date, outcome: Outcome) -> Payout:
        routing = routing_for(runtime.settings, runtime.adapters)
        cipher = PiiCipher.from_settings(runtime.settings)
        (batch,) = build_batches(
            session, period, routing, cipher, actor=OFFICER, hold_days=30, on_date=on_date
        ).batches
        payout = session.scalars(select(Payout).where(Payout.batch_id == batch.id)).one()
        app_sandbox(app).script_key(payout.payout_key, outcome)
        submit_batch(session, OFFICER, batch.id)
        approve_batch(session, APPROVER, batch.id, manifest_seen=batch.manifest_hash, comment="ok",
                      threshold_vnd=runtime.settings.two_approver_threshold_vnd)  # fmt: skip
        session.commit()
        dispatcher_for(runtime.session_factory, runtime.adapters, runtime.settings, batch.id).dispatch(
            batch.id
        )
        session.expire_all()
        return payout

    return go


def explained(client, token_for, person: int, first: str, last: str) -> dict:
    response = client.get(
        f"/api/v1/beneficiaries/{person}/entitlements?from={first}&to={last}",
        headers=bearer(token_for("officer")),
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def reconciled(body: dict) -> int:
    """The identity an officer checks by hand."""
    added = body["accrued_vnd"] + body["arrears_vnd"] + body["gifts_vnd"] + body["corrected_vnd"]
    taken = body["recovered_vnd"] + body["offset_vnd"] + body["paid_vnd"] + body["in_flight_vnd"]
    return added - taken


def test_owed_now_is_accrued_plus_arrears_and_gifts_less_paid_and_in_flight(
    client, session, token_for, accrue_month, pay, app
):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    give_bank_account(session, person, "0071000123456", since=date(2024, 5, 1))
    accrue_month("2024-07")
    july = pay("2024-07", date(2024, 8, 5), Outcome("settle"))
    run_gifts(app.extensions["payments"].session_factory, MID_AUTUMN, actor=OFFICER)
    accrue_month("2024-08")
    august = pay("2024-08", date(2024, 9, 5), Outcome("reject", ReasonCode.AC04))
    add_rate(
        session, ADMIN, NewRate("btxh.standard_level", "68", date(2024, 8, 1), None, 600_000, "late decree")
    )
    session.commit()
    accrue_month("2024-09")  # September, and August's arrears
    september = pay("2024-09", date(2024, 10, 5), Outcome("accept"))
    accrue_month("2024-10")

    body = explained(client, token_for, person, "2024-07", "2024-10")

    assert {term: body[term] for term in TERMS} == {
        "accrued_vnd": MONTHLY + MONTHLY + RAISED + RAISED,
        "arrears_vnd": RAISED - MONTHLY,
        "gifts_vnd": GIFT,
        "recovered_vnd": 0,
        "offset_vnd": 0,
        "paid_vnd": MONTHLY,
        "in_flight_vnd": MONTHLY + GIFT + (RAISED - MONTHLY) + RAISED,  # August sent again, and more
        "corrected_vnd": 0,
        "returned_vnd": MONTHLY + GIFT,
    }
    assert body["owed_now_vnd"] == RAISED == 900_000  # October, not yet in a batch
    assert reconciled(body) == body["owed_now_vnd"]
    assert body["gifts"] == [
        {"code": "trung-thu-2024", "date": "2024-08-10", "decision": "QĐ 77/QĐ-UBND", "programme": "BTXH",
         "amount_vnd": GIFT},
    ]  # fmt: skip
    by_month = {month["period"]: month for month in body["months"]}
    assert [(p["payout_key"], p["amount_vnd"], p["status"]) for p in by_month["2024-07"]["payouts"]] == [
        (july.payout_key, 750_000, "settled")
    ]
    assert [(p["payout_key"], p["amount_vnd"], p["status"]) for p in by_month["2024-08"]["payouts"]] == [
        (august.payout_key, 1_250_000, "returned")
    ]
    assert [(p["payout_key"], p["amount_vnd"], p["status"]) for p in by_month["2024-09"]["payouts"]] == [
        (september.payout_key, 2_300_000, "in_flight")
    ]
    assert by_month["2024-10"]["payouts"] == []
    sums = {period: (m["paid_vnd"], m["in_flight_vnd"], m["returned_vnd"]) for period, m in by_month.items()}
    assert sums == {
        "2024-07": (750_000, 0, 0),
        "2024-08": (0, 0, 1_250_000),
        "2024-09": (0, 2_300_000, 0),
        "2024-10": (0, 0, 0),
    }
    # The month a payout is listed under is its batch's period.
    periods = dict(session.execute(select(Payout.payout_key, Batch.period).join(Batch)).all())
    assert {p["payout_key"]: month["period"] for month in body["months"] for p in month["payouts"]} == periods
    # The expense side per month is as before: August's arrears are booked to August.
    assert by_month["2024-08"]["ledger"] == {"accrual": MONTHLY, "arrears": RAISED - MONTHLY}


def test_a_late_death_reconciles_through_the_funeral_grant_and_the_months_taken_back(
    client, session, token_for, accrue_month, pay
):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    give_bank_account(session, person, "0071000654321", since=date(2024, 5, 1))
    for month in ("2024-07", "2024-08"):
        accrue_month(month)
    pay("2024-08", date(2024, 9, 5), Outcome("settle"))  # July and August
    accrue_month("2024-09")
    record_death(session, OFFICER, person, date(2024, 7, 15))
    session.commit()
    accrue_month("2024-10")

    body = explained(client, token_for, person, "2024-07", "2024-10")

    assert {term: body[term] for term in TERMS} == {
        "accrued_vnd": 3 * MONTHLY,
        "arrears_vnd": 10_000_000,  # the funeral grant, 20 x 500,000, owed late
        "gifts_vnd": 0,
        "recovered_vnd": 2 * MONTHLY,  # August and September: the grant owed covers both
        "offset_vnd": 0,
        "paid_vnd": 2 * MONTHLY,
        "in_flight_vnd": 0,
        "corrected_vnd": 0,
        "returned_vnd": 0,
    }
    assert (body["owed_now_vnd"], body["receivable_vnd"]) == (9_250_000, 0)  # the grant less August, paid
    assert reconciled(body) == body["owed_now_vnd"]


def test_a_lower_injury_rate_decided_late_reconciles_through_the_receivable_and_its_offset(
    client, session, token_for, accrue_month, pay
):
    person, enrolment = enrol_person(session, "NCC_WAR_INVALID", date(2024, 7, 1), injury_rate=41)
    give_bank_account(session, person, "0071000777777", since=date(2024, 5, 1))
    for month in ("2024-07", "2024-08"):
        accrue_month(month)
    pay("2024-08", date(2024, 9, 5), Outcome("settle"))  # 2 x 3,667,000 at 41 %
    amend_enrolment(
        session, OFFICER, enrolment, {"parameters": {"injury_rate": 21}}, effective_date=date(2024, 7, 1)
    )
    session.commit()
    accrue_month("2024-09")  # 1,878,000 at 21 %; July and August each 1,789,000 too much
    after_september = explained(client, token_for, person, "2024-09", "2024-09")
    accrue_month("2024-10")

    body = explained(client, token_for, person, "2024-07", "2024-10")

    # September's 1,878,000 is taken back first; the other 1,700,000 was owed back, as a receivable
    assert (after_september["recovered_vnd"], after_september["receivable_vnd"]) == (1_878_000, 1_700_000)
    assert reconciled(after_september) == after_september["owed_now_vnd"] == 0
    # ... offset against October.
    assert {term: body[term] for term in TERMS} == {
        "accrued_vnd": 2 * 3_667_000 + 2 * 1_878_000,
        "arrears_vnd": 0,
        "gifts_vnd": 0,
        "recovered_vnd": 1_878_000,
        "offset_vnd": 1_700_000,
        "paid_vnd": 2 * 3_667_000,
        "in_flight_vnd": 0,
        "corrected_vnd": 0,
        "returned_vnd": 0,
    }
    assert (body["owed_now_vnd"], body["receivable_vnd"]) == (178_000, 0)
    assert reconciled(body) == body["owed_now_vnd"]


def test_a_reversed_accrual_and_its_accrual_again_reconcile_as_a_correction_and_arrears(
    client, session, token_for, accrue_month
):
    person, enrolment = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    for month in ("2024-08", "2024-09"):
        accrue_month(month)
    august = session.scalar(
        select(Entry.seq).where(Entry.idempotency_key == f"accrual:2024-08:{enrolment}:btxh.monthly")
    )
    reverse_entry(session, august, effective_date=date(2024, 9, 30), reason="correction", actor=OFFICER)
    session.commit()
    accrue_month("2024-10", recompute=(Period(2024, 8), Period(2024, 9)))  # August is accrued again

    body = explained(client, token_for, person, "2024-08", "2024-10")

    assert (body["accrued_vnd"], body["corrected_vnd"], body["arrears_vnd"]) == (
        3 * MONTHLY,
        -MONTHLY,
        MONTHLY,
    )
    assert body["owed_now_vnd"] == reconciled(body) == 3 * MONTHLY


@pytest.mark.parametrize(
    ("payout_key", "sent_on", "period"),
    [
        ("2507-00012345-01-BTXH", date(2025, 8, 5), "2025-07"),
        ("2601-00012345-01-NCC", date(2025, 12, 30), "2026-01"),  # built ahead of its month
        ("9912-00012345-02-BTXH", date(2100, 1, 10), "2099-12"),  # across a century
        ("0001-00012345-01-BTXH", date(2099, 12, 30), "2100-01"),
        ("not-a-payout-key", date(2025, 8, 5), None),
    ],
)
def test_a_payout_is_listed_under_the_month_its_key_names(payout_key, sent_on, period):
    assert payout_period(payout_key, sent_on) == period
