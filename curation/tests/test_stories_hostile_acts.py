# ruff: noqa: F811 - the three_stories fixture is imported from test_stories_reads and requested by name
"""Story acts driven by a second editor meanwhile (a second hostile pass): what the queue's
story row and the article page's "Same story" panel showed is no longer so when the form
arrives. Nothing is changed unseen, and the editor is told why."""

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from curation.models import Article, ArticleState, EditorialAction, Story
from curation.services import scheduling, stories
from curation.services.editorial import Action, publish_article
from curation.tests.factories import clear_caches, make_article, make_user
from curation.tests.test_stories_reads import three_stories, topic_seeds  # noqa: F401 - fixture
from curation.tests.test_stories_ui import QUEUE, by_story, panel_form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_response_cache")]


def story_form(client, story):
    """The hidden fields of the story's publish form, as the queue by story drew it."""
    html = by_story(client).get(QUEUE).content.decode()
    form = re.search(rf'<form method="post" action="/curate/stories/{story.pk}/publish/" class="story-publish">(.*?)</form>', html, re.S)
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(1)))


def messages_of(response):
    return html.unescape(" ".join(re.findall(r"<(?:li|p) class=\"message[^\"]*\"[^>]*>\s*(.*?)\s*</(?:li|p)>", response.content.decode(), re.S)))


def test_rejecting_the_rest_refuses_when_one_item_left_the_story_and_another_joined(editor_client, editor, three_stories):
    """The row said "reject 3 duplicates"; meanwhile a colleague split one of them out and
    merged an unrelated item in. The count of new items was the same, so the unrelated item
    was rejected as a duplicate of a story the editor never saw it in."""
    story = Story.objects.get(size=4)
    stories.set_lead(article=story.lead_id, user=editor)  # an editor's lead: it stays through both acts
    data = story_form(editor_client, story)
    assert data["new_count"] == "4"
    leaving = Article.objects.filter(story=story).exclude(pk=story.lead_id).order_by("pk").first()
    stories.split_out(article=leaving, user=editor)
    stranger = make_article(title="Harbour ferry timetable changes for the winter")
    stories.merge(article=stranger, other=story.lead_id, user=editor)
    assert Article.objects.filter(story=story, state=ArticleState.NEW).count() == 4  # the same count

    response = editor_client.post(f"/curate/stories/{story.pk}/publish/", {**data, "rest": "reject"}, follow=True)
    assert "new items changed since the page was drawn" in messages_of(response)
    assert "nothing was rejected" in messages_of(response)
    assert Article.objects.get(pk=stranger.pk).state == ArticleState.NEW
    assert set(Article.objects.filter(story=story).values_list("state", flat=True)) == {ArticleState.NEW}
    assert not EditorialAction.objects.filter(action__in=["publish", "reject"]).exists()
    # Drawn again, the row carries the story as it is: the same act goes through.
    response = editor_client.post(f"/curate/stories/{story.pk}/publish/", {**story_form(editor_client, story), "rest": "reject"}, follow=True)
    assert "and rejected 3 duplicates" in messages_of(response)
    assert Article.objects.get(pk=stranger.pk).state == ArticleState.REJECTED  # seen this time


def test_publishing_a_story_that_no_longer_exists_says_so_on_the_queue(editor_client, editor, three_stories):
    """Another editor split the story apart after the row was drawn: the button gave the
    generic "Page not found ... it may be mistyped" page, as if the editor had typed an address."""
    story = Story.objects.get(size=3)
    data = story_form(editor_client, story)
    members = list(Article.objects.filter(story=story).exclude(pk=story.lead_id).values_list("pk", flat=True))
    stories.split_out(article=story.lead_id, user=editor)
    stories.split_out(article=members[0], user=editor)
    assert not Story.objects.filter(pk=story.pk).exists()

    response = editor_client.post(f"/curate/stories/{story.pk}/publish/", {**data, "rest": "reject"})
    assert response.status_code == 302 and response["Location"].startswith(QUEUE)
    said = messages_of(editor_client.get(response["Location"]))
    assert "This story no longer exists" in said and "Nothing was changed" in said
    assert set(Article.objects.filter(pk__in=[story.lead_id, *members]).values_list("state", flat=True)) == {ArticleState.NEW}
    # In place (curator.js, or a script), a conflict with the same reason.
    response = editor_client.post(
        f"/curate/stories/{story.pk}/publish/", {**data, "rest": "leave"}, headers={"accept": "application/json"}
    )
    assert response.status_code == 409 and "This story no longer exists" in response.json()["error"]


