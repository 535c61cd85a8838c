"""Recording who receives what is owed to a beneficiary who has died: only for the dead,
validated like the registry's identifiers and instruments, sealed at rest, history kept by the
database, re-sealed by key rotation. On SQLite and PostgreSQL."""

import json
from datetime import date

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from payments.audit.model import AuditEvent
from payments.config import PiiKey, Settings
from payments.context import Actor
from payments.errors import InvalidInput, NotFound, RuleViolation
from payments.registry import repository
from payments.registry.crypto import PiiCipher
from payments.registry.instruments import payout_holds
from payments.registry.model import DeathRecipient
from payments.registry.recipients import Recipient, record_recipient
from payments.registry.rotation import rotate_keys, rows_to_rotate
from payments.registry.services import record_death, register_beneficiary
from payments.registry.validation import Instrument
from tests.integration.registry.conftest import bank, person

SON_CITIZEN_ID = "060075004242"  # born 1975, male, registered in Bình Thuận
SON_ACCOUNT = "0071009999"
OPS = Actor(username="cli:ops", role="system")


def son(**changes) -> Recipient:
    values = {
        "recipient_type": "person",
        "full_name": "  Trần   Văn Bình ",
        "relationship": "con",
        "decision_reference": "45/QĐ-UBND",
        "citizen_id": SON_CITIZEN_ID,
        "instrument": bank(SON_ACCOUNT, "TRAN VAN BINH"),
    }
    return Recipient(**(values | changes))


def pagoda(**changes) -> Recipient:
    values = {
        "recipient_type": "organisation",
        "full_name": "Chùa Phước Lâm 2",
        "relationship": "tổ chức mai táng",
        "decision_reference": "46/QĐ-UBND",
        "instrument": bank("0071005555", "CHUA PHUOC LAM 2"),
    }
    return Recipient(**(values | changes))


@pytest.fixture
def living(session, officer, cipher, clock):
    beneficiary = register_beneficiary(session, officer, cipher, person(), clock=clock)
    session.flush()
    return beneficiary.id


@pytest.fixture
def dead(session, officer, living, clock):
    record_death(session, officer, living, date(2025, 9, 3), clock=clock)
    return living


def test_a_recipient_is_recorded_for_a_dead_person_sealed_and_audited_masked(
    session, officer, cipher, clock, dead
):
    row = record_recipient(session, officer, cipher, dead, son(), clock=clock)

    assert (row.full_name, row.relationship, row.recipient_type, row.supersedes_id) == (
        "Trần Văn Bình", "con", "person", None,
    )  # fmt: skip
    assert cipher.open("citizen_id", row.citizen_id_ct, row.citizen_id_key) == SON_CITIZEN_ID
    assert cipher.open("account", row.account_ct, row.account_key) == SON_ACCOUNT
    assert row.citizen_id_bidx == cipher.index("citizen_id", SON_CITIZEN_ID)
    assert SON_CITIZEN_ID.encode() not in row.citizen_id_ct
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "death_recipient.record")).one()
    logged = json.dumps(event.summary, ensure_ascii=False)
    assert (event.target_id, event.actor) == (str(dead), officer.username)
    assert event.summary["after"]["citizen_id"] == "*********242"
    assert event.summary["after"]["account"] == "*******999"
    assert SON_CITIZEN_ID not in logged
    assert SON_ACCOUNT not in logged


def test_a_recipient_for_a_living_person_is_refused_and_nothing_is_written(
    session, officer, cipher, clock, living
):
    with pytest.raises(RuleViolation, match="no death recorded"):
        record_recipient(session, officer, cipher, living, son(), clock=clock)
    assert repository.recipient_history(session, living) == []


def test_an_unknown_beneficiary_is_not_found(session, officer, cipher, clock):
    with pytest.raises(NotFound):
        record_recipient(session, officer, cipher, 999_999, son(), clock=clock)


def test_every_problem_is_reported_by_field_with_the_instrument_rules_of_the_registry(
    session, officer, cipher, clock, dead
):
    wrong = son(
        citizen_id="999175004242",
        relationship=" ",
        instrument=Instrument(kind="bank", bank_bin="123456", account_number="12", holder_name=""),
    )
    with pytest.raises(InvalidInput) as refused:
        record_recipient(session, officer, cipher, dead, wrong, clock=clock)
    problems = {p["column"]: p["message"] for p in refused.value.extra["problems"]}
    assert problems == {
        "citizen_id": "999 is not a province-of-birth code (001 to 096)",
        "relationship": "relationship is 1 to 60 characters",
        "bank_bin": "'123456' is not a BIN in the bank list",
        "account_number": "an account number is 6 to 19 digits",
        "holder_name": "a bank account needs the holder's name",
    }


@pytest.mark.parametrize(
    ("recipient", "column"),
    [
        (son(citizen_id=None), "citizen_id"),
        (pagoda(citizen_id=SON_CITIZEN_ID), "citizen_id"),
        (pagoda(instrument=Instrument(kind="cash")), "kind"),
        (son(recipient_type="family"), "recipient_type"),
        (
            son(instrument=Instrument(kind="ewallet", wallet_provider="VIETTEL_MONEY", wallet_phone="12")),
            "wallet_phone",
        ),
    ],
)
def test_who_the_recipient_is_decides_what_they_must_carry(
    session, officer, cipher, clock, dead, recipient, column
):
    with pytest.raises(InvalidInput) as refused:
        record_recipient(session, officer, cipher, dead, recipient, clock=clock)
    assert [p["column"] for p in refused.value.extra["problems"]] == [column]


