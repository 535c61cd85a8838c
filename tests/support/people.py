"""Registering people through the real registry services, for tests across features."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from itertools import count

from sqlalchemy.orm import Session

from payments.clock import fixed_clock
from payments.config import Settings
from payments.context import Actor
from payments.registry.citizen_id import make_citizen_id
from payments.registry.crypto import PiiCipher
from payments.registry.enrolments import enrol
from payments.registry.instruments import set_instrument
from payments.registry.services import register_beneficiary
from payments.registry.validation import Instrument, Person, Terms

OFFICER = Actor(username="officer.lan", role="officer")
OLD_COMMUNE = "22960"  # Phú Thủy, Bình Thuận (60): merged into Lâm Đồng from 2025-07-01
_serials: Iterator[int] = count(1)


def at(day: date):
    return fixed_clock(datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC))


def enrol_person(
    session: Session,
    category: str,
    decision: date,
    *,
    born: date = date(1950, 5, 1),
    name: str = "Nguyễn Thị Đào",
    **parameters: object,
) -> tuple[int, int]:
    """(beneficiary id, enrolment id) for a new person enrolled under a decision signed on `decision`."""
    serial = next(_serials)
    person = Person(
        citizen_id=make_citizen_id("060", born, "female", serial),
        full_name=name,
        date_of_birth=born,
        sex="female",
        commune_code=OLD_COMMUNE,
    )
    cipher = PiiCipher.from_settings(Settings(env="test"))
    beneficiary = register_beneficiary(session, OFFICER, cipher, person, clock=at(decision))
    programme = category.split("_", maxsplit=1)[0]
    terms = Terms(
        programme, category, f"QD-{serial}", decision, decision.replace(day=1), None, dict(parameters)
    )
    enrolment = enrol(session, OFFICER, beneficiary.id, terms, clock=at(decision))
    session.commit()
    return beneficiary.id, enrolment.id


def give_bank_account(
    session: Session, beneficiary_id: int, account: str, *, holder: str = "NGUYEN THI DAO", since: date
) -> None:
    """A Vietcombank account from `since` (the first instrument is not a 'change')."""
    cipher = PiiCipher.from_settings(Settings(env="test"))
    instrument = Instrument(kind="bank", bank_bin="970436", account_number=account, holder_name=holder)
    set_instrument(
        session, OFFICER, cipher, beneficiary_id, instrument, effective_from=since, clock=at(since)
    )
    session.commit()


def give_wallet(session: Session, beneficiary_id: int, phone: str, *, since: date) -> None:
    cipher = PiiCipher.from_settings(Settings(env="test"))
    instrument = Instrument(kind="ewallet", wallet_provider="VIETTEL_MONEY", wallet_phone=phone)
    set_instrument(
        session, OFFICER, cipher, beneficiary_id, instrument, effective_from=since, clock=at(since)
    )
    session.commit()


def give_cash(session: Session, beneficiary_id: int, *, since: date) -> None:
    """Cash at the post office of the person's commune from `since`."""
    cipher = PiiCipher.from_settings(Settings(env="test"))
    set_instrument(
        session,
        OFFICER,
        cipher,
        beneficiary_id,
        Instrument(kind="cash"),
        effective_from=since,
        clock=at(since),
    )
    session.commit()
