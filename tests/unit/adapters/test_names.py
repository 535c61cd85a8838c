"""DOMAIN rule 7: names compare upper-cased without diacritics, Đ/đ included."""

import pytest

from payments.text import fold_name, names_match


@pytest.mark.parametrize(
    ("ours", "reported"),
    [
        ("Nguyễn Thị Đào", "NGUYEN THI DAO"),
        ("đặng văn đức", "DANG VAN DUC"),
        ("  Lê   Thị  Hồng ", "LE THI HONG"),
        ("Phạm Ngọc Ánh", "pham ngoc anh"),
        ("Trương Ưng Ượng", "TRUONG UNG UONG"),
    ],
)
def test_a_name_matches_the_bank_spelling_without_diacritics(ours, reported):
    assert names_match(reported, ours)


def test_d_with_stroke_folds_to_d_although_unicode_does_not_decompose_it():
    assert fold_name("Đ") == "D"
    assert fold_name("đ") == "D"


@pytest.mark.parametrize(
    ("ours", "reported"),
    [("Nguyễn Thị Đào", "NGUYEN THI DAN"), ("Nguyễn Thị Đào", "NGUYEN DAO"), ("Lê Hồng", "LEHONG")],
)
def test_a_different_name_does_not_match(ours, reported):
    assert not names_match(reported, ours)


@pytest.mark.parametrize("reported", [None, "", "   "])
def test_a_missing_reported_name_never_matches(reported):
    assert not names_match(reported, "")
    assert not names_match(reported, "Nguyễn Thị Đào")
