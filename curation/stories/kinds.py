"""What kind of event a headline reports, in the languages news arrives in.

For the few kinds one company, product or town has several of in a week (a recall, a
launch, an appointment, results, a deal, a court case, a strike, a disaster), and a
share-price move (the market's reaction to an event). The English words were chosen on the
tuning parts of the labelled corpus (scoring.py says how they are used); the other
languages' words are their translations, with the words left out that mean something else
as often ("Brand" is a fire in German and a brand in English; "lanza" also throws; "发布"
announces anything).

Latin-script words are matched by their terms (text.stem of the word without accents, as
features.py makes them). Words without spaces (Chinese, Japanese, Korean) are matched when
all their character bigrams are in the headline's terms.
"""

from curation.stories import text as textmod

__all__ = ["event_kinds", "KIND_TERMS", "MARKET_TERMS"]

_WORDS = (
    ("recall", "recall recalls recalled rappel rappelle rückruf rückrufaktion", "召回 リコール 리콜"),
    ("launch", "launch launches launched unveil unveils unveiled debut debuts introduces", "発売 출시"),
    ("people", "appoint appoints appointed hire hires hired resign resigns resigned quits démission démissionne "
     "rücktritt dimite dimisión renuncia renúncia", "辞任 辞职 사퇴 사임"),
    ("results", "earnings revenue profit profits quarterly bénéfice umsatz ganancias lucro", "财报 決算 실적"),
    ("deal", "buy buys acquire acquires acquisition takeover merger merge merges rachète rachat übernahme "
     "übernimmt adquiere adquisición aquisição", "收购 買収 인수"),
    ("legal", "fined sue sues sued lawsuit court judge charged settle settles settlement condamné amende "
     "verurteilt multa", "起诉 提訴 소송 罚款"),
    ("strike", "strike strikes walkout grève streik huelga greve sciopero", "罢工 ストライキ 파업"),
    ("disaster", "fire fires blaze flood floods earthquake quake storm cyclone crash explosion séisme terremoto sismo "
     "erdbeben beben incendie incendio incêndio waldbrand inondation inondations inundación inundaciones "
     "inundações enchente hochwasser überschwemmung tempête sturm tormenta ouragan huracán absturz",
     "地震 지진 火灾 火事 화재 산불 洪水 홍수 台风 台風 태풍 爆炸 爆発 폭발 坠毁 墜落 추락"),
)


def _term(word):
    return textmod.stem(textmod.unaccented(word))


def _bigrams(word):
    return frozenset(word[i : i + 2] for i in range(len(word) - 1)) if len(word) > 1 else frozenset([word])


_KINDS = {_term(word): kind for kind, latin, _cjk in _WORDS for word in latin.split()}
_CJK_KINDS = tuple((_bigrams(word), kind) for kind, _latin, cjk in _WORDS for word in cjk.split())
MARKET_TERMS = frozenset(_term(word) for word in "share shares stock stocks".split())
_MOVE_TERMS = frozenset(
    _term(word)
    for word in (
        "jump jumps jumped soar soars soared surge surges surged rise rises rose climb climbs climbed gain gains "
        "rally rallies rallied rocket rockets rocketed leap leaps fall falls fell slide slides slid slump slumps "
        "plunge plunges plunged sink sinks sank tumble tumbles tumbled drop drops dropped dip dips slip slips sag"
    ).split()
)
# Every term that may tell a kind: a headline with none of them names no kind (the quick answer).
KIND_TERMS = frozenset(_KINDS) | MARKET_TERMS | _MOVE_TERMS | frozenset().union(*(pairs for pairs, _kind in _CJK_KINDS))


def event_kinds(terms):
    """The kinds of event a headline's terms name (`terms` may be any subset holding the
    headline's KIND_TERMS): "recall", "launch", …, and "market" for a share move."""
    kinds = {_KINDS[term] for term in terms if term in _KINDS}
    if terms & MARKET_TERMS and terms & _MOVE_TERMS:
        kinds.add("market")
    for pairs, kind in _CJK_KINDS:
        if kind not in kinds and pairs <= terms:
            kinds.add(kind)
    return kinds
