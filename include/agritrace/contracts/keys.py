"""The one canonical form of business keys, applied at ingest and at lookup.

Senders write the same key in several ways: full-width letters (ＨＧＺ), a hyphen typed as U+2010
or a Chinese dash, a non-breaking space, lower case. Keys are compared in one form: Unicode NFKC,
look-alike dashes as ``-``, any run of spaces as one space, trimmed, and upper case for the codes
the contract declares case-insensitive (``Field.case_insensitive``). The raw form is kept where
the row is kept (quarantine) and where it differs from the canonical one (``ops.key_variants``).
"""

from __future__ import annotations

import re
import unicodedata

# Hyphen, non-breaking hyphen, figure dash, en and em dash, horizontal bar, minus sign, small and
# full-width hyphen-minus: all typed where a key means "-". (NFKC maps only some of them.)
_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u30fc\u2500]")
_SPACES = re.compile(r"\s+")


def canonical_key(text: str, *, case_insensitive: bool = False) -> str:
    canonical = _SPACES.sub(" ", _DASHES.sub("-", unicodedata.normalize("NFKC", text))).strip()
    return canonical.upper() if case_insensitive else canonical
