"""How free-text names from feeds are compared with reference names.

Feeds spell the same product or analyte many ways: full-width letters and digits, （）or 【】
instead of (), stray spaces, upper or lower case, traditional characters (噻蟲胺 for 噻虫胺).
Matching folds all of these and nothing more: it never strips words or guesses, so 豇豆 and
豇豆(鲜) are different names until an alias says otherwise.

Traditional characters are converted to simplified with OpenCC's ``t2s`` conversion, character by
character and phrase by phrase as OpenCC's own dictionaries say. That is script, not vocabulary: a
name that is another word altogether (陶斯松, Taiwan's name for 毒死蜱 / chlorpyrifos) still needs an
alias. Both the reference side (names, aliases) and the lookup side (the cell a feed carries) go
through ``normalise_name``, so an alias may be written in either script.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import opencc

# NFKC already folds （）［］｛｝ to ASCII; these are the brackets it leaves alone.
_BRACKETS = str.maketrans({"【": "(", "】": ")", "〔": "(", "〕": ")", "［": "(", "］": ")",
                           "[": "(", "]": ")", "｛": "(", "｝": ")", "{": "(", "}": ")"})
_DASHES = re.compile(r"[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]")
_SPACES = re.compile(r"\s+")
# A space next to a CJK character or a bracket carries no meaning ("豇豆 (鲜)" = "豇豆(鲜)").
_CJK_GAP = re.compile(r"\s*([\u3000-\u9fff\uf900-\ufaff()])\s*")


_T2S = opencc.OpenCC("t2s")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")


def to_simplified(text: str) -> str:
    """``text`` with traditional Chinese characters written in simplified ones (OpenCC t2s)."""
    return _T2S.convert(text) if _HAN.search(text) else text


@functools.lru_cache(maxsize=65536)
def normalise_name(text: str) -> str:
    """The matching key of a product or analyte name."""
    folded = to_simplified(unicodedata.normalize("NFKC", text)).translate(_BRACKETS)
    folded = _DASHES.sub("-", folded)
    folded = _SPACES.sub(" ", folded).strip()
    folded = _CJK_GAP.sub(r"\1", folded)
    return folded.casefold()


def normalise_standard(text: str) -> str:
    """The matching key of a standard's code: "GB 2763—2021" and "gb2763-2021" are the same."""
    folded = unicodedata.normalize("NFKC", text)
    folded = _DASHES.sub("-", folded)
    return _SPACES.sub("", folded).upper()
