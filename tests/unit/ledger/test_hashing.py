"""The ledger's hashes are exactly payments.chain's encoding, however they are assembled."""

import hashlib
import json
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.chain import canonical_json, encode, encode_items, link_hash
from payments.ledger.hashing import CONTENT_DOMAIN, ENTRY_DOMAIN, content_hash, entry_hash


def reference_encode(value):  # the encoding as first written in payments/chain.py, kept as an oracle
    def framed(tag, payload):
        return tag + len(payload).to_bytes(8, "big") + payload

    if value is None:
        return b"N" + (0).to_bytes(8, "big")
    if isinstance(value, bool):
        return framed(b"B", b"\x01" if value else b"\x00")
    if isinstance(value, int):
        return framed(b"I", str(value).encode("ascii"))
    if isinstance(value, str):
        return framed(b"S", value.encode("utf-8"))
    if isinstance(value, bytes):
        return framed(b"Y", value)
    if isinstance(value, datetime):
        return framed(b"T", value.isoformat(timespec="microseconds").encode("ascii"))
    if isinstance(value, date):
        return framed(b"D", value.isoformat().encode("ascii"))
    if isinstance(value, (list, tuple)):
        return framed(b"L", b"".join(reference_encode(item) for item in value))
    return framed(b"J", json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())


class Colour(StrEnum):
    RED = "red"


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(),
    st.binary(),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
    st.just(Colour.RED),
    st.dictionaries(st.text(), st.integers(), max_size=3),
)
values = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner), max_leaves=12
)


@given(values)
def test_the_fast_paths_of_encode_give_the_original_bytes(value):
    assert encode(value) == reference_encode(value)


@given(st.lists(values, max_size=5))
def test_encode_items_of_encoded_items_is_the_encoding_of_the_list(items):
    assert encode_items([encode(item) for item in items]) == encode(items) == encode(tuple(items))


codes = st.sampled_from(["expense:BTXH", "payable:1", "payable:2", "in_flight:napas"])
postings = st.lists(st.tuples(codes, st.integers(-(10**15), 10**15)), min_size=2, max_size=4)
optional_text = st.none() | st.text(max_size=20)


@given(
    kind=st.sampled_from(["accrual", "reversal"]),
    day=st.dates(),
    reverses=st.none() | st.integers(1, 10**9),
    payout=optional_text,
    enrolment=optional_text,
    period=st.none() | st.sampled_from(["2025-07", "2025-08"]),
    memo=optional_text,
    lines=postings,
)
def test_the_content_hash_is_sha256_of_the_encoded_content(
    kind, day, reverses, payout, enrolment, period, memo, lines
):
    expected = hashlib.sha256(
        encode((CONTENT_DOMAIN, kind, day, reverses, payout, enrolment, period, memo, lines))
    )
    got = content_hash(
        kind=kind, effective_date=day, reverses_seq=reverses, payout_ref=payout, enrolment_ref=enrolment,
        period=period, memo_json=memo, postings=lines,
    )  # fmt: skip
    assert got == expected.hexdigest()


@given(
    seq=st.integers(1, 10**12),
    moment=st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=7))])),
    actor=st.text(max_size=10),
    key=st.text(min_size=1, max_size=30),
)
def test_the_entry_hash_is_the_chain_link_hash(seq, moment, actor, key):
    fields = ("c" * 64, moment, actor, key)
    expected = link_hash(ENTRY_DOMAIN, seq, "p" * 64, fields)
    assert (
        entry_hash(
            seq, "p" * 64, content_digest="c" * 64, recorded_at=moment, actor=actor, idempotency_key=key
        )
        == expected
    )


def test_one_instant_in_two_time_zones_is_not_confused_by_the_remembered_encodings():
    utc = datetime(2025, 7, 1, 2, 0, tzinfo=UTC)
    hanoi = utc.astimezone(timezone(timedelta(hours=7)))
    kwargs = {"content_digest": "c" * 64, "actor": "a", "idempotency_key": "k"}
    first, second = (
        entry_hash(1, "p" * 64, recorded_at=utc, **kwargs),
        entry_hash(1, "p" * 64, recorded_at=hanoi, **kwargs),
    )
    assert first != second
    assert second == link_hash(ENTRY_DOMAIN, 1, "p" * 64, ("c" * 64, hanoi, "a", "k"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_the_memo_text_is_exactly_what_json_dumps_writes(value):
    assert canonical_json(value) == json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def test_a_memo_value_json_cannot_write_is_refused_as_json_dumps_refuses_it():
    with pytest.raises(TypeError, match="not JSON serializable"):
        canonical_json({"when": date(2025, 7, 1)})
