"""factory-boy factories for every model, bound to the test's session by conftest."""

from datetime import UTC, date, datetime

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy.orm import Session

from payments.context import SYSTEM
from payments.entitlements.model import Rate
from payments.ledger.draft import EntryDraft, PostedEntry
from payments.ledger.services import post_entry
from payments.security.model import ApiToken, User, UserRole
from payments.security.services import hash_token

_session: Session | None = None


def use_session(session: Session | None) -> None:
    global _session  # noqa: PLW0603 - one test at a time binds its session here
    _session = session


def current_session() -> Session:
    if _session is None:
        raise RuntimeError("factories need the `session` fixture")
    return _session


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name", locale="vi_VN")
    is_active = True
    created_at = factory.LazyFunction(lambda: datetime.now(UTC))

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **_: object) -> None:
        for role in extracted or ["officer"]:
            self.role_rows.append(UserRole(role=role))
        if create:
            current_session().flush()


class ApiTokenFactory(BaseFactory):
    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    token_hash = factory.Sequence(lambda n: hash_token(f"pay_factory_{n}"))
    prefix = factory.Sequence(lambda n: f"pay_f{n:07d}"[:12])
    created_at = factory.LazyFunction(lambda: datetime.now(UTC))
    expires_at = factory.LazyFunction(lambda: datetime(2099, 1, 1, tzinfo=UTC))
    revoked_at = None


class RateFactory(BaseFactory):
    """A provincial BTXH standard level above the national 500,000 (each in its own province,
    so rows never overlap). Bypasses the admin service's checks: use it for reads."""

    class Meta:
        model = Rate

    code = "btxh.standard_level"
    scope = factory.Sequence(lambda n: f"{10 + n % 90:02d}")
    valid_from = date(2024, 7, 1)
    valid_to = None
    unit = "vnd"
    amount_vnd = factory.Sequence(lambda n: 600_000 + 1_000 * n)
    coefficient_milli = None
    years = None
    source = "test factory"
    unverified = False
    created_at = factory.LazyFunction(lambda: datetime.now(UTC))
    created_by = "factory"


# --- registry ----------------------------------------------------------------------------
from payments.config import Settings  # noqa: E402
from payments.registry.citizen_id import make_citizen_id  # noqa: E402
from payments.registry.crypto import PiiCipher  # noqa: E402
from payments.registry.model import (  # noqa: E402
    Bank,
    Beneficiary,
    BeneficiaryVersion,
    Category,
    Commune,
    Enrolment,
    EnrolmentVersion,
    PaymentInstrument,
    Programme,
    Province,
    WalletProvider,
)
from payments.registry.names import fold_name  # noqa: E402

REGISTRY_CIPHER = PiiCipher.from_settings(Settings(env="test"))


def _ct(field: str, attr: str):
    return factory.LazyAttribute(
        lambda o: REGISTRY_CIPHER.seal(field, getattr(o, attr)).ciphertext if getattr(o, attr) else None
    )


def _key(attr: str):
    return factory.LazyAttribute(lambda o: REGISTRY_CIPHER.current_key_id if getattr(o, attr) else None)


def _bidx(field: str, attr: str):
    return factory.LazyAttribute(
        lambda o: REGISTRY_CIPHER.index(field, getattr(o, attr)) if getattr(o, attr) else None
    )


class ProgrammeFactory(BaseFactory):
    class Meta:
        model = Programme

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name_vi = "Chương trình thử"
    name_en = "Test programme"


class CategoryFactory(BaseFactory):
    class Meta:
        model = Category

    code = factory.Sequence(lambda n: f"TEST_CATEGORY_{n}")
    programme_code = "BTXH"
    name_vi = "Nhóm thử"
    name_en = "Test category"
    parameters = factory.LazyFunction(list)
    unverified = False


class ProvinceFactory(BaseFactory):
    class Meta:
        model = Province

    code = factory.Sequence(lambda n: f"{90 + n % 10}")
    name = factory.Sequence(lambda n: f"Tỉnh thử {n}")
    valid_from = None
    valid_to = None
    successor_code = None


class CommuneFactory(BaseFactory):
    class Meta:
        model = Commune

    code = factory.Sequence(lambda n: f"{90000 + n}")
    name = factory.Sequence(lambda n: f"Xã thử {n}")
    province_code = "68"
    valid_from = date(2025, 7, 1)
    valid_to = None
    successor_code = None
    unverified = False


class BankFactory(BaseFactory):
    class Meta:
        model = Bank

    bin = factory.Sequence(lambda n: f"{999000 + n}")
    short_name = factory.Sequence(lambda n: f"Bank{n}")
    name = factory.Sequence(lambda n: f"Ngân hàng thử {n}")
    active = True
    unverified = False


class WalletProviderFactory(BaseFactory):
    class Meta:
        model = WalletProvider

    code = factory.Sequence(lambda n: f"WALLET_{n}")
    name = factory.Sequence(lambda n: f"Ví thử {n}")
    active = True


