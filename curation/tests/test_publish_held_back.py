# ruff: noqa: F811 - the three_stories fixture is imported from test_stories_reads and requested by name
"""Publishing an item under embargo: the message said "Published" alone, which an editor
reads as live, while readers see nothing until the embargo ends."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from curation.models import Article, Story
from curation.services import scheduling
from curation.tests.factories import make_article, make_user
from curation.tests.test_stories_hostile_acts import messages_of, story_form
from curation.tests.test_stories_reads import three_stories, topic_seeds  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_response_cache")]


@pytest.fixture
def boss():
    return make_user(role="editor", username="boss", is_superuser=True)


def ends(until):
    return timezone.localtime(until).strftime("%Y-%m-%d %H:%M %Z")


def test_publishing_an_item_under_embargo_says_when_readers_see_it(editor_client, boss):
    article = make_article(title="Budget details under embargo")
    until = timezone.now() + dt.timedelta(hours=5)
    embargoed = scheduling.set_embargo(article=article.pk, user=boss, until=until)

    response = editor_client.post(
        reverse("curation:article-action", args=[article.pk, "publish"]), {"expected_version": embargoed.version}, follow=True
    )

    assert f"Published “Budget details under embargo”. Readers see it from {ends(until)}, when its embargo ends." in messages_of(response)
    # Without an embargo the message is as it was.
    other = make_article(title="An ordinary item")
    response = editor_client.post(reverse("curation:article-action", args=[other.pk, "publish"]), {"expected_version": other.version}, follow=True)
    assert "Published “An ordinary item”." in messages_of(response) and "Readers see it" not in messages_of(response)


def test_publishing_a_story_whose_lead_is_under_embargo_says_when_readers_see_it(editor_client, boss, three_stories):
    story = Story.objects.get(size=4)
    until = timezone.now() + dt.timedelta(days=1)
    scheduling.set_embargo(article=story.lead_id, user=boss, until=until)
    data = story_form(editor_client, story)

    response = editor_client.post(f"/curate/stories/{story.pk}/publish/", {**data, "rest": "reject"}, follow=True)

    lead = Article.objects.get(pk=story.lead_id)
    assert lead.state == "published" and lead.embargo_until == until
    assert f"and rejected 3 duplicates. Readers see it from {ends(until)}, when its embargo ends." in messages_of(response)
