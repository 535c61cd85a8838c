"""What is owed to someone who has died (the funeral grant and the month of death) is paid to
the recipient an officer records, into the recipient's instrument; without one, the person is
held with what to do. From the audit's reproduction (/tmp/audit_a/funeral.py), on SQLite and
PostgreSQL: a person dies on 2024-09-03, the October accrual posts the grant."""

import logging
from datetime import date

import pytest

from payments.adapters.bank_api.simulator import BankSimulator
from payments.adapters.creditors import BankAccount
from payments.adapters.sandbox.script import Outcome
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.building import build_batches
from payments.disbursements.repository import holds_for, payouts_in
from payments.disbursements.routing import Routing
from payments.disbursements.snapshots import open_snapshot
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.registry.citizen_id import make_citizen_id
from payments.registry.crypto import mask
from payments.registry.instruments import set_instrument
from payments.registry.recipients import Recipient, record_recipient
from payments.registry.services import current_person, get_beneficiary, record_death
from payments.registry.validation import Instrument
from tests.integration.adapters.support import bank_adapter
from tests.integration.disbursements.conftest import APPROVER, OFFICER, SECOND_APPROVER, THRESHOLD
from tests.support.people import at, enrol_person, give_bank_account

GRANT = 10_000_000  # 20 x the 500,000 standard level
SEPTEMBER = 750_000  # 1.5 x 500,000: the month of death is still due
SON_CITIZEN_ID = make_citizen_id("060", date(1975, 3, 1), "male", 4242)
SON_ACCOUNT = "0071009999"
BUILT_ON = date(2024, 11, 5)


def son(account: str = SON_ACCOUNT, holder: str = "TRAN VAN BINH", **changes) -> Recipient:
    values = {
        "recipient_type": "person",
        "full_name": "Trần Văn Bình",
        "relationship": "con",
        "decision_reference": "45/QĐ-UBND ngày 2024-10-08",
        "citizen_id": SON_CITIZEN_ID,
        "instrument": Instrument(kind="bank", bank_bin="970436", account_number=account, holder_name=holder),
    }
    return Recipient(**(values | changes))


@pytest.fixture
def dead_with_grant(session, session_factory):
    """A person enrolled from September 2024, paid into her own account, who dies on
    2024-09-03: September and the funeral grant are accrued, nothing paid yet."""
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 9, 1))
    give_bank_account(session, person, "0071000000001", since=date(2024, 9, 1))
    rates = load_rate_set(session, "68")
    accrue(session_factory, Period(2024, 9), rates, actor=OFFICER)
    record_death(session, OFFICER, person, date(2024, 9, 3), clock=at(date(2024, 9, 20)))
    session.commit()
    accrue(session_factory, Period(2024, 10), rates, actor=OFFICER)
    return person


def record(session, cipher, person, recipient: Recipient, on: date = date(2024, 10, 10)):
    row = record_recipient(session, OFFICER, cipher, person, recipient, clock=at(on))
    session.commit()
    return row


def build_november(build):
    return build("2024-11", on=BUILT_ON)


def test_the_grant_and_the_month_of_death_are_paid_to_the_recorded_recipient(
    session, cipher, dead_with_grant, build
):
    recipient = record(session, cipher, dead_with_grant, son())

    (batch,) = build_november(build).batches

    (payout,) = payouts_in(session, batch.id)
    assert (payout.beneficiary_id, payout.amount_vnd) == (dead_with_grant, GRANT + SEPTEMBER)
    assert payout.beneficiary_name == "Trần Văn Bình"  # what the provider is told it credits
    assert open_snapshot(cipher, payout) == {
        "kind": "bank",
        "bin": "970436",
        "account": SON_ACCOUNT,
        "holder_name": "TRAN VAN BINH",
        "recipient": {
            "id": recipient.id,
            "name": "Trần Văn Bình",
            "relationship": "con",
            "decision_reference": "45/QĐ-UBND ngày 2024-10-08",
        },
    }
    assert payout.instrument_masked["account"] == "*******999"
    assert payout.instrument_masked["recipient"]["name"] == "Trần Văn Bình"
    assert holds_for(session, "2024-11") == []


