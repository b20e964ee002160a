"""The Vietnamese sort key, with each word's codes remembered, is the same as
computed afresh."""

from uutu.core import text

NAMES = ["Nguyễn Thị Hoa", "lê thị hòa", "Hoa", "Đặng Thị Ngọc Ánh 000123", "ĐOÀN THỊ ỮNG", ""]


def test_word_keys_are_remembered_and_unchanged():
    text._word_key.cache_clear()
    first = [text.sort_key(n) for n in NAMES]
    misses = text._word_key.cache_info().misses
    again = [text.sort_key(n) for n in NAMES]
    assert again == first
    assert text._word_key.cache_info().misses == misses  # every word from the cache
    assert text._word_key.__wrapped__("Hòa") == text._word_key("Hòa") == ("222911", "010")


def test_sort_order():
    names = ["Nguyễn Thị Hòa", "Trần Thị Hoa", "Lê Thị Anh", "Lê Thị An", "Đỗ Thị Ánh"]
    assert sorted(names, key=text.sort_key) == [
        "Lê Thị An",
        "Lê Thị Anh",
        "Đỗ Thị Ánh",
        "Trần Thị Hoa",
        "Nguyễn Thị Hòa",
    ]
