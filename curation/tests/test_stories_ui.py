# ruff: noqa: F811 - the three_stories fixture is imported from test_stories_reads and requested by name
"""The curator's story screens: the queue by story (the toggle each session remembers, one
row per story, publishing a story from its row), the article page's "Same story" panel and
its acts, and a body-only item's best matches with the words they share."""

import re
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curation.models import Article, ArticleState, EditorialAction, RelatedCoverage, Story, StoryDecision
from curation.services.editorial import Action, transition_article
from curation.services.importing import import_seed_files
from curation.story_forms import QUEUE_BY_SESSION
from curation.tests.factories import make_article, make_user
from curation.tests.stories_support import write_seeds
from curation.tests.test_stories_reads import three_stories, topic_seeds  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_response_cache")]

REAL_SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "real-seeds"
QUEUE = "/curate/"


def by_story(client):
    response = client.post(reverse("curation:queue-mode"), {"by": "story", "next": QUEUE})
    assert response.status_code == 302 and response["Location"] == QUEUE + "#queue-by-toggle"  # back at the toggle
    return client


def story_rows(html):
    return re.findall(r'<tr class="queue-row story-row[^"]*"[^>]*data-story-id="(\d+)"', html)


# --- the toggle and the rows ------------------------------------------------------------------------


def test_the_toggle_is_remembered_for_the_session_and_switches_back(editor_client, three_stories):
    plain = editor_client.get(QUEUE).content.decode()
    assert not story_rows(plain) and "Group by story" in plain
    by_story(editor_client)
    grouped = editor_client.get(QUEUE).content.decode()
    assert sorted(map(int, story_rows(grouped))) == sorted(Story.objects.values_list("pk", flat=True))
    assert "Show every item" in grouped
    # Remembered: the next visit (filters and all) is by story too.
    assert story_rows(editor_client.get(QUEUE + "?sort=-quality").content.decode())
    editor_client.post(reverse("curation:queue-mode"), {"by": "item", "next": QUEUE})
    assert not story_rows(editor_client.get(QUEUE).content.decode())


@pytest.mark.parametrize("who", ["editor_client", "viewer_client"])
def test_every_row_of_the_queue_by_story_has_a_cell_for_each_column(request, who, three_stories):
    """Story rows and single-item rows share one table: a missing or extra cell shifts every
    value under the wrong header (a viewer has no Actions column, compact rows no Image)."""
    make_article(title="An item in no story")
    html = by_story(request.getfixturevalue(who)).get(QUEUE).content.decode()
    table = html.split('id="queue-table"')[1].split("</table>")[0]
    head, body = table.split("</thead>")
    columns = head.count("<th ")
    rows = re.findall(r"<tr class=\"queue-row.*?</tr>", body, flags=re.S)
    assert len(rows) >= 2 and any("story-row" not in row[:60] for row in rows)
    assert {len(re.findall(r"<td[ >]", row)) for row in rows} == {columns}