def test_without_a_recipient_the_person_is_held_with_what_to_do(session, dead_with_grant, build):
    result = build_november(build)

    assert result.batches == []
    (hold,) = holds_for(session, "2024-11")
    assert (hold.beneficiary_id, hold.amount_vnd) == (dead_with_grant, GRANT + SEPTEMBER)
    assert [r["code"] for r in hold.reasons] == ["deceased"]
    assert hold.reasons[0]["detail"].startswith(
        "death recorded (2024-09-03): record the recipient of what is owed (funeral grant,"
    )


def test_the_payout_goes_to_the_recipients_account_when_dispatched(
    session, cipher, dead_with_grant, build, dispatcher, sandbox
):
    record(session, cipher, dead_with_grant, son())
    sandbox.script_creditor(SON_ACCOUNT, Outcome("accept"))  # only the son's account answers so
    (batch,) = build_november(build).batches
    submit_batch(session, OFFICER, batch.id)
    for approver in (APPROVER, SECOND_APPROVER):  # 10,750,000 is above the threshold: two of them
        approve_batch(session, approver, batch.id, manifest_seen=batch.manifest_hash, comment="ok",
                      threshold_vnd=THRESHOLD)  # fmt: skip
    session.commit()

    dispatcher().dispatch(batch.id)

    session.expire_all()
    assert [p.state for p in payouts_in(session, batch.id)] == ["accepted"]


def test_a_cash_pickup_is_handed_over_against_the_recipients_own_citizen_id(
    session, cipher, dead_with_grant, sandbox, build
):
    record(session, cipher, dead_with_grant, son(instrument=Instrument(kind="cash")))
    cash_routing = Routing(bank="bank", ewallet="bank", cash="bank", adapters={"bank": sandbox})
    (batch,) = build_batches(
        session, "2024-11", cash_routing, cipher, actor=OFFICER, hold_days=30, on_date=BUILT_ON
    ).batches

    (payout,) = payouts_in(session, batch.id)
    snapshot = open_snapshot(cipher, payout)
    assert (snapshot["kind"], snapshot["citizen_id"], snapshot["holder_name"]) == (
        "cash",
        SON_CITIZEN_ID,
        "Trần Văn Bình",
    )
    assert payout.instrument_masked["citizen_id"] == "*********" + SON_CITIZEN_ID[-3:]


def test_the_provider_name_check_compares_with_the_recipients_name(
    session, cipher, dead_with_grant, sandbox, build
):
    record(session, cipher, dead_with_grant, son())
    son_account = BankAccount(bin="970436", account_number=SON_ACCOUNT, holder_name="")
    sandbox.add_holder(son_account, "NGUYEN THI DAO")  # the bank names the one who died

    build_november(build)

    (hold,) = holds_for(session, "2024-11")
    assert hold.reasons == [
        {"code": "provider_name_mismatch", "detail": "the provider reports 'NGUYEN THI DAO'"}
    ]


def test_a_holder_name_that_is_not_the_recipients_is_held(session, cipher, dead_with_grant, build):
    record(session, cipher, dead_with_grant, son(holder="NGUYEN THI DAO"))

    build_november(build)

    (hold,) = holds_for(session, "2024-11")
    assert hold.reasons == [
        {"code": "holder_name_mismatch", "detail": "holder 'NGUYEN THI DAO' is not 'Trần Văn Bình'"}
    ]


def test_a_corrected_account_is_held_as_a_recent_change(session, cipher, dead_with_grant, build):
    record(session, cipher, dead_with_grant, son())
    record(session, cipher, dead_with_grant, son(account="0071008888"), on=date(2024, 11, 1))

    build_november(build)

    (hold,) = holds_for(session, "2024-11")
    assert hold.reasons == [
        {"code": "instrument_changed", "detail": "the recipient's payment instrument changed on 2024-11-01"}
    ]


def test_cash_handed_to_another_person_is_held_as_a_recent_change(session, cipher, dead_with_grant, sandbox):
    record(session, cipher, dead_with_grant, son(instrument=Instrument(kind="cash")))
    nephew = make_citizen_id("060", date(1980, 1, 1), "male", 777)
    corrected = son(
        full_name="Lê Văn Lạ", citizen_id=nephew, relationship="cháu", instrument=Instrument(kind="cash")
    )
    record(session, cipher, dead_with_grant, corrected, on=date(2024, 11, 1))
    cash_routing = Routing(bank="bank", ewallet="bank", cash="bank", adapters={"bank": sandbox})

    built = build_batches(
        session, "2024-11", cash_routing, cipher, actor=OFFICER, hold_days=30, on_date=BUILT_ON
    )

    assert built.batches == []
    assert built.holds[0].reasons == [
        {"code": "instrument_changed", "detail": "the recipient's payment instrument changed on 2024-11-01"}
    ]


