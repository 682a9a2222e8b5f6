# ruff: noqa: F811 - the three_stories fixture is imported from test_stories_reads and requested by name
"""The curator speaks an editor's words: what the queue and an article page show, and their
hover hints and labels for assistive technology, hold none of the words the code uses among
itself (a new editor asked what "recomputation" and "(score 0.43)" meant)."""

import re
from html.parser import HTMLParser

import pytest

from curation.models import Article, Story
from curation.selectors_stories import attach_suggestions
from curation.services.importing import import_seed_files
from curation.story_forms import QUEUE_BY_SESSION
from curation.tests.test_stories_reads import REAL_SEEDS, three_stories  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

# Words of the code, the database or the operator's shell, not of the newsroom.
INTERNAL_WORDS = re.compile(
    r"recomput|\bRE2\b|\bregex|\(score\b|\bcluster|\bkeyset|\bcursor|\bcanonical|\bevidence|\bbacktest"
    r"|apply_rules|manage\.py|\bsize cap\b|\bjaccard|\bthreshold"
    # The pattern matcher's own words for what it refuses.
    r"|\bperl\b|escape sequence|repetition operator|capture group|\bKiB\b|\bmax_mem\b|\bb'",
    re.IGNORECASE,
)
# The attributes a browser shows on hover or reads out in place of (or beside) the text.
SAID_ATTRIBUTES = ("title", "aria-label", "aria-description", "placeholder", "alt")


class SaidWords(HTMLParser):
    """The text a page shows and the attributes it says things in; not its scripts or styles."""

    def __init__(self):
        super().__init__()
        self.said, self._skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skipping += 1
        self.said.extend(value for name, value in attrs if name in SAID_ATTRIBUTES and value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.said.append(data.strip())


def internal_words_on(client, url, *, post=None, status=200):
    response = client.get(url) if post is None else client.post(url, post)
    assert response.status_code == status, url
    return internal_words_in(response.content.decode())


def internal_words_in(html):
    parser = SaidWords()
    parser.feed(html)
    return sorted({match.group(0) for text in parser.said for match in INTERNAL_WORDS.finditer(text)})


def test_the_queue_and_an_article_page_say_nothing_in_the_codes_words(editor_client, three_stories):
    member = Article.objects.filter(story=Story.objects.get(size=4)).order_by("pk").first()
    assert internal_words_on(editor_client, "/curate/") == []
    assert internal_words_on(editor_client, "/curate/?state=all") == []
    assert internal_words_on(editor_client, f"/curate/articles/{member.pk}/") == []  # the story's buttons
    session = editor_client.session
    session[QUEUE_BY_SESSION] = "story"
    session.save()
    assert internal_words_on(editor_client, "/curate/") == []


def test_a_body_only_items_suggestions_say_why_without_a_raw_score(editor_client):
    import_seed_files([REAL_SEEDS / "000_5791a4ba6fe0fc15.txt"], workers=0)
    import_seed_files([REAL_SEEDS / "004_52d18086a856f3c8.txt"], workers=0)
    body_only = Article.objects.get(has_front_matter=False)
    assert attach_suggestions(body_only)
    assert internal_words_on(editor_client, f"/curate/articles/{body_only.pk}/") == []
    assert "closest first" in editor_client.get(f"/curate/articles/{body_only.pk}/").content.decode()


def test_the_rules_pages_explain_patterns_and_runs_in_words(superuser_admin):
    assert internal_words_on(superuser_admin, "/curate/rules/") == []
    assert internal_words_on(superuser_admin, "/curate/rules/new/") == []
    assert "ferry|harbour" in superuser_admin.get("/curate/rules/new/").content.decode()


# Patterns the matcher refuses, each for another reason, and what the editor is told.
REFUSED_PATTERNS = {
    "ferry(?=boat)": "(?= looks ahead or behind",
    "(?<!old )ferry": "(?<! looks ahead or behind",
    "(ferry)\\1": "\\1 repeats an earlier part",
    "(ferry|harbour": "a ( is never closed",
    "ferry)": "a ) closes nothing",
    "[fF": "a [ is never closed",
    "ferry{3,1}": "a count in braces is impossible or over 1000 ({3,1})",
    "**ferry": "*, + or ? follows nothing",
    "ferry\\": "it ends with a lone backslash",
    "[z-a]": "a range in [ ] runs backwards",
    "\\qferry": "\\q is not a backslash sequence it knows",
    "[\\p{L}\\p{N}]{30}": "too large for the matcher: make it shorter or simpler",
}


@pytest.mark.parametrize("pattern", REFUSED_PATTERNS)
def test_the_rule_forms_pattern_errors_say_what_to_change_in_words(superuser_admin, pattern):
    for field in ("title_matches", "text_matches"):
        form = {"name": "Ferries", "action": "flag", "note": "look", "preview": "1", field: pattern}
        response = superuser_admin.post("/curate/rules/new/", form)
        assert response.status_code == 400
        html = response.content.decode()
        assert internal_words_in(html) == [], pattern
        (error,) = response.context["form"].errors[field]
        assert REFUSED_PATTERNS[pattern] in error, error
        assert "RE2" not in error and "\\x" not in error