# --- a story whose lead readers cannot see -----------------------------------------------------


@pytest.mark.parametrize("held", ["embargo", "scheduled", "expired"])
@pytest.mark.parametrize("url", ["/feeds/rss/", "/feeds/json/"])
def test_a_story_stays_in_the_feeds_when_its_published_lead_is_held_back(client, editor, three_stories, held, url):
    """The lead published but not live (under embargo, scheduled for tomorrow, expired) hid
    the whole story from the feeds: a live member was left out as "not the lead", and the
    lead was left out as not live."""
    boss = make_user(role="editor", username="boss", is_superuser=True)
    story = Story.objects.get(size=4)
    lead = Article.objects.get(pk=story.lead_id)
    member = Article.objects.filter(story=story).exclude(pk=lead.pk).order_by("pk").first()
    publish_article(article=member, user=editor)
    now = timezone.now()
    if held == "embargo":
        publish_article(article=lead, user=editor)
        scheduling.set_embargo(article=lead.pk, user=boss, until=now + dt.timedelta(days=1))
    elif held == "scheduled":
        scheduling.schedule_article(article=lead.pk, user=boss, go_live_at=now + dt.timedelta(days=1))
    else:
        publish_article(article=lead, user=editor)
        Article.objects.filter(pk=lead.pk).update(live_until=now - dt.timedelta(minutes=1))
    body = client.get(url).content.decode()
    assert f"/articles/{member.pk}/" in body and f"/articles/{lead.pk}/" not in body
    # Once readers can see the lead, it is the story's one entry again.
    Article.objects.filter(pk=lead.pk).update(live_from=None, live_until=None, embargo_until=None)
    clear_caches()
    body = client.get(url).content.decode()
    assert f"/articles/{lead.pk}/" in body and f"/articles/{member.pk}/" not in body


# --- the same act sent twice --------------------------------------------------------------------


@pytest.mark.parametrize("act", ["lead", "split", "apart", "merge"])
def test_a_story_act_sent_twice_says_it_is_done_already_not_that_the_story_changed(editor_client, three_stories, act):
    """A double click without JavaScript sent the form twice: the first did the act, and the
    second said "This story changed since you opened the page … Nothing was changed" over its
    success, as if a colleague had been first."""
    story = Story.objects.get(size=4)
    page_article, *members = Article.objects.filter(story=story).exclude(pk=story.lead_id).order_by("pk")
    html = editor_client.get(f"/curate/articles/{page_article.pk}/").content.decode()
    if act == "merge":
        stranger = Article.objects.filter(story__size=3).order_by("pk").first()
        form = re.search(r'<form method="post" action="([^"]*)" class="merge-form">(.*?)</form>', html, re.S)
        action, data = form.group(1), dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(2)))
        data["other"] = f"#{stranger.pk}"
        subject, audited = page_article, Action.STORY_MERGE
    else:
        action, data = panel_form(html, members[0].pk, act)
        subject = members[0]
        audited = {"lead": Action.STORY_LEAD, "split": Action.STORY_SPLIT, "apart": Action.STORY_APART}[act]

    first = messages_of(editor_client.post(action, data, follow=True))
    second = messages_of(editor_client.post(action, data, follow=True))

    assert "changed since" not in first and "Nothing more was changed" not in first
    already = {
        "lead": "It is the story's lead already.",
        "split": "It is out of its story already.",
        "apart": "They are marked as different stories already.",
        "merge": "They are in one story already.",
    }[act]
    assert second == f"{already} Nothing more was changed."
    assert EditorialAction.objects.filter(article=subject, action=audited).count() == 1
