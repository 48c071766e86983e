"""Unified social credit codes: the generator's check character follows GB 32100-2015."""

import random

from agritrace.synth.uscc import (
    ALPHABET,
    check_character,
    corrupt_check_character,
    is_valid_credit_code,
    make_credit_code,
)


def test_alphabet_has_31_characters_without_i_o_s_v_z():
    assert len(ALPHABET) == 31
    assert not set("IOSVZ") & set(ALPHABET)


def test_published_example_codes_verify():
    for code in ("91350100M000100Y43", "91110000600037341L"):
        assert is_valid_credit_code(code)


def test_check_character_is_31_minus_weighted_sum_mod_31():
    body = "91440902MA4UXXXX0"
    weights = [pow(3, i, 31) for i in range(17)]
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(body, weights))
    assert check_character(body) == ALPHABET[(31 - total % 31) % 31]


def test_generated_codes_verify_and_corrupted_ones_do_not():
    rng = random.Random(1)
    for ptype in ("enterprise", "cooperative", "family_farm"):
        for _ in range(200):
            code = make_credit_code(rng, "440902", ptype)
            assert len(code) == 18 and code[2:8] == "440902"
            assert is_valid_credit_code(code)
            assert not is_valid_credit_code(corrupt_check_character(code, rng))


def test_codes_with_letters_outside_the_alphabet_are_invalid():
    assert not is_valid_credit_code("91440902I00000000X")
    assert not is_valid_credit_code("9144090200000000")
