"""Checks that no stock expectation covers, as plain functions the custom expectations wrap."""

from __future__ import annotations

import re

# GB 32100-2015: 18 characters from this 31-character alphabet (no I, O, Z, S, V).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
HOUSEHOLD_CODE = re.compile(r"HH-\d{6}-\d{3,8}")


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """An 18-character unified social credit code whose check character verifies."""
    if not isinstance(code, str) or not USCC_SHAPE.fullmatch(code):
        return False
    return uscc_check_character(code[:17]) == code[17]


def is_valid_producer_code(code: object) -> bool:
    """A producer is an organisation (credit code) or a registered household (HH-<region>-<serial>)."""
    if not isinstance(code, str):
        return False
    return bool(HOUSEHOLD_CODE.fullmatch(code)) or is_valid_uscc(code)