class BeneficiaryFactory(BaseFactory):
    """A person with valid, encrypted identifiers. Pass `citizen_id=`, `phone=`, `legacy_id=` in clear."""

    class Meta:
        model = Beneficiary
        exclude = ("citizen_id", "phone", "legacy_id")

    date_of_birth = date(1950, 3, 15)
    sex = "female"
    citizen_id = factory.LazyAttributeSequence(
        lambda o, n: make_citizen_id("068", o.date_of_birth, o.sex, n + 1)
    )
    phone = factory.Sequence(lambda n: f"09{n:08d}")
    legacy_id = None
    full_name = factory.Faker("name_female", locale="vi_VN")
    search_name = factory.LazyAttribute(lambda o: fold_name(o.full_name))
    commune_code = "24778"
    citizen_id_ct = _ct("citizen_id", "citizen_id")
    citizen_id_key = _key("citizen_id")
    citizen_id_bidx = _bidx("citizen_id", "citizen_id")
    phone_ct = _ct("phone", "phone")
    phone_key = _key("phone")
    phone_bidx = _bidx("phone", "phone")
    legacy_id_ct = _ct("legacy_id", "legacy_id")
    legacy_id_key = _key("legacy_id")
    legacy_id_bidx = _bidx("legacy_id", "legacy_id")
    death_date = None
    identity_status = None
    identity_checked_at = None
    version = 1
    created_at = factory.LazyFunction(lambda: datetime.now(UTC))
    updated_at = factory.LazyAttribute(lambda o: o.created_at)


class BeneficiaryVersionFactory(BaseFactory):
    class Meta:
        model = BeneficiaryVersion
        exclude = ("beneficiary",)

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    beneficiary_id = factory.LazyAttribute(lambda o: o.beneficiary.id)
    version = 1
    effective_date = date(2024, 1, 1)
    recorded_at = factory.LazyFunction(lambda: datetime.now(UTC))
    recorded_by = "factory"
    change = "registered"
    full_name = factory.LazyAttribute(lambda o: o.beneficiary.full_name)
    date_of_birth = factory.LazyAttribute(lambda o: o.beneficiary.date_of_birth)
    sex = factory.LazyAttribute(lambda o: o.beneficiary.sex)
    commune_code = factory.LazyAttribute(lambda o: o.beneficiary.commune_code)
    phone_bidx = None
    legacy_id_bidx = None
    death_date = None


class EnrolmentFactory(BaseFactory):
    """An enrolment row; add its terms with EnrolmentVersionFactory(enrolment=...)."""

    class Meta:
        model = Enrolment

    beneficiary_id = factory.LazyFunction(lambda: BeneficiaryFactory().id)
    programme_code = "BTXH"
    category_code = "BTXH_ELDERLY_80_NO_PENSION"
    status = "active"
    current_version = 1
    created_at = factory.LazyFunction(lambda: datetime.now(UTC))


class EnrolmentVersionFactory(BaseFactory):
    class Meta:
        model = EnrolmentVersion

    enrolment_id = factory.LazyFunction(lambda: EnrolmentFactory().id)
    version = 1
    effective_date = date(2024, 8, 20)
    recorded_at = factory.LazyFunction(lambda: datetime.now(UTC))
    recorded_by = "factory"
    change = "enrolled"
    category_code = "BTXH_ELDERLY_80_NO_PENSION"
    parameters = factory.LazyFunction(dict)
    decision_number = factory.Sequence(lambda n: f"{n + 1}/QĐ-UBND")
    decision_date = date(2024, 8, 20)
    start_month = date(2024, 8, 1)
    end_month = None
    status = "active"
    status_reason = None


class PaymentInstrumentFactory(BaseFactory):
    """A bank account (pass `account=` in clear; it is encrypted and blind-indexed)."""

    class Meta:
        model = PaymentInstrument
        exclude = ("account",)

    beneficiary_id = factory.LazyFunction(lambda: BeneficiaryFactory().id)
    kind = "bank"
    bank_bin = "970436"
    wallet_provider = None
    account = factory.Sequence(lambda n: f"{1_000_000_000 + n}")
    account_ct = _ct("account", "account")
    account_key = _key("account")
    account_bidx = factory.LazyAttribute(
        lambda o: (
            REGISTRY_CIPHER.index("account", f"{o.kind}:{o.bank_bin or o.wallet_provider}:{o.account}")
            if o.account
            else None
        )
    )
    holder_name = "NGUYEN THI DAO"
    effective_from = date(2024, 1, 1)
    effective_to = None
    recorded_at = factory.LazyFunction(lambda: datetime.now(UTC))
    recorded_by = "factory"


class LedgerEntryFactory(BaseFactory):
    """A posted ledger entry: `build()` gives the EntryDraft, `create()` posts it via post_entry.

    Defaults to an accrual of `amount_vnd` from `expense:<programme>` to `payable:<beneficiary>`;
    pass `postings=` for anything else. Entries only enter the ledger through its service.
    """

    class Meta:
        model = EntryDraft

    class Params:
        amount_vnd = 500_000
        programme = "BTXH"
        beneficiary = factory.Sequence(lambda n: n + 1)

    idempotency_key = factory.Sequence(lambda n: f"test:{n}")
    kind = "accrual"
    effective_date = date(2025, 7, 1)
    postings = factory.LazyAttribute(
        lambda o: ((f"expense:{o.programme}", o.amount_vnd), (f"payable:{o.beneficiary}", -o.amount_vnd))
    )
    period = "2025-07"

    @classmethod
    def _create(cls, model_class: type[EntryDraft], *args: object, **kwargs: object) -> PostedEntry:
        return post_entry(current_session(), model_class(*args, **kwargs), actor=SYSTEM)
