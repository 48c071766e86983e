"""Unified social credit codes (统一社会信用代码, GB 32100-2015): build and verify.

An 18-character code is: registration authority (1) + organisation type (1) + administrative
division (6) + organisation code (9, itself carrying a GB 11714 check character) + check (1).
The last character is computed over the first 17 with weights 3**i mod 31 on the 31-character
alphabet that leaves out I, O, S, V and Z (they read like digits).
"""

from __future__ import annotations

import random

# The check itself is the one validation applies, so generated codes verify by construction.
from agritrace.quality.rules import USCC_ALPHABET as ALPHABET
from agritrace.quality.rules import USCC_WEIGHTS as WEIGHTS
from agritrace.quality.rules import is_valid_uscc as is_valid_credit_code
from agritrace.quality.rules import uscc_check_character as check_character

# GB 11714 organisation code: 8 body characters (digits or A–Z) and one check character.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Registration authority 9 (market regulation) with the organisation types producers use.
PREFIX_BY_PRODUCER_TYPE = {"enterprise": "91", "cooperative": "93", "family_farm": "92"}

__all__ = ["ALPHABET", "WEIGHTS", "check_character", "corrupt_check_character", "is_valid_credit_code", "make_credit_code",
           "org_code_check"]


def org_code_check(body8: str) -> str:
    total = sum(int(ch, 36) * w for ch, w in zip(body8, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def make_credit_code(rng: random.Random, region_code: str, producer_type: str) -> str:
    """A verifying code for an organisation registered in ``region_code``."""
    body8 = "".join(rng.choice(ALPHABET) for _ in range(8))
    first17 = PREFIX_BY_PRODUCER_TYPE[producer_type] + region_code + body8 + org_code_check(body8)
    return first17 + check_character(first17)


def corrupt_check_character(code: str, rng: random.Random) -> str:
    """The same code with a check character that does not verify (a typo'd code)."""
    wrong = rng.choice([ch for ch in ALPHABET if ch != code[17]])
    return code[:17] + wrong
