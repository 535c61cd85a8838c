import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments import text
from payments.registry import names as registry_names
from payments.registry.names import fold_name, name_problem, names_match, normalise_name

VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
letters = st.sampled_from(VIETNAMESE + VIETNAMESE.upper() + " ")


def test_rule_7_example_folds_both_sides_equal():
    assert fold_name("Nguyễn Thị Đào") == "NGUYEN THI DAO"
    assert names_match("Nguyễn Thị Đào", "NGUYEN THI DAO")


def test_lower_case_d_with_stroke_folds_to_d():
    assert fold_name("đặng văn đức") == "DANG VAN DUC"


def test_a_different_name_does_not_match():
    assert not names_match("Nguyễn Thị Đào", "NGUYEN THI DIEU")


def test_decomposed_input_is_stored_composed():
    decomposed = unicodedata.normalize("NFD", "Trần  Văn   Ánh ")
    assert normalise_name(decomposed) == unicodedata.normalize("NFC", "Trần Văn Ánh")


def test_names_with_digits_or_nothing_are_refused():
    assert name_problem("   ") == "the full name is empty"
    assert "digits" in name_problem("Nguyen Van 2")
    assert name_problem("Nguyễn Văn Hai") is None


@given(st.text(letters, max_size=40))
def test_folded_names_are_ascii_upper_case(name):
    folded = fold_name(name)
    assert folded.isascii()
    assert folded == folded.upper()
    assert "Đ" not in folded
    assert "đ" not in folded


@given(st.text(letters, max_size=40))
def test_folding_is_idempotent_and_ignores_normal_form(name):
    assert fold_name(fold_name(name)) == fold_name(name)
    assert fold_name(unicodedata.normalize("NFD", name)) == fold_name(name)
    assert names_match(name, fold_name(name).lower())


@given(st.text(letters, max_size=40))
def test_normalising_is_idempotent_and_nfc(name):
    once = normalise_name(name)
    assert normalise_name(once) == once
    assert unicodedata.is_normalized("NFC", once)


@pytest.mark.parametrize(
    "typed",
    [
        "Nguyễn Thị Đào",
        "Nguyễn Thị Ðào",
        "Nguyễn Thị Ɖào",
        "NGUYỄN THỊ ĐÀO",
        "ＮＧＵＹＥＮ ＴＨＩ ＤＡＯ",
        "Nguyễn  Thị\tĐào",
    ],
)
def test_the_registry_and_the_provider_check_fold_a_name_the_same_way(typed):
    # Rule 7 is checked twice (the holder name we hold, the name the bank reports): one folding.
    assert registry_names.fold_name(typed) == text.fold_name(typed) == "NGUYEN THI DAO"
    assert registry_names.names_match("Nguyễn Thị Đào", typed)
