from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.chain import GENESIS_HASH, encode, link_hash

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(), st.binary(), st.dates())


def test_a_delimiter_inside_a_field_cannot_forge_another_record():
    assert encode(("ab", "c")) != encode(("a", "bc"))
    assert encode(("a|b",)) != encode(("a", "b"))


def test_types_are_tagged_so_the_string_1_differs_from_the_integer_1():
    assert encode("1") != encode(1)
    assert encode(True) != encode(1)


@given(st.lists(scalars, max_size=6), st.lists(scalars, max_size=6))
def test_different_field_tuples_never_encode_alike(a, b):
    if a != b or [type(x) for x in a] != [type(x) for x in b]:
        assert encode(tuple(a)) != encode(tuple(b))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        encode(datetime(2025, 7, 1))


def test_link_hash_depends_on_domain_sequence_and_previous_hash():
    fields = ("x", 1, date(2025, 7, 1), datetime(2025, 7, 1, tzinfo=UTC))
    base = link_hash("d", 1, GENESIS_HASH, fields)
    assert len(base) == 64
    assert link_hash("other", 1, GENESIS_HASH, fields) != base
    assert link_hash("d", 2, GENESIS_HASH, fields) != base
    assert link_hash("d", 1, "f" * 64, fields) != base
    assert link_hash("d", 1, GENESIS_HASH, fields) == base
