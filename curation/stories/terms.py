"""How a token becomes a term the clustering compares.

Words: stemmed, without accents, weighed by rarity. Figures: written as English writes
them, without thousands separators, units or scale words, so one figure agrees across
languages and spellings ("140.000", "140,000" and "140 000" are 140000; "2,1 Milliarden"
and "$2.1 billion" are 2100000000; "58亿" is 5800000000)."""

import math
import re
from itertools import repeat

from curation.stories import rarity
from curation.stories import text as textmod

_THOUSANDS_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?%?")
# Figures as other languages write them, so a figure agrees across languages: "5,25" (a
# decimal comma: German, French, Spanish, Portuguese), "140.000" (thousands with dots) and
# "1 200" (thousands with spaces, French) are 5.25, 140000 and 1200.
_DECIMAL_COMMA_TOKEN = re.compile(r"\d+,\d{1,2}%?")
_DOTTED_THOUSANDS_TOKEN = re.compile(r"\d{1,3}(?:\.\d{3})+%?")
# (A pattern that opens with a digit is scanned for quickly: the look-behind comes after it.)
_SPACED_THOUSANDS = re.compile(r"\d(?<![\d.,]\d)\d{0,2}(?:[ \u00a0\u202f]\d{3})+(?!\d|[.,]\d)")
# Figures with a scale word, in the languages news arrives in ("$2.1 billion", "2,1 Milliarden",
# "58亿", "21억", "14万"), are written out (2100000000, 5800000000, 140000), so "5.8 billion
# yuan" and "58亿元" state one figure. "m" and "b" are left alone: "5.8m" is as often metres.
SCALE_WORDS = {
    "thousand": 10**3,
    "million": 10**6,
    "millions": 10**6,
    "billion": 10**9,
    "billions": 10**9,
    "trillion": 10**12,
    "millionen": 10**6,
    "milliarde": 10**9,
    "milliarden": 10**9,
    "milliard": 10**9,
    "milliards": 10**9,
    "millones": 10**6,
    "millón": 10**6,
    "milhões": 10**6,
    "milhão": 10**6,
    "bilhões": 10**9,
    "bilhão": 10**9,
    "milioni": 10**6,
    "miliardi": 10**9,
    "miljoen": 10**6,
    "miljard": 10**9,
    "mn": 10**6,
    "bn": 10**9,
    "tn": 10**12,
}
_ATTACHED_SCALES = {"mn": 10**6, "bn": 10**9, "tn": 10**12}
CJK_SCALES = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8, "兆": 10**12, "만": 10**4, "억": 10**8, "조": 10**12}
# Units between the digits of one figure: "1천200만" (Korean) and "1千200万" are 1,200 x 10,000.
CJK_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000, "십": 10, "백": 100, "천": 1000}
# What a figure written before them counts: days, months and years ("17日", "18일", "3月").
CJK_DATES = frozenset("日月年号號일월년")
_ENGLISH_SCALES = frozenset("thousand million millions billion billions trillion mn bn tn".split())
_THOUSAND_MILLIONS = frozenset(("millones", "milhões"))  # "mil millones": a thousand million
# Units written onto a figure ("44C", "5,200mAh"): the figure is what another language states too.
_UNITS = frozenset("c f km kmh mph kg mah mw gw kw mm cm ha".split())
_FIGURE_PREFIX = re.compile(r"\d+(?:[.,]\d+)*")


def written_out(figure, scale, english=True):
    """`figure` ("2.1", "1,8", "1.200") times `scale`, written out ("2100000000"), or None."""
    number = _figure_number(figure, english)
    return None if number is None else _whole(number * scale)


def _whole(number):
    """The number written out as a whole one, or None past what a float holds (a figure of
    hundreds of digits, which only a hostile file states, is infinite as a float)."""
    return str(round(number)) if math.isfinite(number) else None


def _figure_number(figure, english=True):
    """The number `figure` ("2.1", "1,8", "1.200", "2,500") states, or None ("2,3,4", "5%")."""
    if not english and _DOTTED_THOUSANDS_TOKEN.fullmatch(figure):
        figure = figure.replace(".", "")  # "1.200 millones" is 1,200 million
    elif "," in figure:
        figure = figure.replace(",", "") if _THOUSANDS_TOKEN.fullmatch(figure) else figure.replace(",", ".")
    try:
        return float(figure)
    except ValueError:
        return None


