"""create the beneficiary registry

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Programmes, categories, administrative units (with the 60/67 -> 68 successor map), banks,
e-wallet providers, beneficiaries (personal data as ciphertext + blind index), append-only
version tables, payment instruments. Reference data is seeded from payments/registry/data.
"""

import sqlalchemy as sa
from alembic import op

from payments.db import UTCDateTime
from payments.guards import drop_append_only, make_append_only
from payments.registry import seed

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY = ("beneficiary_versions", "enrolment_versions")


def _pii(name: str, *, nullable: bool = True) -> list[sa.Column]:
    return [
        sa.Column(f"{name}_ct", sa.LargeBinary(), nullable=nullable),
        sa.Column(f"{name}_key", sa.String(32), nullable=nullable),
        sa.Column(f"{name}_bidx", sa.String(64), nullable=nullable),
    ]


def _reference_tables() -> None:
    op.create_table(
        "programmes",
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("name_vi", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_programmes")),
    )
    op.create_table(
        "programme_categories",
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("programme_code", sa.String(8), nullable=False),
        sa.Column("name_vi", sa.String(300), nullable=False),
        sa.Column("name_en", sa.String(300), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("unverified", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_code"],
            ["programmes.code"],
            name=op.f("fk_programme_categories_programme_code_programmes"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_programme_categories")),
    )
    op.create_index(
        op.f("ix_programme_categories_programme_code"), "programme_categories", ["programme_code"]
    )
    op.create_table(
        "provinces",
        sa.Column("code", sa.String(2), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("successor_code", sa.String(2), nullable=True),
        sa.ForeignKeyConstraint(
            ["successor_code"], ["provinces.code"], name=op.f("fk_provinces_successor_code_provinces")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_provinces")),
    )
    op.create_table(
        "communes",
        sa.Column("code", sa.String(5), nullable=False),
        sa.Column("name", sa.String(150), nullable=False),
        sa.Column("province_code", sa.String(2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("successor_code", sa.String(5), nullable=True),
        sa.Column("unverified", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["province_code"], ["provinces.code"], name=op.f("fk_communes_province_code_provinces")
        ),
        sa.ForeignKeyConstraint(
            ["successor_code"], ["communes.code"], name=op.f("fk_communes_successor_code_communes")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_communes")),
    )
    op.create_index(op.f("ix_communes_province_code"), "communes", ["province_code"])
    op.create_table(
        "banks",
        sa.Column("bin", sa.String(6), nullable=False),
        sa.Column("short_name", sa.String(60), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("unverified", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("bin", name=op.f("pk_banks")),
    )
    op.create_table(
        "wallet_providers",
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_wallet_providers")),
    )


def _people_tables() -> None:
    op.create_table(
        "beneficiaries",
        sa.Column("id", BigIntPK, nullable=False),
        *_pii("citizen_id", nullable=False),
        *_pii("legacy_id"),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("search_name", sa.String(200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(6), nullable=False),
        sa.Column("commune_code", sa.String(5), nullable=False),
        *_pii("phone"),
        sa.Column("death_date", sa.Date(), nullable=True),
        sa.Column("identity_status", sa.String(10), nullable=True),
        sa.Column("identity_checked_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("sex IN ('male', 'female')", name=op.f("ck_beneficiaries_known_sex")),
        sa.CheckConstraint(
            "identity_status IS NULL OR identity_status IN ('match', 'no_match', 'deceased')",
            name=op.f("ck_beneficiaries_known_identity_status"),
        ),
        sa.ForeignKeyConstraint(
            ["commune_code"], ["communes.code"], name=op.f("fk_beneficiaries_commune_code_communes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_beneficiaries")),
        sa.UniqueConstraint("citizen_id_bidx", name=op.f("uq_beneficiaries_citizen_id_bidx")),
    )
    op.create_index(op.f("ix_beneficiaries_legacy_id_bidx"), "beneficiaries", ["legacy_id_bidx"])
    op.create_index(op.f("ix_beneficiaries_search_name"), "beneficiaries", ["search_name"])
    op.create_index(op.f("ix_beneficiaries_commune_code"), "beneficiaries", ["commune_code"])
    op.create_index(op.f("ix_beneficiaries_phone_bidx"), "beneficiaries", ["phone_bidx"])
    op.create_table(
        "beneficiary_versions",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("beneficiary_id", BigIntPK, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("change", sa.String(30), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(6), nullable=False),
        sa.Column("commune_code", sa.String(5), nullable=False),
        sa.Column("phone_bidx", sa.String(64), nullable=True),
        sa.Column("legacy_id_bidx", sa.String(64), nullable=True),
        sa.Column("death_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiaries.id"],
            name=op.f("fk_beneficiary_versions_beneficiary_id_beneficiaries"),
        ),
        sa.ForeignKeyConstraint(
            ["commune_code"], ["communes.code"], name=op.f("fk_beneficiary_versions_commune_code_communes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_beneficiary_versions")),
        sa.UniqueConstraint(
            "beneficiary_id", "version", name=op.f("uq_beneficiary_versions_beneficiary_id_version")
        ),
    )


def _enrolment_tables() -> None:
    status_check = "status IN ('active', 'suspended', 'terminated')"
    op.create_table(
        "enrolments",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("beneficiary_id", BigIntPK, nullable=False),
        sa.Column("programme_code", sa.String(8), nullable=False),
        sa.Column("category_code", sa.String(60), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(status_check, name=op.f("ck_enrolments_known_status")),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"], ["beneficiaries.id"], name=op.f("fk_enrolments_beneficiary_id_beneficiaries")
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["programme_categories.code"],
            name=op.f("fk_enrolments_category_code_programme_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_code"], ["programmes.code"], name=op.f("fk_enrolments_programme_code_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
    )
    op.create_index(op.f("ix_enrolments_beneficiary_id"), "enrolments", ["beneficiary_id"])
    op.create_index(op.f("ix_enrolments_category_code"), "enrolments", ["category_code"])
    op.create_index("ix_enrolments_programme_status", "enrolments", ["programme_code", "status"])
    op.create_table(
        "enrolment_versions",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("enrolment_id", BigIntPK, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("change", sa.String(30), nullable=False),
        sa.Column("category_code", sa.String(60), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("decision_number", sa.String(60), nullable=False),
        sa.Column("decision_date", sa.Date(), nullable=False),
        sa.Column("start_month", sa.Date(), nullable=False),
        sa.Column("end_month", sa.Date(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("status_reason", sa.String(300), nullable=True),
        sa.CheckConstraint(status_check, name=op.f("ck_enrolment_versions_known_status")),
        sa.CheckConstraint(
            "end_month IS NULL OR end_month >= start_month",
            name=op.f("ck_enrolment_versions_months_in_order"),
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["programme_categories.code"],
            name=op.f("fk_enrolment_versions_category_code_programme_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"], ["enrolments.id"], name=op.f("fk_enrolment_versions_enrolment_id_enrolments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_versions")),
        sa.UniqueConstraint(
            "enrolment_id", "version", name=op.f("uq_enrolment_versions_enrolment_id_version")
        ),
    )


def _instrument_table() -> None:
    op.create_table(
        "payment_instruments",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("beneficiary_id", BigIntPK, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("bank_bin", sa.String(6), nullable=True),
        sa.Column("wallet_provider", sa.String(20), nullable=True),
        *_pii("account"),
        sa.Column("holder_name", sa.String(200), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.CheckConstraint(
            "kind IN ('bank', 'ewallet', 'cash')", name=op.f("ck_payment_instruments_known_kind")
        ),
        sa.CheckConstraint(
            "(kind = 'bank' AND bank_bin IS NOT NULL AND account_ct IS NOT NULL AND holder_name IS NOT NULL)"
            " OR (kind = 'ewallet' AND wallet_provider IS NOT NULL AND account_ct IS NOT NULL)"
            " OR (kind = 'cash' AND account_ct IS NULL)",
            name=op.f("ck_payment_instruments_fields_for_kind"),
        ),
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from",
            name=op.f("ck_payment_instruments_dates_in_order"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_bin"], ["banks.bin"], name=op.f("fk_payment_instruments_bank_bin_banks")
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiaries.id"],
            name=op.f("fk_payment_instruments_beneficiary_id_beneficiaries"),
        ),
        sa.ForeignKeyConstraint(
            ["wallet_provider"],
            ["wallet_providers.code"],
            name=op.f("fk_payment_instruments_wallet_provider_wallet_providers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_instruments")),
    )
    op.create_index(op.f("ix_payment_instruments_account_bidx"), "payment_instruments", ["account_bidx"])
    op.create_index(
        "ix_payment_instruments_beneficiary_dates",
        "payment_instruments",
        ["beneficiary_id", "effective_from"],
    )
    op.create_index(
        "ix_payment_instruments_one_open",
        "payment_instruments",
        ["beneficiary_id"],
        unique=True,
        sqlite_where=sa.text("effective_to IS NULL"),
        postgresql_where=sa.text("effective_to IS NULL"),
    )


def _seed() -> None:
    def table(name: str, *columns: str) -> sa.TableClause:
        return sa.table(name, *(sa.column(c) for c in columns))

    op.bulk_insert(table("programmes", "code", "name_vi", "name_en"), list(seed.PROGRAMMES))
    categories = table("programme_categories", "code", "programme_code", "name_vi", "name_en", "unverified")
    categories.append_column(sa.column("parameters", sa.JSON()))
    op.bulk_insert(categories, seed.category_rows())

    def unit_table(name: str, *extra: str) -> sa.TableClause:
        dates = (sa.column("valid_from", sa.Date()), sa.column("valid_to", sa.Date()))
        return sa.table(name, *(sa.column(c) for c in ("code", "name", "successor_code", *extra)), *dates)

    op.bulk_insert(unit_table("provinces"), seed.province_rows())
    op.bulk_insert(unit_table("communes", "province_code", "unverified"), seed.commune_rows())
    op.bulk_insert(table("banks", "bin", "short_name", "name", "active", "unverified"), seed.bank_rows())
    op.bulk_insert(table("wallet_providers", "code", "name", "active"), seed.wallet_provider_rows())


def upgrade() -> None:
    _reference_tables()
    _people_tables()
    _enrolment_tables()
    _instrument_table()
    for name in APPEND_ONLY:
        make_append_only(name)
    _seed()


def downgrade() -> None:
    for name in APPEND_ONLY:
        drop_append_only(name)
    op.drop_table("payment_instruments")
    op.drop_table("enrolment_versions")
    op.drop_table("enrolments")
    op.drop_table("beneficiary_versions")
    op.drop_table("beneficiaries")
    for name in ("wallet_providers", "banks", "communes", "provinces", "programme_categories", "programmes"):
        op.drop_table(name)
