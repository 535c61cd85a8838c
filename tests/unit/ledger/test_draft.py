import json
import pickle
from datetime import UTC, date, datetime

import pytest

from payments.errors import InvalidInput
from payments.ledger.draft import EntryDraft, EntryKind, MemoPart

ACCRUAL = (("expense:BTXH", 750_000), ("payable:7", -750_000))


def draft(**overrides):
    fields = {
        "idempotency_key": "accrual:2025-07:E7:base",
        "kind": "accrual",
        "effective_date": date(2025, 7, 1),
        "postings": ACCRUAL,
        "enrolment_ref": "E7",
        "period": "2025-07",
        "memo": {"component": "base", "coefficient": "1.5", "standard_vnd": 500_000},
    }
    return EntryDraft(**{**fields, **overrides})


def test_a_balanced_draft_keeps_its_postings_in_order_as_tuples():
    made = draft(postings=[["expense:BTXH", 750_000], ["payable:7", -750_000]], kind=EntryKind.ACCRUAL)
    assert made.postings == ACCRUAL
    assert made.kind == "accrual"
    assert type(made.kind) is str
    assert made.total_debit_vnd == 750_000


@pytest.mark.parametrize(
    ("postings", "message"),
    [
        ((("expense:BTXH", 750_000), ("payable:7", -749_999)), "does not balance"),
        ((("expense:BTXH", 0), ("payable:7", 0)), "non-zero integer"),
        ((("expense:BTXH", 750_000),), "at least two postings"),
        ((), "at least two postings"),
        ((("expense:BTXH", 750_000.0), ("payable:7", -750_000.0)), "integer"),
        ((("expense:BTXH", True), ("payable:7", -1)), "integer"),
        ((("bank:BTXH", 1), ("payable:7", -1)), "must start with one of"),
        ((("expense:BTXH", 1, "x"), ("payable:7", -1)), "posting is"),
        ((("expense:BTXH", 2**63), ("payable:7", -(2**63))), "64-bit"),
    ],
)
def test_an_unbalanced_or_malformed_draft_is_refused_before_the_database(postings, message):
    with pytest.raises(InvalidInput, match=message):
        draft(postings=postings)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "gift"}, "kind 'gift'"),
        ({"idempotency_key": " "}, "idempotency key"),
        ({"idempotency_key": "k" * 201}, "idempotency key"),
        ({"effective_date": datetime(2025, 7, 1, tzinfo=UTC)}, "effective_date"),
        ({"period": "2025-13"}, "period"),
        ({"period": "2025-7"}, "period"),
        ({"payout_ref": ""}, "payout_ref"),
        ({"enrolment_ref": "E" * 81}, "enrolment_ref"),
        ({"kind": "reversal"}, "only a reversal"),
        ({"reverses_seq": 3}, "only a reversal"),
        ({"kind": "reversal", "reverses_seq": 0}, "positive"),
        ({"memo": {"rate": 1.5}}, "without floats"),
        ({"memo": {1: "x"}}, "JSON object"),
        ({"memo": {"rows": [{"code": "a", "value": 1}, {"code": "b", "value": 0.5}]}}, "without floats"),
        ({"memo": {"rows": [{"code": "a", "parts": ({"x": 1},)}]}}, "without floats"),
        ({"memo": {"nested": {"deeper": {2: "int key"}}}}, "without floats"),
        ({"memo": ["x"]}, "JSON object"),
    ],
)
def test_bad_fields_are_refused_naming_the_entry(overrides, message):
    with pytest.raises(InvalidInput, match=message):
        draft(**overrides)


def test_equal_content_has_equal_hash_whoever_builds_it():
    assert (
        draft().content_hash
        == draft(memo={"standard_vnd": 500_000, "coefficient": "1.5", "component": "base"}).content_hash
    )


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "arrears"},
        {"effective_date": date(2025, 7, 2)},
        {"postings": (("expense:BTXH", 750_001), ("payable:7", -750_001))},
        {"postings": (("payable:7", -750_000), ("expense:BTXH", 750_000))},
        {"postings": (("expense:NCC", 750_000), ("payable:7", -750_000))},
        {"payout_ref": "P1"},
        {"enrolment_ref": "E8"},
        {"period": "2025-08"},
        {"memo": None},
        {"memo": {"component": "base"}},
    ],
)
def test_any_change_of_content_changes_the_content_hash(change):
    assert draft(**change).content_hash != draft().content_hash


def test_the_key_is_not_content_so_a_retry_under_the_same_key_compares_equal():
    assert draft(idempotency_key="other").content_hash == draft().content_hash


def test_the_memo_is_stored_as_canonical_json():
    assert draft(memo={"b": 1, "a": "Đào"}).memo_json == '{"a":"Đào","b":1}'


EXPLANATION = {
    "rule": "BTXH: standard level × coefficient",
    "rates": [{"code": "btxh.standard_level", "value": 500_000}],
}


@pytest.mark.parametrize(
    "memo",
    [
        {"component": "btxh.monthly", "owed_vnd": 750_000, "explanation": EXPLANATION},
        {"z": EXPLANATION, "a": "ấm", "m": None, "b": True, "n": [1, "x"], "o": {"k": 2}},
        {"explanation": EXPLANATION},
        {EntryKind.ACCRUAL: "a key that is a str subclass", "explanation": EXPLANATION},
    ],
)
def test_a_memo_part_is_stored_exactly_as_its_value_would_be(memo):
    plain = draft(memo=memo)
    rendered = {key: MemoPart(value) if value is EXPLANATION else value for key, value in memo.items()}
    with_part = draft(memo=rendered)
    assert with_part.memo_json == plain.memo_json
    assert with_part.content_hash == plain.content_hash
    assert json.loads(MemoPart(EXPLANATION).json) == EXPLANATION


@pytest.mark.parametrize(
    "make_memo",
    [
        lambda: {"explanation": MemoPart({"rule": "x", "coefficient": 1.5})},  # a float inside the part
        lambda: {"nested": {"explanation": MemoPart("part")}},  # a part below the top level
        lambda: {1: MemoPart("part")},  # a key that is not a string
    ],
)
def test_a_memo_part_never_lets_a_float_or_a_misplaced_part_through(make_memo):
    with pytest.raises(InvalidInput, match="JSON"):
        draft(memo=make_memo())


def test_a_memo_part_travels_between_processes_as_rendered():
    part = MemoPart(EXPLANATION)
    copy = pickle.loads(pickle.dumps(part))
    assert copy == part
    assert copy.json == part.json
