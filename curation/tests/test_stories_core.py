"""The stories core: quality on the labelled corpus, editors' constraints, the cap, the
incremental index against a full rebuild, and bad input."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.stories import StoryIndex, StoryItem, item_features, score_pair
from curation.stories.evaluation import load_corpus, pairwise_scores
from curation.stories.fitting import leave_one_part_out, pooled

# A little under what the method reaches (bench/README.md has the figures), so a change
# that makes stories worse fails here: (precision, recall, share of hard-negative pairs joined).
FLOORS = {
    "tune": (0.98, 0.97, 0.01),
    "tune2": (0.86, 0.79, 0.06),
    "tune3": (0.97, 0.87, 0.02),
    "heldout": (0.97, 0.93, 0.03),
    "heldout2": (0.97, 0.76, 0.02),
    "heldout3": (0.97, 0.93, 0.03),
    "heldout4": (0.97, 0.89, 0.02),
    "heldout5": (0.97, 0.85, 0.02),
    # Blind: never fitted on, its errors never read (1.000 / 0.805 when first scored).
    "heldout6": (0.97, 0.78, 0.02),
    # Blind when first scored (0.978 / 0.669); its errors were then read (the CJK figures of
    # terms.cjk_figures came from it). Never fitted on.
    "heldout7": (0.95, 0.66, 0.03),
    # Blind when first scored (1.000 / 0.729, the same before and after the body-only join
    # probability; 0.750 since the headline veto yields to sure text); never fitted on.
    "heldout8": (0.97, 0.73, 0.02),
    # Blind when first scored (1.000 / 0.429); its errors were then read (the headline veto's
    # yield came from reading every part's): 0.486 since. Never fitted on.
    "heldout9": (0.97, 0.46, 0.02),
    # Blind when first scored, with main and with the veto's yield, chosen before (0.928 /
    # 0.403 and 0.938 / 0.478, 5 of 144 hard-negative pairs joined both times: a dated
    # markets newsletter naming the day's crypto collapse). Never fitted on.
    "heldout10": (0.92, 0.45, 0.04),
    # Blind when first scored (0.937 / 0.391, 4 of 138 hard-negative pairs joined: a
    # company's other news naming the first event, a rally's last stage and its result). Never
    # fitted on.
    "heldout11": (0.93, 0.38, 0.04),
}
# The same, pooled over the eight parts, leaving one part out at a time (the scorer fitted on
# the seven others, the eighth scored: curation/stories/fitting.py): the estimate for unseen
# text, which a change that only fits the corpus better does not raise.
LEAVE_ONE_OUT_FLOOR = (0.97, 0.895, 0.025)


def _cluster(labelled, chunks=1):
    index = StoryIndex()
    items = sorted(labelled, key=lambda entry: (entry.item.published is None, entry.item.published or 0, entry.item.key))
    size = max(1, len(items) // chunks + 1)
    for start in range(0, len(items), size):
        index.add(item_features(entry.item) for entry in items[start : start + size])
    return index


@pytest.fixture(scope="module", params=list(FLOORS))
def corpus(request):
    return request.param, load_corpus(request.param)


def test_corpus_scores_stay_above_the_floor(corpus):
    name, labelled = corpus
    scores = pairwise_scores(labelled, [story.members for story in _cluster(labelled).stories()])
    precision_floor, recall_floor, hard_share = FLOORS[name]
    assert scores.precision >= precision_floor, str(scores)
    assert scores.recall >= recall_floor, str(scores)
    assert len(scores.hard_negatives_joined) <= hard_share * scores.hard_negative_pairs, scores.hard_negatives_joined


def test_leaving_one_part_out_stays_above_the_floor():
    results, _grid = leave_one_part_out()
    precision, recall, joined, hard_pairs = pooled([scores for _name, scores, _probability in results])
    precision_floor, recall_floor, hard_share = LEAVE_ONE_OUT_FLOOR
    assert precision >= precision_floor and recall >= recall_floor, (precision, recall)
    assert joined <= hard_share * hard_pairs, joined


def test_incremental_clustering_equals_a_rebuild(corpus):
    _name, labelled = corpus
    batch = {story.members for story in _cluster(labelled).stories()}
    for chunks in (3, 17, len(labelled)):
        assert {story.members for story in _cluster(labelled, chunks).stories()} == batch


def test_the_real_seeds_cluster_is_one_story():
    labelled = [entry for entry in load_corpus("tune") if entry.story == "R00"]
    index = _cluster(labelled)
    story = index.story_of("R00a")
    assert story is not None
    # 000, its five related entries, and the Engadget entry imported under its AMP-cache URL
    assert {"R00a", "R00b", "R00c", "R00d", "R00e", "R00f", "R00i"} <= story.members
    assert story.lead == "R00b"  # Engadget: quality 87, earlier than The Verge's 87


def test_a_body_only_item_finds_the_related_entry_it_is_the_body_of():
    tribune_title = "Facebook, YouTube, Twitter warn Clearview face-recognition service to stop harvesting images"
    tribune_excerpt = (
        "Facebook joined YouTube, Twitter and payment service Venmo on Wednesday in demanding that a facial "
        "recognition company stop harvesting user images to identify the people in them, which the startup does "
        "as part of its work with police."
    )
    fast_company = StoryItem(key="fc", title="Facebook orders creepy AI firm to stop scraping your Instagram photos",
                             url="https://www.fastcompany.com/90461077/x?partner=rss", published=dt.datetime(2020, 2, 6, 15, 15),
                             related_urls=("https://www.chicagotribune.com/business/ct-biz-clearview-story.html",),
                             related_texts=(f"{tribune_title}\n{tribune_excerpt}",))
    tribune = StoryItem(key="ct", kind="related", parent="fc", title=tribune_title, excerpt=tribune_excerpt,
                        url="https://www.chicagotribune.com/business/ct-biz-clearview-story.html?outputType=amp",
                        published=dt.datetime(2020, 2, 6, 19, 37))
    body_only = next(entry.item for entry in load_corpus("tune") if entry.item.key == "R00h")
    evidence = score_pair(item_features(body_only), item_features(tribune))
    assert evidence.joins and {"clearv", "venmo"} <= set(evidence.overlap)
    index = StoryIndex()
    index.add(item_features(item) for item in (fast_company, tribune, body_only))
    assert index.story_of("R00h").members == {"fc", "ct", "R00h"}


def test_a_body_only_item_that_retells_the_story_in_other_words_joins_it():
    # Without a headline every headline signal of its pairs is zero: at the articles' join
    # probability this retelling of the quake (its magnitude, the town, the 30 hurt, the
    # church) stayed out (p 0.65-0.75 against the reports).
    labelled = [entry for entry in load_corpus("tune3") if entry.story == "A05"]
    assert _cluster(labelled).story_of("A05d").members == {"A05a", "A05b", "A05c", "A05d"}


def _item(key, title, hours=0, **extra):
    return item_features(StoryItem(key=key, title=title, published=dt.datetime(2024, 4, 2) + dt.timedelta(hours=hours),
                                   url=f"https://news{key}.example/{key}", provider=f"news{key}.example", **extra))


STORM = "Storm Imogen leaves 60,000 homes in Wales without power after 90mph gusts"


def test_not_the_same_story_is_remembered_even_through_a_third_item():
    index = StoryIndex()
    index.add([_item("a", STORM), _item("b", STORM, 1), _item("c", STORM, 2)])
    assert index.story_of("a").members == {"a", "b", "c"}
    index.constrain(cannot=[("a", "c")])
    assert not (index.story_of("a") and "c" in index.story_of("a").members)
    index.add([_item("d", STORM, 3)])  # new evidence arrives: still never together
    index.add([_item("c", STORM + " in Wales", 2)])  # re-import of c with a new title
    assert "c" not in (index.story_of("a").members if index.story_of("a") else ())


def test_an_editors_merge_joins_what_text_does_not():
    index = StoryIndex()
    index.add([_item("a", STORM), _item("b", "Council approves budget for new library", 1)])
    assert index.story_of("a") is None
    update = index.constrain(must=[("a", "b")])
    assert index.story_of("b").members == {"a", "b"} and update.changed_keys == {"a", "b"}


def test_split_out_takes_an_item_out_and_keeps_it_out():
    index = StoryIndex()
    index.add([_item(key, STORM, hours) for hours, key in enumerate("abc")])
    index.split_out("b")
    assert index.story_of("b") is None and index.story_of("a").members == {"a", "c"}


def test_the_cap_stops_a_story_growing_and_says_so():
    index = StoryIndex(cap=5)
    update = index.add([_item(f"k{n:02}", STORM, n % 48) for n in range(12)])
    sizes = sorted(len(story) for story in index.stories())
    assert max(sizes) <= 5
    assert update.capped and all(story.capped for story in update.capped)


def test_lead_is_highest_quality_then_earliest():
    index = StoryIndex()
    index.add([_item("a", STORM, 5, quality=50), _item("b", STORM, 1, quality=90), _item("c", STORM, 0, quality=90)])
    assert index.story_of("a").lead == "c"


def test_the_same_url_with_tracking_parameters_or_a_new_title_is_one_story():
    a = item_features(StoryItem(key=1, title="Old headline", url="https://www.site.example/a/?utm_source=x"))
    b = item_features(StoryItem(key=2, title="A wholly new headline", url="http://site.example/a#top"))
    assert score_pair(a, b).reason == "same canonical URL"


@pytest.mark.parametrize(
    "titles",
    [
        ("Live updates", "Live updates"),
        ("What we know so far", "What we know so far"),
        ("🔥🔥🔥", "🔥🔥🔥"),
        ("2024", "2024"),
        ("", ""),
        ("Update", "Update"),
    ],
)
def test_generic_and_empty_titles_join_nothing(titles):
    a = _item("a", titles[0], excerpt="The county fair opens a week late because of grandstand repairs.")
    b = _item("b", titles[1], 1, excerpt="A ferry with 240 passengers ran aground off Skerry Island.")
    assert not score_pair(a, b).joins


def test_a_recurring_column_on_another_day_is_kept_apart():
    a = item_features(StoryItem(key=1, title="Morning briefing: Europa flyby", provider="x.example",
                                published=dt.datetime(2024, 4, 9, 6)))
    b = item_features(StoryItem(key=2, title="Morning briefing: Europa flyby", provider="x.example",
                                published=dt.datetime(2024, 4, 10, 6)))
    assert score_pair(a, b).apart


def test_identical_boilerplate_excerpts_do_not_join():
    boilerplate = "Subscribe now for unlimited access to local news. Already a subscriber? Log in to continue reading."
    a = _item("a", "Library board approves new branch", excerpt=boilerplate)
    b = _item("b", "Water main break closes Elm Street", 1, excerpt=boilerplate)
    assert not score_pair(a, b).joins


def test_related_lists_pointing_back_or_in_cycles_are_harmless():
    urls = ["https://a.example/1", "https://b.example/2", "https://c.example/3"]
    items = [
        item_features(StoryItem(key=n, title=f"Item {n} about something", url=url,
                                related_urls=(url, urls[(n + 1) % 3], url + "?utm_source=x")))
        for n, url in enumerate(urls)
    ]
    assert all(url not in features.related for url, features in zip(urls, items, strict=True))
    index = StoryIndex()
    index.add(items)
    assert index.story_of(0).members == {0, 1, 2}


def test_text_without_spaces_is_compared_by_character_bigrams():
    a = _item("a", "長江流域启动防汛四级应急响应", excerpt="水利部针对长江中下游启动防汛四级应急响应。")
    b = _item("b", "水利部启动长江中下游防汛四级应急响应", 2, excerpt="水利部决定对四省启动防汛四级应急响应。")
    c = _item("c", "比亚迪一季度净利润同比增长11%", 1)
    assert score_pair(a, b).joins
    assert not score_pair(a, c).joins


def test_huge_texts_cost_no_more_than_their_lede():
    huge = "Storm Imogen battered Wales overnight. " * 200_000
    features = item_features(StoryItem(key=1, title=STORM, excerpt=huge, body=huge))
    assert len(features.terms) <= 150 and 1 <= len(features.keys) <= 9


def test_features_survive_pickling_for_the_parse_workers():
    import pickle

    features = _item("a", STORM)
    copy = pickle.loads(pickle.dumps(features))
    assert copy.keys == features.keys and copy.weights == features.weights and copy.names == features.names


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "title": st.text(max_size=80),
                "excerpt": st.text(max_size=200),
                "body": st.text(max_size=300),
                "url": st.one_of(st.just(""), st.text(max_size=40).map(lambda s: "https://x.example/" + s)),
                "related_urls": st.lists(st.text(max_size=40), max_size=3).map(tuple),
                "published": st.one_of(st.none(), st.floats(min_value=0, max_value=2e9)),
                "quality": st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1)),
            }
        ),
        max_size=8,
    )
)
def test_any_input_clusters_without_error(rows):
    index = StoryIndex(cap=3)
    index.add(item_features(StoryItem(key=n, **row)) for n, row in enumerate(rows))
    for story in index.stories():
        assert 2 <= len(story) <= 3 and story.lead in story.members


def _at(hour):
    return dt.datetime(2024, 6, 3, tzinfo=dt.UTC) + dt.timedelta(hours=hour)


def test_a_dated_column_on_another_day_stays_apart():
    a = item_features(StoryItem("a", title="Axios AM — June 4, 2024", excerpt="Smart Brevity: an insulin first, tornadoes in the Plains", provider="axios.com", published=_at(0)))
    b = item_features(StoryItem("b", title="Axios AM — June 5, 2024", excerpt="Smart Brevity: Spain's heatwave, Kestrel's funding round", provider="axios.com", published=_at(24)))
    assert score_pair(a, b).apart
    # An undated headline updated the next day by the same outlet is not a column.
    c = item_features(StoryItem("c", title="Death toll in Caldor bridge collapse rises to 7", provider="apnews.com", published=_at(0)))
    d = item_features(StoryItem("d", title="Death toll in Caldor bridge collapse rises to 9", provider="apnews.com", published=_at(24)))
    assert not score_pair(c, d).apart


def test_one_shared_company_name_does_not_join():
    deal = item_features(StoryItem("a", title="Selwyn Pharmaceuticals wins FDA approval for once-weekly insulin", excerpt="The FDA approved Selwyn Pharmaceuticals' weekly insulin Glyra.", provider="reuters.com", published=_at(0)))
    hire = item_features(StoryItem("b", title="Selwyn Pharmaceuticals appoints new finance chief", excerpt="Selwyn Pharmaceuticals named Priya Raman as chief financial officer.", provider="statnews.com", published=_at(1)))
    assert not score_pair(deal, hire).joins


def test_a_near_copy_under_another_headline_joins():
    excerpt = "U.S. employers added 272,000 jobs in May, far more than economists expected, while the unemployment rate rose to 4.0%."
    a = item_features(StoryItem("a", title="US adds 272,000 jobs in May, unemployment rises to 4.0%", excerpt=excerpt, provider="reuters.com", published=_at(0)))
    b = item_features(StoryItem("b", title="Payrolls blow past estimates in May; jobless rate ticks up", excerpt=excerpt, provider="cnbc.com", published=_at(1)))
    assert score_pair(a, b).joins


BREVARD_WITHDRAWS = ("cyclingnews.com", 0, "Team Brevard stands down its Danish star",
                     "Team Brevard withdrew Mikkel Sorvang from the Tour of Oltenia on Tuesday. The team said it would wait "
                     "for the analysis of his second sample before deciding on his contract, and that its other riders would "
                     "start as planned.")
SORVANG_SUSPENDED = ("apnews.com", 3, "Sorvang provisionally suspended after positive EPO test",
                     "Cycling's governing body provisionally suspended the Brevard rider Mikkel Sorvang after a sample taken "
                     "in March showed traces of EPO. The Dane, a two-time stage winner at the Tour of Oltenia, denies any wrongdoing.")
BREVARD_SIGNS = ("velonews.example", 5, "Brevard signs a sprinter for next season",
                 "Team Brevard has signed the Italian sprinter Luca Menotti on a two-year contract from next season, the "
                 "team said, as it rebuilds a squad that finished last at the Tour of Oltenia.")


def _report(key, outlet_hour_title_excerpt):
    provider, hour, title, excerpt = outlet_hour_title_excerpt
    return item_features(StoryItem(key, title=title, excerpt=excerpt, provider=provider, published=_at(hour)))


def test_headlines_without_a_shared_word_join_when_their_texts_name_the_same_rare_things():
    # Two outlets' own headlines for one event share no word (neither is a copy of the
    # other), but both texts name the rider, his team and the race: the model is sure.
    assert score_pair(_report("a", BREVARD_WITHDRAWS), _report("b", SORVANG_SUSPENDED)).joins


def test_headlines_without_a_shared_word_stay_apart_when_the_texts_share_only_a_name_or_two():
    # The team's other news of the week names the team and the race too, but little else.
    assert not score_pair(_report("b", SORVANG_SUSPENDED), _report("c", BREVARD_SIGNS)).joins


ORRIN_TRIAL = ("reuters.com", 0, "Orrin Pharma's obesity pill cuts weight by 14% in late-stage trial",
               "Orrin Pharma said its once-daily obesity pill Veltra helped patients lose 14% of their body weight in a late-stage trial.")
ORRIN_SHARES = ("Orrin Pharma shares jump 12% after obesity pill trial",
                "Orrin Pharma shares rose 12% after the company said its obesity pill Veltra cut weight by 14% in a trial.")
PELLIX_RECALL = ("engadget.com", 0, "Pellix Metro e-bike battery recall: what owners should do",
                 "Pellix is recalling about 80,000 batteries sold with its Metro e-bikes after reports of fires.")
TALVO_QUAKE = ("apnews.com", 0, "Magnitude 6.1 earthquake strikes near Talvo, damaging old town",
               "A magnitude 6.1 earthquake struck near the city of Talvo on Friday, damaging buildings in the historic old town and injuring at least 30 people.")


@pytest.mark.parametrize(
    ("first", "second", "verdict"),
    [
        # The market's reaction the same day is part of the story; on a later day it is news of its own.
        (ORRIN_TRIAL, ("cnbc.com", 4, *ORRIN_SHARES), "joins"),
        (ORRIN_TRIAL, ("cnbc.com", 28, *ORRIN_SHARES), "apart"),
        # One product's recall and its cheaper model's launch, a day apart.
        (PELLIX_RECALL, ("theverge.com", 20, "Pellix launches a cheaper Metro e-bike for $999",
                         "Pellix's new Metro Lite e-bike costs $999 and has a smaller battery."), "apart"),
        # A format title over a text about the event joins it; a digest naming it does not.
        (TALVO_QUAKE, ("talvotimes.com", 3, "What we know so far",
                       "A magnitude 6.1 earthquake hit Talvo before dawn. Here is what we know about the injured, the damaged churches in the old town and the aftershocks."), "joins"),
        (TALVO_QUAKE, ("morningbrief.com", 3, "The Morning Brief",
                       "Good morning. The Talvo earthquake, Brannock's steel job cuts and a chemical fire in Coldharbour."), "nothing"),
    ],
)
def test_one_companys_other_news_and_format_titles(first, second, verdict):
    a, b = (item_features(StoryItem(key, provider=provider, published=_at(hour), title=title, excerpt=excerpt))
            for key, (provider, hour, title, excerpt) in zip("ab", (first, second), strict=True))
    evidence = score_pair(a, b)
    assert {"joins": evidence.joins, "apart": evidence.apart, "nothing": evidence.score == 0}[verdict], evidence


MARVIK_ORDER = ("reuters.com", 0, "Marvik Rail orders 40 trains from Feldt for €1.8 billion",
                "Marvik Rail will buy 40 high-speed trains from Feldt for about €1.8 billion, the operator said on Monday.")


@pytest.mark.parametrize(
    ("second", "verdict"),
    [
        # Another language: only the name and the figures agree (a decimal comma, a scale word).
        (("handelsblatt.com", 2, "Marvik Rail bestellt 40 Züge für 1,8 Milliarden Euro",
          "Der Bahnbetreiber Marvik Rail kauft bei Feldt 40 Hochgeschwindigkeitszüge."), "joins"),
        (("ithome.com", 3, "Marvik Rail向Feldt订购40列高铁 金额18亿欧元", ""), "joins"),
        # The same company's other news the next day: another figure.
        (("reuters.com", 26, "Marvik Rail cuts 900 jobs in ticket offices",
          "Marvik Rail will close 120 ticket offices, cutting 900 jobs."), "nothing"),
        (("handelsblatt.com", 26, "Marvik Rail streicht 900 Stellen", "Marvik Rail schließt 120 Fahrkartenschalter."), "nothing"),
    ],
)
def test_names_and_figures_join_across_languages(second, verdict):
    a, b = (item_features(StoryItem(key, provider=provider, published=_at(hour), title=title, excerpt=excerpt))
            for key, (provider, hour, title, excerpt) in zip("ab", (MARVIK_ORDER, second), strict=True))
    evidence = score_pair(a, b)
    assert {"joins": evidence.joins, "nothing": evidence.score == 0}[verdict], evidence


@pytest.mark.parametrize(
    ("written", "figure"),
    [("5,25 Prozent", "5.25"), ("140.000 SUV", "140000"), ("1 200 personnes", "1200"), ("$2.1bn", "2100000000"),
     ("58亿元", "5800000000"), ("21억 달러", "2100000000"), ("14万台", "140000"), ("44C", "44"),
     # Units between the digits of one figure (Korean and Japanese write 12 million so).
     ("1천200만명", "12000000"), ("1千200万人", "12000000"), ("3千万円", "30000000"), ("1万2000人", "12000"),
     ("12억5천만원", "1250000000"), ("1.5억원", "150000000"), ("2,500만", "25000000")],
)
def test_figures_are_read_as_every_language_writes_them(written, figure):
    assert figure in _item("a", f"Nothing else {written}").title_terms


def test_a_figure_with_units_between_its_digits_is_one_figure():
    korean = _item("a", "하늘몰, 고객 1천200만명 개인정보 유출")
    assert "12000000" in korean.title_terms
    assert not {"1", "200", "2000000"} & korean.title_terms  # not three figures nobody stated


def test_one_kind_of_event_and_one_figure_join_within_a_day_only():
    quake = _item("a", "Magnitude 5.4 quake hits Ilvaria coast, no damage", excerpt="")
    cjk = _item("b", "伊尔瓦里亚沿海发生5.4级地震", 3)
    later = _item("c", "伊尔瓦里亚沿海发生5.4级地震", 30)
    assert score_pair(quake, cjk).joins and not score_pair(quake, later).joins
