"""Registry tables: programmes, categories, administrative units, banks, beneficiaries,
enrolments with their versions, payment instruments, and the recipients of what is owed to
beneficiaries who have died.

Personal data (citizen ID, legacy ID, phone, account number) is stored only as ciphertext
(`*_ct`) with its key id (`*_key`) and a blind index (`*_bidx`); see crypto.py.
Version tables are append-only (database triggers refuse UPDATE and DELETE).
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from payments.db import Base, BigIntPK, UTCDateTime

ENROLMENT_STATUSES = ("active", "suspended", "terminated")
INSTRUMENT_KINDS = ("bank", "ewallet", "cash")
RECIPIENT_TYPES = ("person", "organisation")
IDENTITY_RESULTS = ("match", "no_match", "deceased")


class Programme(Base):
    __tablename__ = "programmes"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class Category(Base):
    """A category of a programme; `parameters` lists what an enrolment in it must carry:
    [{"name": "injury_rate", "type": "int", "min": 21, "max": 100}, ...]."""

    __tablename__ = "programme_categories"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    programme_code: Mapped[str] = mapped_column(String(8), ForeignKey("programmes.code"), index=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    parameters: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    unverified: Mapped[bool] = mapped_column(Boolean)


class Province(Base):
    __tablename__ = "provinces"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    successor_code: Mapped[str | None] = mapped_column(String(2), ForeignKey("provinces.code"))


class Commune(Base):
    __tablename__ = "communes"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    province_code: Mapped[str] = mapped_column(String(2), ForeignKey("provinces.code"), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    successor_code: Mapped[str | None] = mapped_column(String(5), ForeignKey("communes.code"))
    unverified: Mapped[bool] = mapped_column(Boolean)


class Bank(Base):
    __tablename__ = "banks"

    bin: Mapped[str] = mapped_column(String(6), primary_key=True)
    short_name: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean)
    unverified: Mapped[bool] = mapped_column(Boolean)


class WalletProvider(Base):
    __tablename__ = "wallet_providers"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean)


class Beneficiary(Base):
    """A person, as currently known. Each change also appends a BeneficiaryVersion."""

    __tablename__ = "beneficiaries"
    __table_args__ = (
        CheckConstraint("sex IN ('male', 'female')", name="known_sex"),
        CheckConstraint(
            "identity_status IS NULL OR identity_status IN ('match', 'no_match', 'deceased')",
            name="known_identity_status",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    citizen_id_ct: Mapped[bytes] = mapped_column(LargeBinary)
    citizen_id_key: Mapped[str] = mapped_column(String(32))
    citizen_id_bidx: Mapped[str] = mapped_column(String(64), unique=True)
    legacy_id_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    legacy_id_key: Mapped[str | None] = mapped_column(String(32))
    legacy_id_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    search_name: Mapped[str] = mapped_column(String(200), index=True)
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(6))
    commune_code: Mapped[str] = mapped_column(String(5), ForeignKey("communes.code"), index=True)
    phone_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_key: Mapped[str | None] = mapped_column(String(32))
    phone_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    death_date: Mapped[date | None] = mapped_column(Date)
    identity_status: Mapped[str | None] = mapped_column(String(10))
    identity_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def life_status(self) -> str:
        return "deceased" if self.death_date is not None else "alive"


class BeneficiaryVersion(Base):
    """What was recorded about a person at each change. Append-only.

    Personal data appears only as blind indexes: the ciphertexts live on the beneficiary,
    where key rotation can re-encrypt them."""

    __tablename__ = "beneficiary_versions"
    __table_args__ = (UniqueConstraint("beneficiary_id", "version"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("beneficiaries.id"))
    version: Mapped[int] = mapped_column(Integer)
    effective_date: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(64))
    change: Mapped[str] = mapped_column(String(30))
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(6))
    commune_code: Mapped[str] = mapped_column(String(5), ForeignKey("communes.code"))
    phone_bidx: Mapped[str | None] = mapped_column(String(64))
    legacy_id_bidx: Mapped[str | None] = mapped_column(String(64))
    death_date: Mapped[date | None] = mapped_column(Date)


class Enrolment(Base):
    """A person's enrolment in a programme. Its terms live in EnrolmentVersion rows; the
    current category and status are copied here so that searches need no join on history."""

    __tablename__ = "enrolments"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended', 'terminated')", name="known_status"),
        Index("ix_enrolments_programme_status", "programme_code", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("beneficiaries.id"), index=True)
    programme_code: Mapped[str] = mapped_column(String(8), ForeignKey("programmes.code"))
    category_code: Mapped[str] = mapped_column(
        String(60), ForeignKey("programme_categories.code"), index=True
    )
    status: Mapped[str] = mapped_column(String(12))
    current_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EnrolmentVersion(Base):
    """The terms of an enrolment from `effective_date`, as recorded at `recorded_at`. Append-only."""

    __tablename__ = "enrolment_versions"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "version"),
        CheckConstraint("status IN ('active', 'suspended', 'terminated')", name="known_status"),
        CheckConstraint("end_month IS NULL OR end_month >= start_month", name="months_in_order"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("enrolments.id"))
    version: Mapped[int] = mapped_column(Integer)
    effective_date: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(64))
    change: Mapped[str] = mapped_column(String(30))
    category_code: Mapped[str] = mapped_column(String(60), ForeignKey("programme_categories.code"))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision_number: Mapped[str] = mapped_column(String(60))
    decision_date: Mapped[date] = mapped_column(Date)
    start_month: Mapped[date] = mapped_column(Date)  # always the first day of the month
    end_month: Mapped[date | None] = mapped_column(Date)  # first day of the last month paid
    status: Mapped[str] = mapped_column(String(12))
    status_reason: Mapped[str | None] = mapped_column(String(300))


class PaymentInstrument(Base):
    """How a person is paid from `effective_from` until `effective_to` (exclusive; None while
    current). A person has at most one open instrument (a partial unique index)."""

    __tablename__ = "payment_instruments"
    __table_args__ = (
        CheckConstraint("kind IN ('bank', 'ewallet', 'cash')", name="known_kind"),
        CheckConstraint(
            "(kind = 'bank' AND bank_bin IS NOT NULL AND account_ct IS NOT NULL AND holder_name IS NOT NULL)"
            " OR (kind = 'ewallet' AND wallet_provider IS NOT NULL AND account_ct IS NOT NULL)"
            " OR (kind = 'cash' AND account_ct IS NULL)",
            name="fields_for_kind",
        ),
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="dates_in_order"),
        Index(
            "ix_payment_instruments_one_open",
            "beneficiary_id",
            unique=True,
            sqlite_where=text("effective_to IS NULL"),
            postgresql_where=text("effective_to IS NULL"),
        ),
        Index("ix_payment_instruments_beneficiary_dates", "beneficiary_id", "effective_from"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("beneficiaries.id"))
    kind: Mapped[str] = mapped_column(String(8))
    bank_bin: Mapped[str | None] = mapped_column(String(6), ForeignKey("banks.bin"))
    wallet_provider: Mapped[str | None] = mapped_column(String(20), ForeignKey("wallet_providers.code"))
    account_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    account_key: Mapped[str | None] = mapped_column(String(32))
    account_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    holder_name: Mapped[str | None] = mapped_column(String(200))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(64))


class DeathRecipient(Base):
    """Who receives what is still owed to a deceased beneficiary (the funeral grant, months still
    due) and into which instrument: the family member or organisation that arranged the funeral
    (Decree 20/2021 art. 11), as named by the decision `decision_reference`.

    Append-only: a correction is a new row superseding the one in force (`supersedes_id`), which
    the database keeps a single line per person (one first row, each row superseded at most
    once), so the latest row is the one in force. The citizen ID (a person only) and the account
    are sealed like a beneficiary's and an instrument's, under the same field names, so their
    blind indexes compare with the registry's; key rotation may re-seal them, nothing else changes.
    """

    __tablename__ = "death_recipients"
    __table_args__ = (
        CheckConstraint("recipient_type IN ('person', 'organisation')", name="known_recipient_type"),
        CheckConstraint(
            "(recipient_type = 'person' AND citizen_id_ct IS NOT NULL)"
            " OR (recipient_type = 'organisation' AND citizen_id_ct IS NULL)",
            name="citizen_id_for_a_person",
        ),
        CheckConstraint("kind IN ('bank', 'ewallet', 'cash')", name="known_kind"),
        CheckConstraint(
            "(kind = 'bank' AND bank_bin IS NOT NULL AND account_ct IS NOT NULL AND holder_name IS NOT NULL)"
            " OR (kind = 'ewallet' AND wallet_provider IS NOT NULL AND account_ct IS NOT NULL)"
            " OR (kind = 'cash' AND account_ct IS NULL AND recipient_type = 'person')",
            name="fields_for_kind",
        ),
        UniqueConstraint("supersedes_id"),
        Index(
            "ix_death_recipients_one_first",
            "beneficiary_id",
            unique=True,
            sqlite_where=text("supersedes_id IS NULL"),
            postgresql_where=text("supersedes_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("beneficiaries.id"), index=True)
    supersedes_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("death_recipients.id"))
    recipient_type: Mapped[str] = mapped_column(String(12))
    full_name: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[str] = mapped_column(String(60))
    citizen_id_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    citizen_id_key: Mapped[str | None] = mapped_column(String(32))
    citizen_id_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    bank_bin: Mapped[str | None] = mapped_column(String(6), ForeignKey("banks.bin"))
    wallet_provider: Mapped[str | None] = mapped_column(String(20), ForeignKey("wallet_providers.code"))
    account_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    account_key: Mapped[str | None] = mapped_column(String(32))
    account_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    holder_name: Mapped[str | None] = mapped_column(String(200))
    decision_reference: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(64))
