from datetime import date

import pytest
from agritrace.trace.keys import KEY_TYPES, MalformedKey, check_window, normalise_key


def test_certificate_number_is_accepted_and_trimmed():
    assert normalise_key("  HGZ-440902-000123 ") == "HGZ-440902-000123"


def test_full_width_characters_become_ascii():
    assert normalise_key("ＨＧＺ－００１") == "HGZ-001"


def test_chinese_name_is_accepted():
    assert normalise_key("茂南区绿源蔬菜专业合作社") == "茂南区绿源蔬菜专业合作社"


@pytest.mark.parametrize("key", ["", "   "])
def test_empty_key_is_malformed(key):
    with pytest.raises(MalformedKey, match="is empty"):
        normalise_key(key)


def test_key_longer_than_64_characters_is_malformed():
    with pytest.raises(MalformedKey, match="65 characters long"):
        normalise_key("A" * 65)


def test_key_of_64_characters_is_accepted():
    assert normalise_key("A" * 64) == "A" * 64


@pytest.mark.parametrize("key", ["HGZ\n001", "HGZ\t001", "HGZ\x00001", "HGZ\u200b001"])
def test_control_characters_are_malformed(key):
    with pytest.raises(MalformedKey, match="control character"):
        normalise_key(key)


@pytest.mark.parametrize("key", ["'; drop table core.producers; --", "HGZ%", "a*b", "<script>", 'x"y'])
def test_characters_outside_the_safe_set_are_malformed(key):
    with pytest.raises(MalformedKey, match="which no key or name uses") as caught:
        normalise_key(key)
    assert caught.value.key == key


def test_non_text_key_is_malformed():
    with pytest.raises(MalformedKey, match="must be text"):
        normalise_key(123)


def test_key_types_are_in_documented_priority():
    assert KEY_TYPES == ("certificate_no", "batch_no", "producer_id", "report_no", "trace_code", "lot_no")


def test_reversed_window_is_refused():
    with pytest.raises(ValueError, match="swap them"):
        check_window(date(2024, 2, 1), date(2024, 1, 1), 7)


def test_recall_days_beyond_90_are_refused():
    with pytest.raises(ValueError, match="between 0 and 90"):
        check_window(None, None, 91)
