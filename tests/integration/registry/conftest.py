from datetime import UTC, date, datetime

import pytest

from payments.clock import fixed_clock
from payments.context import Actor
from payments.registry.validation import Instrument, Person, Terms
from tests.factories import REGISTRY_CIPHER

NOW = datetime(2025, 9, 15, 8, 0, tzinfo=UTC)


@pytest.fixture
def cipher():
    return REGISTRY_CIPHER


@pytest.fixture
def clock():
    return fixed_clock(NOW)


@pytest.fixture
def officer():
    return Actor(username="lan.officer", role="officer")


def person(**changes) -> Person:
    values = {
        "citizen_id": "068155000123",
        "full_name": "Nguyễn Thị Đào",
        "date_of_birth": date(1955, 4, 2),
        "sex": "female",
        "commune_code": "24778",
        "phone": "+84 912 345 678",
    }
    values.update(changes)
    return Person(**values)


def terms(**changes) -> Terms:
    values = {
        "programme": "NCC",
        "category_code": "NCC_WAR_INVALID",
        "decision_number": "12/QĐ-UBND",
        "decision_date": date(2024, 8, 20),
        "start_month": date(2024, 8, 1),
        "parameters": {"injury_rate": "61"},
    }
    values.update(changes)
    return Terms(**values)


def bank(account="0123456789", holder="NGUYEN THI DAO") -> Instrument:
    return Instrument(kind="bank", bank_bin="970436", account_number=account, holder_name=holder)