def test_a_bad_toggle_value_changes_nothing(editor_client, three_stories):
    by_story(editor_client)
    response = editor_client.post(reverse("curation:queue-mode"), {"by": "<script>", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == QUEUE + "#queue-by-toggle"  # back at the toggle
    assert story_rows(editor_client.get(QUEUE).content.decode())


def test_a_story_row_shows_the_lead_the_sources_the_outlets_the_best_scores_and_the_members(editor_client, three_stories):
    story = Story.objects.get(size=4)
    lead = Article.objects.get(pk=story.lead_id)
    members = Article.objects.filter(story=story)
    html = by_story(editor_client).get(QUEUE).content.decode()
    row = re.search(rf'<tr class="queue-row story-row[^"]*"[^>]*data-story-id="{story.pk}".*?</tr>', html, re.S).group(0)
    assert lead.title in row
    assert "+3 sources" in row
    for article in members:
        assert article.provider.name in row  # the outlets, and each member under <details>
        assert f'href="/curate/articles/{article.pk}/"' in row
    assert f">{max(a.quality for a in members)}<" in row
    assert "4 new,<br>0 published" in row
    assert "Publish lead, reject 3 duplicates" in row and "Publish lead only" in row
    # The lone article is an ordinary row.
    assert "Council approves budget for new library" in html


@pytest.mark.parametrize("sort", ["-quality", "quality", "-published", "published"])
def test_a_story_rows_checkbox_and_edit_key_act_on_the_lead_it_shows(editor_client, three_stories, sort):
    story = Story.objects.get(size=4)
    lead = Article.objects.get(pk=story.lead_id)
    html = by_story(editor_client).get(QUEUE, {"sort": sort}).content.decode()
    row = re.search(rf'<tr class="queue-row story-row[^"]*"[^>]*data-story-id="{story.pk}".*?</tr>', html, re.S).group(0)
    assert re.findall(r'name="ids" value="(\d+)"', row) == [str(lead.pk)]
    assert f'aria-label="Select “{lead.title}”"' in row
    assert f'data-edit-url="/curate/articles/{lead.pk}/edit/' in row


def test_publishing_a_story_rejects_the_rest_as_duplicates_each_audited(editor_client, three_stories):
    story = Story.objects.get(size=4)
    lead = Article.objects.get(pk=story.lead_id)
    response = editor_client.post(
        reverse("curation:story-publish", args=[story.pk]),
        {"rest": "reject", "lead": lead.pk, "expected_version": lead.version, "next": QUEUE},
    )
    assert response.status_code == 302
    states = dict(Article.objects.filter(story=story).values_list("pk", "state"))
    assert states.pop(lead.pk) == ArticleState.PUBLISHED
    assert set(states.values()) == {ArticleState.REJECTED}
    assert set(Article.objects.filter(pk__in=states).values_list("rejection_code", flat=True)) == {"duplicate"}
    for pk in [lead.pk, *states]:
        assert EditorialAction.objects.filter(article_id=pk).count() == 1
    message = editor_client.get(QUEUE).content.decode()
    assert "rejected 3 duplicates" in message


def test_a_story_row_publishes_with_the_token_its_page_drew(editor, three_stories):
    """With CSRF enforced, as in a browser: each story row's form carries a token the
    server accepts (the rows share the page's one)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    session = client.session
    session[QUEUE_BY_SESSION] = "story"  # the toggle's own POST would need a token first
    session.save()
    html = client.get(QUEUE).content.decode()
    forms = re.findall(
        r'<form method="post" action="(/curate/stories/\d+/publish/)" class="story-publish">'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">',
        html,
    )
    assert len(forms) == 2
    story = Story.objects.get(size=4)
    lead = Article.objects.get(pk=story.lead_id)
    action, token = next((action, token) for action, token in forms if f"/{story.pk}/" in action)
    response = client.post(
        action, {"csrfmiddlewaretoken": token, "rest": "leave", "lead": lead.pk, "expected_version": lead.version}
    )
    assert response.status_code == 302
    assert Article.objects.get(pk=lead.pk).state == ArticleState.PUBLISHED


def test_a_story_publication_offers_undo_which_puts_every_item_back(editor_client, editor, three_stories):
    story = Story.objects.get(size=4)
    lead = Article.objects.get(pk=story.lead_id)
    members = list(Article.objects.filter(story=story).values_list("pk", flat=True))
    editor_client.post(
        reverse("curation:story-publish", args=[story.pk]),
        {"rest": "reject", "lead": lead.pk, "expected_version": lead.version, "next": QUEUE},
    )
    # A colleague reopens one of the rejected items meanwhile: Undo leaves it and says so.
    other = Article.objects.filter(story=story).exclude(pk=lead.pk).order_by("pk").first()
    transition_article(article=other.pk, action=Action.RESTORE, user=editor)
    page = editor_client.get(QUEUE).content.decode()
    undo = re.search(r'<form class="undo-form" method="post" action="([^"]+)"', page)
    assert undo and "rejected 3 duplicates" in page
    response = editor_client.post(undo.group(1), {"next": QUEUE})
    assert response.status_code == 302
    assert set(Article.objects.filter(pk__in=members).values_list("state", flat=True)) == {ArticleState.NEW}
    assert not Article.objects.filter(pk__in=members).exclude(rejection_code="").exists()
    undone = EditorialAction.objects.filter(article_id__in=members, action="undo")
    assert sorted(undone.values_list("article_id", flat=True)) == sorted(set(members) - {other.pk})
    assert "1 left as they are" in editor_client.get(QUEUE).content.decode()
    # Once is enough: the form is gone, and posting it again changes nothing.
    assert 'class="undo-form"' not in editor_client.get(QUEUE).content.decode()


def test_publishing_a_story_can_leave_the_rest(editor_client, three_stories):
    story = Story.objects.get(size=4)
    lead = Article.objects.get(pk=story.lead_id)
    editor_client.post(
        reverse("curation:story-publish", args=[story.pk]), {"rest": "leave", "lead": lead.pk, "expected_version": lead.version}
    )
    states = dict(Article.objects.filter(story=story).values_list("pk", "state"))
    assert states.pop(lead.pk) == ArticleState.PUBLISHED
    assert set(states.values()) == {ArticleState.NEW}


def test_a_story_whose_lead_changed_since_the_page_is_a_conflict(editor_client, editor, three_stories):
    from curation.services import stories

    story = Story.objects.get(size=4)
    shown = story.lead_id
    other = Article.objects.filter(story=story).exclude(pk=shown).first()
    stories.set_lead(article=other, user=editor)
    response = editor_client.post(
        reverse("curation:story-publish", args=[story.pk]),
        {"rest": "reject", "lead": shown, "expected_version": 1},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409
    assert not Article.objects.filter(story=story, state=ArticleState.PUBLISHED).exists()


@pytest.mark.parametrize("data", [{}, {"rest": "all", "lead": 1, "expected_version": 1}, {"rest": "reject", "lead": "x"},
                                  {"rest": "reject", "lead": 10**30, "expected_version": 1}])
def test_a_bad_story_form_is_refused_without_a_500(editor_client, three_stories, data):
    story = Story.objects.first()
    response = editor_client.post(reverse("curation:story-publish", args=[story.pk]), data)
    assert response.status_code == 302
    assert not Article.objects.filter(state=ArticleState.PUBLISHED).exists()


def test_a_viewer_gets_no_story_buttons_and_cannot_act(viewer_client, three_stories):
    html = by_story(viewer_client).get(QUEUE).content.decode()
    assert story_rows(html) and "data-story-act" not in html
    story = Story.objects.get(size=4)
    response = viewer_client.post(reverse("curation:story-publish", args=[story.pk]),
                                  {"rest": "leave", "lead": story.lead_id, "expected_version": 1})
    assert response.status_code == 403
    member = Article.objects.filter(story=story).first()
    assert viewer_client.post(reverse("curation:story-act", args=[member.pk, "split"])).status_code == 403
    assert "data-story-act" not in viewer_client.get(f"/curate/articles/{member.pk}/").content.decode()


def _queue_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(QUEUE).status_code == 200
    return len(queries.captured_queries)


def test_the_queue_by_story_costs_the_same_queries_as_the_item_queue_whatever_the_stories(editor_client, tmp_path):
    write_seeds(tmp_path / "a", topic_seeds("Cedarvale", 2, 0))
    import_seed_files([tmp_path / "a"], workers=0)
    editor_client.get(QUEUE)  # the session, the reasons cache
    items = _queue_queries(editor_client)
    by_story(editor_client)
    few = _queue_queries(editor_client)
    for event, topic in enumerate(("Marrowind", "Ostbury", "Quillan", "Rendham")):
        write_seeds(tmp_path / topic, topic_seeds(topic, 5, 10 * (event + 1), event=event + 1))
        import_seed_files([tmp_path / topic], workers=0)
    many = _queue_queries(editor_client)
    assert few == many == items


# --- the "Same story" panel ---------------------------------------------------------------------------


def test_the_article_page_shows_every_member_and_which_are_published(editor_client, editor, three_stories):
    from curation.services.editorial import publish_article

    story = Story.objects.get(size=4)
    members = list(Article.objects.filter(story=story).order_by("pk"))
    publish_article(article=members[1], user=editor)
    html = editor_client.get(f"/curate/articles/{members[0].pk}/").content.decode()
    panel = re.search(r'<section class="same-story".*?</section>', html, re.S).group(0)
    assert "4 items, 1 published" in panel
    for member in members:
        assert f'data-member-id="{member.pk}"' in panel
    assert panel.count(">Published<") == 1 and ">lead<" in panel
    assert "Not the same story" in panel and "Make lead" in panel and "Split out" in panel


def test_split_lead_apart_and_merge_from_the_article_page_are_audited(editor_client, three_stories):
    story = Story.objects.get(size=4)
    a, b, c, d = Article.objects.filter(story=story).order_by("pk")
    page = f"/curate/articles/{a.pk}/"
    not_lead = next(x for x in (b, c, d) if x.pk != story.lead_id)
    editor_client.post(reverse("curation:story-act", args=[not_lead.pk, "lead"]), {"next": page})
    assert Story.objects.get(pk=story.pk).lead_id == not_lead.pk
    editor_client.post(reverse("curation:story-act", args=[d.pk, "split"]), {"next": page})
    assert Article.objects.get(pk=d.pk).story_id != story.pk
    editor_client.post(reverse("curation:story-act", args=[c.pk, "apart"]), {"other": str(a.pk), "next": page})
    assert StoryDecision.objects.filter(kind=StoryDecision.Kind.APART).exists()
    assert Article.objects.get(pk=c.pk).story_id != Article.objects.get(pk=a.pk).story_id
    # Merge by a pasted URL in another spelling (tracking parameters, http, www.).
    library = Article.objects.get(title__contains="library")
    pasted = library.web_url.replace("https://", "http://www.") + "?utm_source=x&partner=rss"
    response = editor_client.post(reverse("curation:story-act", args=[a.pk, "merge"]), {"other": pasted, "next": page})
    assert response.status_code == 302 and response["Location"] == page + "#same-story"  # back at the panel
    assert Article.objects.get(pk=library.pk).story_id == Article.objects.get(pk=a.pk).story_id
    kinds = set(EditorialAction.objects.values_list("action", flat=True))
    assert {"story_lead", "story_split", "story_apart", "story_merge"} <= kinds


@pytest.mark.parametrize("other", ["", "#0", "nothing here", "https://nowhere.example/x", "#99999999999999999999999"])
def test_merge_with_an_unknown_article_says_so(editor_client, three_stories, other):
    a = Article.objects.filter(story__isnull=False).first()
    response = editor_client.post(reverse("curation:story-act", args=[a.pk, "merge"]), {"other": other}, follow=True)
    assert response.status_code == 200
    assert "No article has that id or URL" in response.content.decode()


def test_an_unknown_story_act_is_a_404(editor_client, three_stories):
    a = Article.objects.first()
    assert editor_client.post(f"/curate/articles/{a.pk}/story/explode/").status_code == 404


# --- body-only items -----------------------------------------------------------------------------------


def test_a_body_only_item_is_offered_the_entry_it_is_the_text_of_with_the_shared_words(editor_client):
    import_seed_files([REAL_SEEDS / "000_5791a4ba6fe0fc15.txt"], workers=0)
    import_seed_files([REAL_SEEDS / "004_52d18086a856f3c8.txt"], workers=0)
    item = Article.objects.get(has_front_matter=False)
    html = editor_client.get(f"/curate/articles/{item.pk}/").content.decode()
    panel = re.search(r'<div class="attach-best">.*?</div>', html, re.S).group(0)
    first = re.search(r"<li .*?</li>", panel, re.S).group(0)
    assert "Complete from this entry" in first and "Chicago Tribune" in first
    assert "<mark>Clearview</mark>" in first
    entry = RelatedCoverage.objects.get(web_url__contains="chicagotribune")
    response = editor_client.post(
        reverse("curation:complete-from-entry", args=[item.pk]), {"entry": entry.pk, "expected_version": item.version}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title == entry.title and item.web_url == entry.web_url and not item.needs_metadata
    assert EditorialAction.objects.filter(article=item, action="complete").count() == 1


def test_completing_from_an_entry_on_a_stale_page_is_refused(editor_client):
    import_seed_files([REAL_SEEDS / "000_5791a4ba6fe0fc15.txt"], workers=0)
    import_seed_files([REAL_SEEDS / "004_52d18086a856f3c8.txt"], workers=0)
    item = Article.objects.get(has_front_matter=False)
    entry = RelatedCoverage.objects.get(web_url__contains="chicagotribune")
    response = editor_client.post(
        reverse("curation:complete-from-entry", args=[item.pk]), {"entry": entry.pk, "expected_version": item.version + 5},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409
    assert Article.objects.get(pk=item.pk).needs_metadata


# --- two editors on one story ------------------------------------------------------------------------


def panel_form(html, member_pk, act):
    """The fields of a story act's form on an article page, as the browser would send them."""
    action = reverse("curation:story-act", args=[member_pk, act])
    form = re.search(rf'<form method="post" action="{re.escape(action)}">(.*?)</form>', html, re.S).group(1)
    return action, dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


def test_a_story_act_on_a_story_another_editor_changed_since_is_refused(editor_client, three_stories):
    other_editor = Client()
    other_editor.force_login(make_user(role="editor"))
    story = Story.objects.get(size=4)
    a, b, c, d = Article.objects.filter(story=story).order_by("pk")
    first, second = [x for x in (a, b, c, d) if x.pk != story.lead_id][:2]
    page = f"/curate/articles/{a.pk}/"
    mine, theirs = editor_client.get(page).content.decode(), other_editor.get(page).content.decode()

    # The other editor chooses a lead; then I choose mine from the page I had open.
    action, data = panel_form(theirs, first.pk, "lead")
    assert other_editor.post(action, data).status_code == 302
    action, data = panel_form(mine, second.pk, "lead")
    response = editor_client.post(action, data, follow=True)
    assert Story.objects.get(pk=story.pk).lead_id == first.pk  # their choice stands
    assert "This story changed since you opened the page" in response.content.decode()
    # Asked in place (curator.js), the refusal is a conflict.
    assert editor_client.post(action, data, HTTP_ACCEPT="application/json").status_code == 409

    # Reloaded, the page shows their lead, and my act goes through.
    mine = editor_client.get(page).content.decode()
    action, data = panel_form(mine, second.pk, "lead")
    editor_client.post(action, data)
    assert Story.objects.get(pk=story.pk).lead_id == second.pk

    # A split from a page drawn before another editor split a member out is refused too:
    # made on the story as it is now, it would mark items apart the editor never saw.
    stale = editor_client.get(page).content.decode()
    action, data = panel_form(other_editor.get(page).content.decode(), d.pk, "split")
    other_editor.post(action, data)
    action, data = panel_form(stale, c.pk, "split")
    editor_client.post(action, data)
    assert Article.objects.get(pk=c.pk).story_id == story.pk
    assert not EditorialAction.objects.filter(article=c, action=Action.STORY_SPLIT).exists()


def test_an_item_that_cannot_be_published_is_not_made_a_lead_by_a_crafted_post(editor_client):
    # The panel offers no "Make lead" for a body-only member; the service refuses it too,
    # else the story's queue row would lead with an item it cannot publish.
    import_seed_files([REAL_SEEDS], workers=0)
    item = Article.objects.get(has_front_matter=False)
    story = Story.objects.get(pk=item.story_id)
    assert story.lead_id != item.pk
    page = f"/curate/articles/{story.lead_id}/"
    response = editor_client.post(reverse("curation:story-act", args=[item.pk, "lead"]), {"next": page}, follow=True)
    assert Story.objects.get(pk=story.pk).lead_id == story.lead_id
    assert "cannot lead its story until its metadata is complete" in response.content.decode()


def test_rejecting_a_storys_other_items_refuses_when_a_new_item_joined_since_the_row_was_drawn(editor_client, three_stories):
    story = Story.objects.get(size=4)
    lead = Article.objects.get(pk=story.lead_id)
    html = by_story(editor_client).get(QUEUE).content.decode()
    form = re.search(rf'<form method="post" action="/curate/stories/{story.pk}/publish/" class="story-publish">(.*?)</form>', html, re.S).group(1)
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    assert "Publish lead, reject 3 duplicates" in form
    # Another outlet's report of the event arrives (an import joins it to the story) meanwhile.
    joined = make_article(title="A late report of the same event", story=story)
    response = editor_client.post(f"/curate/stories/{story.pk}/publish/", {**data, "rest": "reject"}, follow=True)
    assert "This story has 5 new items now, not the 4 shown: nothing was rejected." in response.content.decode()
    assert set(Article.objects.filter(story=story).values_list("state", flat=True)) == {ArticleState.NEW}
    assert Article.objects.get(pk=lead.pk).state == ArticleState.NEW and joined.state == ArticleState.NEW
    # Publishing the lead alone still goes: it rejects nothing the editor has not seen.
    editor_client.post(f"/curate/stories/{story.pk}/publish/", {**data, "rest": "leave"})
    assert Article.objects.get(pk=lead.pk).state == ArticleState.PUBLISHED


def test_an_item_in_no_story_points_to_the_coverage_its_source_lists(editor_client):
    """"No other item is known to cover this event" above "Related coverage (2)" read as a
    contradiction to a new editor: the panel now says where those reports are."""
    related = [
        {"title": "Council votes on the bridge", "web_url": "https://other.example/a"},
        {"title": "Bridge vote: what it means", "web_url": "https://third.example/b"},
    ]
    listing = make_article(related=related)
    lone = make_article()

    page = editor_client.get(reverse("curation:article-detail", args=[listing.pk])).content.decode()
    assert "No other imported item covers this event; the 2 reports from other outlets that its source lists are under Related coverage, below." in page
    page = editor_client.get(reverse("curation:article-detail", args=[lone.pk])).content.decode()
    assert "No other imported item covers this event." in page


def _story_form(html, story):
    """The fields a story row's form posts (the row's own hidden inputs), and its action."""
    row = re.search(rf'<tr class="queue-row story-row[^"]*"[^>]*data-story-id="{story.pk}".*?</tr>', html, re.S).group(0)
    form = re.search(r'<form method="post" action="([^"]+)" class="story-publish">(.*?)</form>', row, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(2)))
    fields.pop("csrfmiddlewaretoken", None)
    return form.group(1), {name: value.replace("&amp;", "&") for name, value in fields.items()}


def test_a_story_rows_plain_post_lands_on_the_row_that_took_its_place(editor_client, three_stories):
    """Without JavaScript the story's publication is a page load: it comes back at the queue
    as the editor had it, at the row now in the published story's place, not at the top."""
    page = QUEUE + "?size=20&sort=-quality"
    html = by_story(editor_client).get(page).content.decode()
    row_ids = re.findall(r'<tr class="queue-row[^"]*"[^>]*id="(item-\d+)"', html)
    story = Story.objects.get(size=4)
    action, fields = _story_form(html, story)
    place = row_ids.index(re.search(rf'id="(item-\d+)" data-story-id="{story.pk}"', html).group(1))
    response = editor_client.post(action, {**fields, "rest": "reject"})
    assert response.status_code == 302
    following = row_ids[place + 1] if place + 1 < len(row_ids) else row_ids[place - 1]
    assert response["Location"] == f"{page}#{following}"
    # And that row is where the queue now lists the published story's place.
    assert f'id="{following}"' in editor_client.get(page).content.decode()


@pytest.mark.parametrize("row", ["junk", "0", "99999999", "²"])
def test_a_bad_row_hint_still_publishes_and_lands_at_the_leads_place(editor_client, three_stories, row):
    """`row` only says where to come back to: a tampered or stale one never refuses the act."""
    html = by_story(editor_client).get(QUEUE).content.decode()
    story = Story.objects.get(size=4)
    action, fields = _story_form(html, story)
    response = editor_client.post(action, {**fields, "row": row, "rest": "reject"})
    assert response.status_code == 302 and "#item-" in response["Location"], response["Location"]
    assert Article.objects.get(pk=story.lead_id).state == ArticleState.PUBLISHED


def test_a_refused_story_publication_also_comes_back_to_its_row(editor_client, three_stories):
    html = by_story(editor_client).get(QUEUE).content.decode()
    story = Story.objects.get(size=4)
    action, fields = _story_form(html, story)
    Article.objects.filter(pk=story.lead_id).update(version=int(fields["expected_version"]) + 1)  # another editor was first
    response = editor_client.post(action, {**fields, "rest": "reject"})
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}#item-{fields['row']}"  # the story is still listed
    assert not Article.objects.filter(story=story, state=ArticleState.PUBLISHED).exists()
