"""Names written in another script, spelt in Latin letters, so they agree across languages.

A Chinese, Japanese or Korean report of an event names its people, places and companies in
its own script ("华为", "ソレンセン", "서울"); an English one in Latin letters ("Huawei",
"Sorensen", "Seoul"), which for Chinese and Korean names are mostly their standard
romanisation (pinyin, Revised Romanisation) and for foreign names in katakana mostly what
the katakana sounds like. `romanized` gives the Latin spellings a run of such text may stand
for: the pinyin of each character bigram of Chinese characters (a name is two to four of
them), each hangul word romanised (without a trailing particle), each katakana word
romanised without the vowels Japanese adds between consonants ("sutorandoberi" ->
"strandberi"). Most are nonsense in Latin text and match nothing; features.py keeps them
apart from the item's own words so that two CJK items never match on them (they share the
characters themselves already).

The transliteration is anyascii's (a small, dependency-free table of every Unicode
character's usual Latin spelling); Korean is romanised here (anyascii spells syllables one
by one: "한빛" as "HanBich", where Revised Romanisation writes "Hanbit").
"""

import re
from functools import lru_cache

from anyascii import anyascii

__all__ = ["romanized"]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc\uff66-\uff9f]{3,}")
_HANGUL = re.compile(r"[\uac00-\ud7a3]{2,}")
# Vowels Japanese writes after a consonant that the source name has no vowel after.
_EPENTHETIC = re.compile(r"(?<=[bdfgkmpsz])u(?=[bcdfghjklmnpqrstvwxz])|(?<=[td])o(?=[bcdfghjklmnpqrstvwxz])")
# Korean particles and endings written onto a name ("서울의", "서울에서").
_PARTICLES = ("에서", "으로", "부터", "까지", "은", "는", "이", "가", "을", "를", "의", "에", "도", "와", "과", "로")
# Revised Romanisation of a syllable's parts; a final consonant is spelt as it sounds at the
# end of a word ("빛" is "bit").
_INITIALS = "g kk n d tt r m b pp s ss _ j jj ch k t p h".split()
_MEDIALS = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()
_FINALS = "_ k k k n n n t l k m l l l p l m p p t t ng t t k t p t".split()
MIN_LETTERS = 4


def _hangul(word):
    out = []
    for char in word:
        code = ord(char) - 0xAC00
        initial, medial, final = code // 588, code % 588 // 28, code % 28
        out.append(_INITIALS[initial].strip("_") + _MEDIALS[medial] + _FINALS[final].strip("_"))
    return "".join(out)


def _latin(text):
    spelt = anyascii(text).casefold()
    return spelt if spelt.isalpha() and spelt.isascii() else ""


@lru_cache(maxsize=65536)
def romanized(run):
    """The Latin spellings (lower case, at least MIN_LETTERS letters) `run` (a token of CJK
    characters) may stand for, in order."""
    out = []
    for han in _HAN.findall(run):
        out.extend(_latin(han[i : i + 2]) for i in range(len(han) - 1))
    for katakana in _KATAKANA.findall(run):
        out.append(_EPENTHETIC.sub("", _latin(katakana)))
    for word in _HANGUL.findall(run):
        out.append(_hangul(word))
        for particle in _PARTICLES:
            if word.endswith(particle) and len(word) - len(particle) >= 2:
                out.append(_hangul(word[: -len(particle)]))
                break
    return tuple(dict.fromkeys(spelt for spelt in out if len(spelt) >= MIN_LETTERS))