def cjk_figures(pieces):
    """The pieces of a token (digits, CJK runs, Latin words) with each figure written with CJK
    units ("12억", "3千万", "1천200만", "1万2000", "12억5천만") as one figure written out
    ("1200000000", "30000000", "12000000", "12000", "1250000000") where its first digits
    were; its later digits are dropped, the unit characters stay (they are text too)."""
    out = []
    index, count = 0, len(pieces)
    while index < count:
        piece = pieces[index]
        index += 1
        number = _figure_number(piece, english=False) if piece[0].isdigit() else None
        if number is None or index == count or not _leading_units(pieces[index]):
            out.append(piece)
            continue
        total = section = 0.0
        unit_pieces = []
        while True:
            unit_piece = pieces[index]
            units = _leading_units(unit_piece)
            index += 1
            unit_pieces.append(unit_piece)
            for unit in units:
                if unit in CJK_SMALL_UNITS:
                    section += (number or 1) * CJK_SMALL_UNITS[unit]
                else:
                    total += ((section + number) or 1) * CJK_SCALES[unit]
                    section = 0.0
                number = 0.0
            # "1万2000人": digits after a piece of units alone are the figure's too.
            if len(units) < len(unit_piece) or index == count or not pieces[index][0].isdigit():
                break
            following = _figure_number(pieces[index], english=False)
            if following is None:
                break
            number = following
            index += 1
            if index == count or not _leading_units(pieces[index]):
                break
        out.append(_whole(total + section + number) or piece)
        out.extend(unit_pieces)
    return out


def _leading_units(piece):
    """The CJK unit characters a piece starts with ("천만" of "천만명")."""
    end = 0
    while end < len(piece) and (piece[end] in CJK_SMALL_UNITS or piece[end] in CJK_SCALES):
        end += 1
    return piece[:end]


def scaled(tokens):
    """The tokens with each figure and the scale word after it ("1,8", "milliarden") as one
    figure written out."""
    out = []
    for token in tokens:
        scale = SCALE_WORDS.get(token)
        if scale and out:
            figure, english = out[-1], token in _ENGLISH_SCALES
            if figure == "mil" and token in _THOUSAND_MILLIONS and len(out) > 1:
                out.pop()
                figure, scale = out[-1], 10**9
            if figure[:1].isdigit() and (written := written_out(figure, scale, english)):
                out[-1] = written
                continue
        out.append(token)
    return out


def join_spaced_thousands(text):
    """The text with thousands written with spaces ("1 200", French) joined ("1200")."""
    return _SPACED_THOUSANDS.sub(_join_thousands, text)


def _join_thousands(match):
    return match.group().replace(" ", "")


def figure_term(lowered):
    """The term of a lower-case token that starts with a digit: the figure without thousands
    separators or a unit ("44c" is 44, "5,25" is 5.25, "3bn" is 3000000000), or None for a
    list of figures ("2,3,4"), too rare to be worth splitting."""
    term = lowered.rstrip("%")
    if not term[-1].isdigit():
        figure = _FIGURE_PREFIX.match(term).group()
        unit = term[len(figure) :]
        if unit in _UNITS:
            term = figure
        elif unit in _ATTACHED_SCALES and (written := written_out(figure, _ATTACHED_SCALES[unit])):
            return written
    if "," in term:
        if _DECIMAL_COMMA_TOKEN.fullmatch(term):
            term = term.replace(",", ".")
        elif _THOUSANDS_TOKEN.fullmatch(term):
            term = term.replace(",", "")
        else:
            return None  # a list of figures ("2,3,4"): too rare to be worth splitting
    elif "." in term and _DOTTED_THOUSANDS_TOKEN.fullmatch(term):
        term = term.replace(".", "")
    return term


# Word -> read_word(word), filled as words are met: news repeats its words, so most are answered
# by one dictionary look-up (a plain dict, read with map(), is quicker than lru_cache).
# Bounded: cleared when it grows past KNOWN_LIMIT.
KNOWN = {}
KNOWN_LIMIT = 500_000
MISSING = object()
HAS_CJK = object()


def read_words(tokens):
    """read_word() of each token, in order."""
    known = KNOWN
    found = list(map(known.get, tokens, repeat(MISSING)))
    if MISSING in found:
        if len(known) > KNOWN_LIMIT:
            known.clear()
        for index, info in enumerate(found):
            if info is MISSING:
                found[index] = known[tokens[index]] = read_word(tokens[index])
    return found


def read_word(lowered):
    """(term, weight, names something?) for a lower-case word, or None for one that says
    nothing (a stopword, a letter). A figure is written as English writes it, without
    thousands separators or a unit ("140.000" and "140,000" are 140000, "5,25" is 5.25, "44C"
    is 44); a word's term is spelt without accents."""
    first = lowered[0]
    if (first >= "\u3040" or lowered[-1] >= "\u3040") and textmod._CJK_RUN.search(lowered):
        return HAS_CJK  # read piece by piece (_read_mixed)
    # isdecimal, not isdigit: "①", "²" and "❶" are digits to Python but no figure (and not
    # the \d the figure patterns read); they are read as words.
    if first.isdecimal():
        term = figure_term(lowered)
        return None if term is None else (term, rarity.number_weight(term), False)
    if lowered in textmod.STOPWORDS or len(lowered) < 2 or first == "_":
        return None
    return textmod.stem(textmod.unaccented(lowered)), rarity.word_weight(lowered), lowered not in textmod._GENERIC_WORDS
