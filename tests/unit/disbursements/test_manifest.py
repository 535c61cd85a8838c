import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.disbursements.manifest import MAX_KEY_LENGTH, ManifestLine, manifest_hash, payout_key

periods = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2000, 2099), st.integers(1, 12))
programmes = st.sampled_from(["BTXH", "NCC", "TET"])


def test_a_payout_key_reads_period_programme_beneficiary_and_attempt():
    assert payout_key("2025-07", "BTXH", 12345, 1) == "2507-00012345-01-BTXH"


@given(periods, programmes, st.integers(1, 10**8 - 1), st.integers(1, 99))
def test_payout_keys_fit_the_end_to_end_id_and_are_deterministic(period, programme, beneficiary, attempt):
    key = payout_key(period, programme, beneficiary, attempt)
    assert len(key) <= MAX_KEY_LENGTH
    assert key == payout_key(period, programme, beneficiary, attempt)
    assert key.isascii()


@given(
    st.tuples(periods, programmes, st.integers(1, 10**6), st.integers(1, 99)),
    st.tuples(periods, programmes, st.integers(1, 10**6), st.integers(1, 99)),
)
def test_different_payouts_never_share_a_key(a, b):
    if a != b:
        assert payout_key(*a) != payout_key(*b)


@given(
    st.tuples(periods, st.integers(1, 10**8 - 1), st.integers(1, 99)),
    st.tuples(periods, st.integers(1, 10**8 - 1), st.integers(1, 99)),
    programmes,
    programmes,
)
def test_the_sixteen_characters_an_mt940_keeps_still_tell_payouts_apart(a, b, programme_a, programme_b):
    """MT940 carries only 16 characters of our reference; they must name one payout."""
    (period_a, person_a, attempt_a), (period_b, person_b, attempt_b) = a, b
    first = payout_key(period_a, programme_a, person_a, attempt_a)[:16]
    second = payout_key(period_b, programme_b, person_b, attempt_b)[:16]
    assert (first == second) == (a == b)


@pytest.mark.parametrize(
    "args",
    [
        ("2025-13", "BTXH", 1, 1),
        ("2025-7", "BTXH", 1, 1),
        ("2025-07", "btxh", 1, 1),
        ("2025-07", "BTXH", 0, 1),
        ("2025-07", "BTXH", 1, 100),
        ("2025-07", "BTXH", 10**8, 1),
    ],
)
def test_malformed_key_parts_are_refused(args):
    with pytest.raises(ValueError, match=r"period|programme|range"):
        payout_key(*args)


LINES = [
    ManifestLine("2507-00000001-01-BTXH", 750_000, {"kind": "bank", "bin": "970436", "account": "001"}),
    ManifestLine("2507-00000002-01-BTXH", 500_000, {"kind": "ewallet", "phone": "0912345678"}),
]


def test_the_manifest_hash_ignores_order_but_not_content():
    base = manifest_hash(LINES)
    assert manifest_hash(reversed(LINES)) == base
    changed_amount = [LINES[0], ManifestLine(LINES[1].payout_key, 500_001, LINES[1].instrument)]
    changed_account = [
        LINES[0],
        ManifestLine(LINES[1].payout_key, 500_000, {"kind": "ewallet", "phone": "0912345679"}),
    ]
    assert manifest_hash(changed_amount) != base
    assert manifest_hash(changed_account) != base
    assert manifest_hash(LINES[:1]) != base
