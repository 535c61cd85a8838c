"""One citizen, one beneficiary: a citizen ID written in full-width digits is refused, never
registered as a second person beside the same ID in 0-9."""

import pytest
from sqlalchemy import func, select

from payments.errors import InvalidInput
from payments.registry import services
from payments.registry.model import Beneficiary
from tests.integration.registry.conftest import person

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_the_same_citizen_id_in_full_width_digits_is_refused_naming_the_field(
    session, officer, cipher, clock
):
    citizen_id = "068155000123"
    services.register_beneficiary(session, officer, cipher, person(citizen_id=citizen_id), clock=clock)

    again = person(citizen_id=citizen_id.translate(FULL_WIDTH), phone=None)
    with pytest.raises(InvalidInput, match=r"citizen_id: .*digits 0-9 only") as refused:
        services.register_beneficiary(session, officer, cipher, again, clock=clock)

    assert [p["column"] for p in refused.value.extra["problems"]] == ["citizen_id"]
    assert session.scalar(select(func.count()).select_from(Beneficiary)) == 1


def test_a_phone_in_full_width_digits_is_refused_naming_the_field(session, officer, cipher, clock):
    with pytest.raises(InvalidInput, match=r"phone: .*digits 0-9 only"):
        services.register_beneficiary(
            session, officer, cipher, person(phone="0912345678".translate(FULL_WIDTH)), clock=clock
        )
