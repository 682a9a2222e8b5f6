"""The article page and the editorial actions, as an editor uses them in the browser."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from curation.models import (
    Article,
    ArticleImage,
    ArticleState,
    EditorialAction,
    ImportLedgerEntry,
    ImportRun,
    RelatedCoverage,
)
from curation.tests.factories import make_article, make_provider

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def detail(article, query=""):
    return reverse("curation:article-detail", args=[article.pk]) + (f"?{query}" if query else "")


def action_url(article, action):
    return reverse("curation:article-action", args=[article.pk, action])


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- the article page ---------------------------------------------------------------------


def test_article_page_shows_everything_the_source_said(editor_client):
    article = make_article(
        title="Full story",
        excerpt="A short excerpt.",
        body="First paragraph.\n\nSecond paragraph.",
        provider=make_provider(name="Example Times", domain="times.example"),
        topics=["Science", "Space"],
        quality=88,
        heat=-1,
        category="world",
        article_type="analysis",
        web_url="https://times.example/full-story",
        source_path="/seeds/full-story.md",
        images=["https://img.example/full.jpg"],
        related=[{"title": "Other take", "web_url": "https://other.example/take"}],
    )
    html = editor_client.get(detail(article)).content.decode()
    for text in (
        "Full story",
        "A short excerpt.",
        "<p>First paragraph.</p>",
        "<p>Second paragraph.</p>",
        "Example Times",
        "times.example",
        "Science",
        "Space",
        "88",
        "unknown",
        "world",
        "analysis",
        "/seeds/full-story.md",
        'src="https://img.example/full.jpg"',
        'href="https://other.example/take"',
        "Other take",
    ):
        assert text in html, text
    assert re.search(r'<a href="https://times.example/full-story" rel="noopener noreferrer"', html)


def test_page_buttons_match_the_state(editor_client):
    buttons = re.compile(r">(Publish|Unpublish|Reject|Restore)</button>")
    expected = {
        "new": ["Publish", "Reject"],
        "published": ["Unpublish", "Reject"],
        "rejected": ["Publish", "Restore"],
        "merged": [],
    }
    for state, labels in expected.items():
        article = make_article(state=state)
        html = editor_client.get(detail(article)).content.decode()
        assert (
            buttons.findall(
                html[html.index('class="actions-bar"') : html.index("</section>", html.index('class="actions-bar"'))]
            )
            == labels
        )


def test_hostile_text_is_escaped_and_unsafe_urls_never_become_links(editor_client):
    article = make_article(
        title="<script>alert(1)</script>",
        excerpt="<img src=x onerror=alert(2)>",
        body="<b>bold</b>\n\n<iframe src='javascript:alert(3)'></iframe>",
        web_url="javascript:alert(4)",
        source_key="k" * 64,
        related=[{"title": "<i>rel</i>", "web_url": "javascript:alert(5)", "images": [{"url": "javascript:alert(6)"}]}],
    )
    ArticleImage.objects.create(article=article, url="javascript:alert(7)")
    html = editor_client.get(detail(article)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "<b>bold</b>" not in html and "<iframe" not in html and "<i>rel</i>" not in html
    assert not re.search(r'(href|src)="\s*javascript:', html, re.IGNORECASE)


def test_secured_is_only_shown_as_a_fingerprint(editor_client):
    article = make_article(
        secured="TOP-SECRET-BLOB-123",
        front_matter_raw='title: "Story"\nsecured: "TOP-SECRET-BLOB-123"\nextraKey: kept\n',
    )
    html = editor_client.get(detail(article)).content.decode()
    assert "TOP-SECRET-BLOB-123" not in html
    assert article.secured_fingerprint in html
    assert "<details>" in html and "extraKey: kept" in html


def test_front_matter_keeps_the_source_text_apart_from_secured(editor_client):
    raw = (
        'title: "Quoted title"\npublishedDateTime: 2020-02-06T15:15:00Z\n'
        "secured: >-\n  MULTI-LINE-SECRET-PART-ONE\n  PART-TWO\n\nquality: 37\n"
    )
    article = make_article(secured="MULTI-LINE-SECRET-PART-ONE PART-TWO", front_matter_raw=raw)
    html = editor_client.get(detail(article)).content.decode()
    assert "SECRET" not in html and "PART-TWO" not in html
    assert "title: &quot;Quoted title&quot;\npublishedDateTime: 2020-02-06T15:15:00Z" in html
    assert f"secured: &quot;{article.secured_fingerprint}&quot;\n\nquality: 37" in html


def test_secured_repeated_in_a_comment_is_not_shown(editor_client):
    raw = 'title: "T"\n# old secured: LEAKY-SECRET\nsecured: "LEAKY-SECRET"\n'
    article = make_article(secured="LEAKY-SECRET", front_matter_raw=raw)
    html = editor_client.get(detail(article)).content.decode()
    assert "LEAKY-SECRET" not in html and article.secured_fingerprint in html


def test_unparsable_front_matter_is_hidden_rather_than_risk_showing_secured(editor_client):
    article = make_article(secured="SECRET", front_matter_raw='secured: "SECRET"\n  bad: [indent\n')
    html = editor_client.get(detail(article)).content.decode()
    assert "SECRET" not in html
    assert "cannot be shown safely" in html


def test_related_coverage_links_to_our_own_copy(editor_client):
    ours = make_article(title="Our copy of the story")
    article = make_article(related=[{"title": "Their take", "web_url": ours.web_url, "linked_article": ours}])
    html = editor_client.get(detail(article)).content.decode()
    assert f'href="{detail(ours)}"' in html and "Our copy of the story" in html


def test_import_and_editorial_history_are_shown(editor_client, editor):
    article = make_article(source_changed_at=timezone.now())
    run = ImportRun.objects.create(started_at=timezone.now())
    ImportLedgerEntry.objects.create(
        run=run, path="/seeds/a.md", status="updated", article=article, created_at=timezone.now(), notes="dropped link"
    )
    editor_client.post(action_url(article, "reject"), {"expected_version": 1, "reason": "Off topic"})
    html = editor_client.get(detail(article)).content.decode()
    assert "/seeds/a.md" in html and "Updated" in html and "dropped link" in html
    assert "Rejected</strong> by edna" in html and "Off topic" in html
    assert "The source changed this item" in html


def test_page_renders_in_a_fixed_number_of_queries(editor_client, django_assert_max_num_queries):
    article = make_article(topics=["A", "B"], images=["https://i.example/1.jpg", "https://i.example/2.jpg"])
    for n in range(6):
        RelatedCoverage.objects.create(article=article, position=n, title=f"r{n}", linked_article=make_article())
    with django_assert_max_num_queries(20):
        assert editor_client.get(detail(article)).status_code == 200


def test_missing_article_is_404(editor_client):
    assert editor_client.get(reverse("curation:article-detail", args=[999999])).status_code == 404
    assert editor_client.post(reverse("curation:article-action", args=[999999, "publish"])).status_code == 404


# --- previous / next within the filtered queue -------------------------------------------


def test_previous_and_next_follow_the_filtered_sorted_queue(editor_client):
    low = make_article(quality=10, title="Low")
    mid = make_article(quality=50, title="Mid")
    high = make_article(quality=90, title="High")
    make_article(quality=70, state="published", title="Elsewhere")
    query = "sort=-quality"
    html = editor_client.get(detail(mid, query)).content.decode()
    assert re.search(rf'id="previous-item" rel="prev" href="/curate/articles/{high.pk}/\?sort=-quality"', html)
    assert re.search(rf'id="next-item" rel="next" href="/curate/articles/{low.pk}/\?sort=-quality"', html)
    # Another filter, another neighbourhood.
    html = editor_client.get(detail(mid, "state=all&sort=-quality")).content.decode()
    assert "Elsewhere" in html and f"/curate/articles/{low.pk}/?state=all&amp;sort=-quality" in html
    # The ends of the queue have no link.
    assert 'id="previous-item"' not in editor_client.get(detail(high, query)).content.decode()


def test_next_still_works_after_the_article_left_the_queue(editor_client):
    first = make_article(quality=90)
    second = make_article(quality=50)
    editor_client.post(action_url(first, "publish"), {"expected_version": 1})
    html = editor_client.get(detail(first, "sort=-quality")).content.decode()
    assert f'id="next-item" rel="next" href="/curate/articles/{second.pk}/' in html


# --- actions ------------------------------------------------------------------------------


def test_publish_with_a_plain_form(editor_client, editor):
    article = make_article(title="Good story")
    back = detail(article, "sort=-quality")
    response = editor_client.post(action_url(article, "publish"), {"expected_version": 1, "next": back}, follow=True)
    assert response.redirect_chain[-1][0] == back
    assert "Published “Good story”." in messages_of(response)
    article.refresh_from_db()
    assert article.state == ArticleState.PUBLISHED and article.version == 2
    audit = article.actions.get()
    assert (audit.action, audit.actor, audit.before["state"], audit.after["state"]) == (
        "publish",
        editor,
        "new",
        "published",
    )


def test_in_place_action_returns_the_new_state_and_fresh_buttons(editor_client):
    article = make_article()
    response = editor_client.post(action_url(article, "publish"), {"expected_version": 1, "compact": "1"}, **JSON)
    assert response.status_code == 200
    data = response.json()
    assert data["state"] == "published" and data["version"] == 2
    assert ">Unpublish</button>" in data["actions_html"] and 'value="2"' in data["actions_html"]


def test_in_place_action_on_the_article_page_returns_its_history_with_the_new_entry(editor_client, editor):
    article = make_article()
    response = editor_client.post(action_url(article, "publish"), {"expected_version": 1}, **JSON)
    data = response.json()
    assert data["history_html"].startswith('<section class="history">')
    assert f"<strong>Published</strong> by {editor.username}" in data["history_html"]
    # And its "Same story" panel, where the item's state shows too.
    assert data["story_html"].startswith('<section class="same-story"')
    # A queue row has no history or panel to refresh.
    response = editor_client.post(action_url(article, "unpublish"), {"expected_version": 2, "compact": "1"}, **JSON)
    assert response.json()["history_html"] is None and response.json()["story_html"] is None


def test_reject_records_the_reason_and_restore_brings_it_back(editor_client):
    article = make_article()
    editor_client.post(action_url(article, "reject"), {"expected_version": 1, "reason": "Duplicate"})
    article.refresh_from_db()
    assert article.state == "rejected" and article.rejection_reason == "Duplicate"
    editor_client.post(action_url(article, "restore"), {"expected_version": 2})
    article.refresh_from_db()
    assert article.state == "new"
    assert list(article.actions.order_by("id").values_list("action", flat=True)) == ["reject", "restore"]


def test_stale_page_conflicts_in_place_with_409_and_the_first_decision_stands(editor_client, editor):
    article = make_article(title="Contested")
    other = make_article(title="x")  # noqa: F841 - a second row, so the queue is not trivially empty
    assert editor_client.post(action_url(article, "publish"), {"expected_version": 1}, **JSON).status_code == 200
    # A colleague's page still says version 1.
    response = editor_client.post(action_url(article, "reject"), {"expected_version": 1}, **JSON)
    assert response.status_code == 409
    assert "changed by someone else" in response.json()["error"]
    article.refresh_from_db()
    assert article.state == "published" and article.version == 2
    assert article.actions.count() == 1


def test_stale_page_conflicts_with_a_message_for_a_plain_form(editor_client):
    article = make_article(title="Contested")
    editor_client.post(action_url(article, "publish"), {"expected_version": 1})
    response = editor_client.post(action_url(article, "reject"), {"expected_version": 1}, follow=True)
    assert response.redirect_chain[0][1] == 302
    assert any("changed by someone else" in m for m in messages_of(response))
    article.refresh_from_db()
    assert article.state == "published"


def test_an_impossible_transition_is_explained(editor_client):
    article = make_article(state="new")
    response = editor_client.post(action_url(article, "unpublish"), {"expected_version": 1}, **JSON)
    assert response.status_code == 400 and "cannot be unpublished" in response.json()["error"]
    response = editor_client.post(action_url(article, "unpublish"), {"expected_version": 1}, follow=True)
    assert any("cannot be unpublished" in m for m in messages_of(response))
    assert Article.objects.get(pk=article.pk).state == "new"


def test_body_only_item_cannot_be_published_until_completed(editor_client):
    item = make_article(has_front_matter=False, needs_metadata=True, web_url="", source_key="b" * 64)
    response = editor_client.post(action_url(item, "publish"), {"expected_version": 1}, **JSON)
    assert response.status_code == 400 and "metadata" in response.json()["error"]


# --- bulk ---------------------------------------------------------------------------------


def test_bulk_publish_reports_successes_and_names_failures(editor_client, editor):
    good = [make_article(title=f"Good {n}") for n in range(3)]
    already = make_article(title="Already out", state="published")
    response = editor_client.post(
        reverse("curation:bulk-action"),
        {"action": "publish", "ids": [a.pk for a in good] + [already.pk], "next": "/curate/?state=all"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/curate/?state=all"
    (message,) = messages_of(response)
    assert ">Undo</button>" in response.content.decode()  # in the message (curation/_undo.html)
    assert message.startswith("3 items published.") and "1 failed" in message and "Already out" in message
    assert Article.objects.filter(state="published").count() == 4
    assert EditorialAction.objects.filter(via="bulk", actor=editor).count() == 3


def test_bulk_reject_with_a_reason(editor_client):
    items = [make_article() for _ in range(2)]
    editor_client.post(
        reverse("curation:bulk-action"), {"action": "reject", "ids": [a.pk for a in items], "reason": "Spam"}
    )
    assert set(Article.objects.values_list("state", "rejection_reason")) == {("rejected", "Spam")}


def test_bulk_without_a_selection_says_so(editor_client):
    response = editor_client.post(reverse("curation:bulk-action"), {"action": "publish"}, follow=True)
    assert "Select at least one item." in messages_of(response)


def test_bulk_failure_names_are_escaped(editor_client):
    hostile = make_article(title="<script>alert(1)</script>", state="published")
    response = editor_client.post(
        reverse("curation:bulk-action"), {"action": "publish", "ids": [hostile.pk]}, follow=True
    )
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_json_error_bodies_are_json(editor_client):
    article = make_article()
    response = editor_client.post(action_url(article, "restore"), {"expected_version": 1}, **JSON)
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["ok"] is False


def test_article_page_links_carry_only_the_queue_parameters(editor_client):
    first, second = make_article(quality=90), make_article(quality=50)
    html = editor_client.get(detail(first, "sort=-quality&size=20&attach_q=zzz&after=junk~1&utm=x")).content.decode()
    assert f'href="/curate/articles/{second.pk}/?sort=-quality&amp;size=20"' in html
    assert 'href="/curate/?sort=-quality&amp;size=20" class="back"' in html
    html = editor_client.get(detail(second, "sort=-quality")).content.decode()
    back = re.search(r'href="(/curate/\?[^"]+)" class="back"', html).group(1).replace("&amp;", "&")
    assert ids_on_queue(editor_client, back)[0] == second.pk  # the queue page that starts at this article


def ids_on_queue(client, url):
    return [
        int(pk)
        for pk in re.findall(r'<tr class="queue-row[^"]*" data-article-id="(\d+)"', client.get(url).content.decode())
    ]


def test_long_histories_show_the_latest_entries(editor_client, monkeypatch):
    from curation import selectors

    monkeypatch.setattr(selectors, "HISTORY_ROWS", 3)
    article = make_article()
    for _ in range(2):
        editor_client.post(
            action_url(article, "reject"), {"expected_version": Article.objects.get(pk=article.pk).version}
        )
        editor_client.post(
            action_url(article, "restore"), {"expected_version": Article.objects.get(pk=article.pk).version}
        )
    html = editor_client.get(detail(article)).content.decode()
    history = html[html.index('class="history"') : html.index('class="import-history"')]
    assert history.count("<li>") == 3 and "Showing the latest 3." in history
    assert history.index("Restored") < history.index("Rejected")  # newest first
