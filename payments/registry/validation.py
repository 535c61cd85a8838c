"""The rules a person, an enrolment and a payment instrument must satisfy, as plain values.

Pure: the reference data (communes, categories, banks, wallet providers) is passed in.
Services raise InvalidInput with these problems; the importer reports them per row.
Every problem names the column (the CSV header, also the API field) it is about.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from payments.registry.citizen_id import (
    SEXES,
    account_number_problem,
    citizen_id_problems,
    legacy_id_problem,
    normalise_phone,
    phone_problem,
)
from payments.registry.names import fold_name, name_problem, normalise_name


@dataclass(frozen=True)
class Problem:
    column: str
    message: str


@dataclass(frozen=True)
class Reference:
    """Reference data the rules check against. `communes` maps code -> (valid_to, successor)."""

    communes: dict[str, tuple[date | None, str | None]]
    categories: dict[str, tuple[str, list[dict[str, Any]]]]  # code -> (programme, parameter specs)
    banks: frozenset[str]
    wallet_providers: frozenset[str]


@dataclass(frozen=True)
class Person:
    citizen_id: str
    full_name: str
    date_of_birth: date
    sex: str
    commune_code: str
    phone: str | None = None
    legacy_id: str | None = None

    def normalised(self) -> "Person":
        return Person(
            citizen_id=self.citizen_id.strip(),
            full_name=normalise_name(self.full_name),
            date_of_birth=self.date_of_birth,
            sex=self.sex,
            commune_code=self.commune_code.strip(),
            phone=normalise_phone(self.phone) if self.phone else None,
            legacy_id=self.legacy_id.strip() if self.legacy_id else None,
        )

    @property
    def search_name(self) -> str:
        return fold_name(self.full_name)


@dataclass(frozen=True)
class Terms:
    """The terms of an enrolment. Months are the first day of the month."""

    programme: str
    category_code: str
    decision_number: str
    decision_date: date
    start_month: date
    end_month: date | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Instrument:
    kind: str  # bank | ewallet | cash
    bank_bin: str | None = None
    account_number: str | None = None
    holder_name: str | None = None
    wallet_provider: str | None = None
    wallet_phone: str | None = None

    def normalised(self) -> "Instrument":
        return Instrument(
            kind=self.kind,
            bank_bin=self.bank_bin if self.kind == "bank" else None,
            account_number="".join(self.account_number.split())
            if self.kind == "bank" and self.account_number
            else None,
            holder_name=normalise_name(self.holder_name)
            if self.holder_name and self.kind != "cash"
            else None,
            wallet_provider=self.wallet_provider if self.kind == "ewallet" else None,
            wallet_phone=normalise_phone(self.wallet_phone)
            if self.kind == "ewallet" and self.wallet_phone
            else None,
        )

    @property
    def account(self) -> str | None:
        """What the blind index and the ciphertext hold: the account number or the wallet phone."""
        return self.account_number if self.kind == "bank" else self.wallet_phone

    def index_value(self) -> str | None:
        issuer = self.bank_bin if self.kind == "bank" else self.wallet_provider
        return None if self.kind == "cash" else f"{self.kind}:{issuer}:{self.account}"


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def person_problems(person: Person, ref: Reference, today: date) -> list[Problem]:
    problems = [Problem("full_name", m) for m in [name_problem(person.full_name)] if m]
    sex = person.sex if person.sex in SEXES else None
    if sex is None:
        problems.append(Problem("sex", "sex is 'male' or 'female'"))
    if person.date_of_birth > today:
        problems.append(Problem("date_of_birth", "the date of birth is in the future"))
    problems += [
        Problem("citizen_id", m) for m in citizen_id_problems(person.citizen_id, person.date_of_birth, sex)
    ]
    if person.legacy_id and (message := legacy_id_problem(person.legacy_id)):
        problems.append(Problem("legacy_id", message))
    if person.phone and (message := phone_problem(person.phone)):
        problems.append(Problem("phone", message))
    problems += commune_problems(person.commune_code, ref, today)
    return problems


def commune_problems(code: str, ref: Reference, today: date) -> list[Problem]:
    if code not in ref.communes:
        return [Problem("commune_code", f"commune {code!r} is not in the list of administrative units")]
    valid_to, successor = ref.communes[code]
    if valid_to is not None and valid_to < today:
        hint = f"; use its successor {successor}" if successor else ""
        return [Problem("commune_code", f"commune {code} ceased to exist after {valid_to}{hint}")]
    return []


def terms_problems(terms: Terms, ref: Reference, today: date) -> list[Problem]:
    category = ref.categories.get(terms.category_code)
    problems = []
    if category is None:
        problems.append(Problem("category", f"category {terms.category_code!r} does not exist"))
    elif category[0] != terms.programme:
        problems.append(Problem("category", f"category {terms.category_code} belongs to {category[0]}"))
    else:
        problems += [Problem("parameters", m) for m in parameter_problems(category[1], terms.parameters)]
    if not terms.decision_number.strip():
        problems.append(Problem("decision_number", "the decision number is empty"))
    if terms.decision_date > today:
        problems.append(Problem("decision_date", "the decision date is in the future"))
    if terms.start_month < first_of_month(terms.decision_date):
        problems.append(
            Problem("start_month", "payment cannot start before the month the decision was signed")
        )
    if terms.end_month is not None and terms.end_month < terms.start_month:
        problems.append(Problem("end_month", "the end month is before the start month"))
    return problems


def parameter_problems(specs: list[dict[str, Any]], params: dict[str, Any]) -> list[str]:
    names = {spec["name"] for spec in specs}
    problems = [f"unknown parameter {name!r}" for name in sorted(set(params) - names)]
    for spec in specs:
        if spec["name"] not in params:
            problems.append(f"parameter {spec['name']!r} is required for this category")
            continue
        value = _number(params[spec["name"]], spec["type"])
        if value is None:
            problems.append(f"parameter {spec['name']!r} must be a {spec['type']}")
        elif not Decimal(str(spec["min"])) <= value <= Decimal(str(spec["max"])):
            problems.append(f"parameter {spec['name']!r} must be between {spec['min']} and {spec['max']}")
    return problems


def coerce_parameters(specs: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """ints stay ints; decimals are kept as canonical strings ('1.5'), never floats."""
    kinds = {spec["name"]: spec["type"] for spec in specs}
    coerced: dict[str, Any] = {}
    for name, raw in params.items():
        value = _number(raw, kinds.get(name, "decimal"))
        coerced[name] = (
            raw if value is None else (int(value) if kinds.get(name) == "int" else format(value, "f"))
        )
    return coerced


def _number(raw: Any, kind: str) -> Decimal | None:
    if isinstance(raw, (bool, float)):
        return None  # floats are refused: coefficients travel as strings
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or (kind == "int" and value != value.to_integral_value()):
        return None
    return value.normalize() if kind == "decimal" else value


def instrument_problems(inst: Instrument, ref: Reference, holder_required: bool = True) -> list[Problem]:
    if inst.kind == "cash":
        return []
    if inst.kind == "bank":
        problems = []
        if inst.bank_bin not in ref.banks:
            problems.append(Problem("bank_bin", f"{inst.bank_bin!r} is not a BIN in the bank list"))
        if message := account_number_problem(inst.account_number or ""):
            problems.append(Problem("account_number", message))
        if holder_required and not (inst.holder_name or "").strip():
            problems.append(Problem("holder_name", "a bank account needs the holder's name"))
        return problems
    if inst.kind == "ewallet":
        problems = []
        if inst.wallet_provider not in ref.wallet_providers:
            problems.append(
                Problem("wallet_provider", f"{inst.wallet_provider!r} is not a known e-wallet provider")
            )
        if message := phone_problem(inst.wallet_phone or ""):
            problems.append(Problem("wallet_phone", message))
        return problems
    return [Problem("instrument_kind", "the instrument kind is bank, ewallet or cash")]