def test_a_recipients_account_another_beneficiary_is_paid_into_is_held_as_shared(
    session, cipher, dead_with_grant, build
):
    stranger, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 9, 1), name="Lê Văn Khá")
    give_bank_account(session, stranger, SON_ACCOUNT, holder="LE VAN KHA", since=date(2024, 9, 1))
    record(session, cipher, dead_with_grant, son())

    build_november(build)

    (hold,) = holds_for(session, "2024-11")
    assert hold.reasons == [
        {
            "code": "shared_account",
            "detail": "the recipient's account is also used by 1 other beneficiaries or recipients",
        }
    ]


def test_a_widow_paid_into_her_own_account_shares_it_with_nobody(session, cipher, dead_with_grant, build):
    widow, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 11, 1), name="Trần Thị Lành")
    widow_account = "0071007777"
    give_bank_account(session, widow, widow_account, holder="TRAN THI LANH", since=date(2024, 11, 1))
    widow_citizen_id = _citizen_id_of(session, cipher, widow)
    as_recipient = son(
        full_name="Trần Thị Lành", relationship="vợ/chồng", citizen_id=widow_citizen_id,
        account=widow_account, holder="TRAN THI LANH",
    )  # fmt: skip
    record(session, cipher, dead_with_grant, as_recipient)

    (batch,) = build_november(build).batches

    assert [p.amount_vnd for p in payouts_in(session, batch.id)] == [GRANT + SEPTEMBER]
    assert holds_for(session, "2024-11") == []


def test_the_same_son_paid_for_both_parents_shares_his_account_with_nobody(
    session, cipher, dead_with_grant, build, session_factory
):
    father, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 9, 1), name="Trần Văn Lực")
    record_death(session, OFFICER, father, date(2024, 9, 5), clock=at(date(2024, 9, 20)))
    session.commit()
    accrue(session_factory, Period(2024, 10), load_rate_set(session, "68"), actor=OFFICER)
    record(session, cipher, dead_with_grant, son())
    record(session, cipher, father, son(decision_reference="46/QĐ-UBND"))

    (batch,) = build_november(build).batches

    assert sorted(p.beneficiary_id for p in payouts_in(session, batch.id)) == [dead_with_grant, father]
    assert holds_for(session, "2024-11") == []


def test_the_dead_persons_own_account_is_no_longer_paid_once_a_recipient_is_recorded(
    session, cipher, dead_with_grant, build
):
    # Her own instrument is still in force (nobody closes it on a death), and later changed.
    set_instrument(session, OFFICER, cipher, dead_with_grant,
                   Instrument(kind="bank", bank_bin="970436", account_number="0071000000002",
                              holder_name="NGUYEN THI DAO"),
                   effective_from=date(2024, 11, 1), clock=at(date(2024, 11, 1)))  # fmt: skip
    record(session, cipher, dead_with_grant, son())

    (batch,) = build_november(build).batches

    (payout,) = payouts_in(session, batch.id)
    assert open_snapshot(cipher, payout)["account"] == SON_ACCOUNT
    assert payout.instrument_id < 0  # the recipient record, never one of her instruments


def _citizen_id_of(session, cipher, beneficiary_id: int) -> str:
    return current_person(get_beneficiary(session, beneficiary_id), cipher).citizen_id


def test_the_recipients_account_reaches_the_logs_masked_only(session, cipher, dead_with_grant, caplog):
    record(session, cipher, dead_with_grant, son())
    caplog.set_level(logging.DEBUG)
    with BankSimulator() as bank:
        bank.add_account("970436", SON_ACCOUNT, "TRAN VAN BINH")
        adapter = bank_adapter(bank)  # a real bank API over loopback: it logs its name inquiries
        routing = Routing(bank=adapter.name, ewallet=adapter.name, adapters={adapter.name: adapter})
        result = build_batches(
            session, "2024-11", routing, cipher, actor=OFFICER, hold_days=30, on_date=BUILT_ON
        )

    assert [b.payout_count for b in result.batches] == [1]  # the bank named the son: paid
    lines = [entry.getMessage() for entry in caplog.records]
    assert any(mask(SON_ACCOUNT) in line for line in lines)
    for line in lines:
        assert SON_ACCOUNT not in line
        assert SON_CITIZEN_ID not in line