def test_an_organisation_is_paid_into_its_account_without_a_citizen_id(session, officer, cipher, clock, dead):
    row = record_recipient(session, officer, cipher, dead, pagoda(), clock=clock)
    assert (row.recipient_type, row.citizen_id_ct, row.full_name) == (
        "organisation",
        None,
        "Chùa Phước Lâm 2",
    )


def test_the_person_who_died_cannot_be_their_own_recipient(session, officer, cipher, clock, dead):
    with pytest.raises(RuleViolation, match="cannot be the person who died"):
        record_recipient(session, officer, cipher, dead, son(citizen_id=person().citizen_id), clock=clock)


def test_a_correction_supersedes_and_the_same_details_again_change_nothing(
    session, officer, cipher, clock, dead
):
    first = record_recipient(session, officer, cipher, dead, son(), clock=clock)
    again = record_recipient(session, officer, cipher, dead, son(), clock=clock)
    corrected = record_recipient(
        session, officer, cipher, dead, son(instrument=bank("0071008888", "TRAN VAN BINH")), clock=clock
    )

    assert again.id == first.id
    assert corrected.supersedes_id == first.id
    assert [r.id for r in repository.recipient_history(session, dead)] == [first.id, corrected.id]
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action == "death_recipient.record"))
    assert len(list(actions)) == 2


def test_the_database_keeps_one_line_of_history_per_person(session, officer, cipher, clock, dead):
    first = record_recipient(session, officer, cipher, dead, son(), clock=clock)
    columns = {c.key: getattr(first, c.key) for c in DeathRecipient.__table__.columns if c.key != "id"}
    second_first_record = [columns]
    two_corrections_of_the_first = [columns | {"supersedes_id": first.id}] * 2
    for rows in (second_first_record, two_corrections_of_the_first):
        with pytest.raises(IntegrityError):
            _in_a_savepoint(session, lambda rows=rows: session.add_all([DeathRecipient(**v) for v in rows]))


def test_the_history_refuses_edits_and_deletes_but_lets_keys_be_rotated(
    session, officer, cipher, clock, dead
):
    row = record_recipient(session, officer, cipher, dead, son(), clock=clock)
    session.commit()
    table = DeathRecipient.__table__
    for statement in (
        update(table).where(table.c.id == row.id).values(full_name="Người Khác"),
        update(table).where(table.c.id == row.id).values(account_bidx="forged"),
        delete(table).where(table.c.id == row.id),
    ):
        with pytest.raises(DBAPIError, match="refused"):
            _in_a_savepoint(session, lambda statement=statement: session.execute(statement))
    resealed = cipher.seal("account", SON_ACCOUNT)
    session.execute(
        update(table)
        .where(table.c.id == row.id)
        .values(account_ct=resealed.ciphertext, account_key=resealed.key_id)
    )


def test_key_rotation_re_seals_the_recipients_citizen_id_and_account(
    session, session_factory, officer, cipher, clock, dead
):
    record_recipient(session, officer, cipher, dead, son(), clock=clock)
    record_recipient(session, officer, cipher, dead, pagoda(), clock=clock)
    session.commit()
    development = Settings.from_env({})
    ring = PiiCipher((PiiKey("new1", b"\x07" * 32), *development.pii_keys), development.pii_index_key)

    rotate_keys(session_factory, OPS, ring, chunk=1)

    session.expire_all()
    rows = repository.recipient_history(session, dead)
    assert [(r.citizen_id_key, r.account_key) for r in rows] == [("new1", "new1"), (None, "new1")]
    assert ring.open("citizen_id", rows[0].citizen_id_ct, "new1") == SON_CITIZEN_ID
    assert ring.open("account", rows[0].account_ct, "new1") == SON_ACCOUNT
    assert rows_to_rotate(session, ring) == 0


def test_a_death_without_a_recipient_holds_with_what_to_do_and_a_recipient_releases_it(
    session, officer, cipher, clock, dead
):
    deceased, no_instrument = payout_holds(session, dead, date(2025, 10, 5), hold_days=30)
    assert (deceased.code, no_instrument.code) == ("deceased", "no_instrument")
    assert "record the recipient of what is owed (funeral grant, months still due)" in deceased.detail

    record_recipient(session, officer, cipher, dead, son(), clock=clock)

    assert payout_holds(session, dead, date(2025, 10, 5), hold_days=30) == []


def test_an_identity_check_reporting_a_death_asks_for_the_death_first(
    session, officer, cipher, clock, living
):
    session.execute(
        text("UPDATE beneficiaries SET identity_status = 'deceased' WHERE id = :id"), {"id": living}
    )
    with pytest.raises(RuleViolation, match="record it first"):
        record_recipient(session, officer, cipher, living, son(), clock=clock)
    deceased, _no_instrument = payout_holds(session, living, date(2025, 10, 5), hold_days=30)
    assert deceased.detail.startswith("the identity check reports a death: record the death")


def _in_a_savepoint(session, write) -> None:
    """Run `write` and flush it in a savepoint, so that a refusal leaves the test's transaction."""
    with session.begin_nested():
        write()
        session.flush()
