"""The admin back office's pages: hostile text escaped everywhere, the article change page
through the editorial service, and the smaller admins (ledger, runs, audit log, providers,
topics). Actions and the changelist's cost are in test_admin.py."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from curation.models import Article, EditorialAction, ImportLedgerEntry, ImportRun, Topic
from curation.services.editorial import publish_article
from curation.tests.factories import make_article, make_provider, make_topic, make_user

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:curation_article_changelist")
HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def post_change_form(client, article, **fields):
    """Submit the change page as a browser would: its hidden inputs (inline management
    forms, the version it was loaded at) plus the given fields."""
    url = reverse("admin:curation_article_change", args=[article.pk])
    page = client.get(url).content.decode()
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    data.pop("csrfmiddlewaretoken", None)
    data.update(fields)
    return client.post(url, data)


# --- hostile text ------------------------------------------------------------------------------


@pytest.fixture
def hostile(db):
    topic = make_topic(name=HOSTILE)
    provider = make_provider(name=HOSTILE, domain="evil.example")
    article = make_article(
        title=HOSTILE,
        excerpt=f"{HOSTILE} harbour",
        category=HOSTILE,
        article_type=HOSTILE,
        topics=[topic],
        provider=provider,
        images=["https://img.example/x.jpg"],
        related=[{"title": HOSTILE, "web_url": "javascript:alert(1)"}],
        front_matter_raw=f"title: {HOSTILE!r}\nsecured: 'TOPSECRETBLOB'\n",
        secured="TOPSECRETBLOB",
        published_at=datetime.datetime(2024, 2, 9, 12, tzinfo=datetime.UTC),
    )
    publish_article(article=article, user=make_user(role="editor"))
    return article, topic, provider


def assert_escaped(response):
    assert response.status_code == 200
    html = response.content.decode()
    assert HOSTILE not in html
    assert ESCAPED in html
    return html


def test_hostile_text_is_escaped_on_the_changelist_and_in_every_filter(superuser_admin, hostile):
    article, topic, provider = hostile
    queries = [
        {},
        {"state__exact": "published"},
        {"topic": topic.pk},
        {"topic_q": "script"},
        {"provider": provider.pk},
        {"provider_q": "script"},
        {"category": HOSTILE},
        {"article_type": HOSTILE},
        {"heat_known": "no"},
        {"quality_band": "good"},
        {"needs_metadata__exact": "0"},
        {"published_at__year": 2024},
        {"published_at__year": 2024, "published_at__month": 2},
        {"published_at__year": 2024, "published_at__month": 2, "published_at__day": 9},
        {"q": "harbour"},
        {"o": "-3"},
    ]
    for params in queries:
        html = assert_escaped(superuser_admin.get(CHANGELIST, params))
        assert f'href="{reverse("admin:curation_article_change", args=[article.pk])}' in html, params


def test_hostile_text_is_escaped_on_the_change_page_and_other_admins(superuser_admin, viewer_admin, hostile):
    article, topic, provider = hostile
    change = reverse("admin:curation_article_change", args=[article.pk])
    for client in (superuser_admin, viewer_admin):
        html = assert_escaped(client.get(change))
        assert 'href="javascript:' not in html
        # The Content-Security-Policy forbids inline scripts, styles and handlers.
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        assert not re.search(r'\s(style|on[a-z]+)="', html)
    for name in ("provider", "topic", "editorialaction"):
        assert_escaped(superuser_admin.get(reverse(f"admin:curation_{name}_changelist")))
    assert_escaped(superuser_admin.get(reverse("admin:curation_provider_change", args=[provider.pk])))


# --- change page -------------------------------------------------------------------------------


def test_change_page_shows_imported_data_read_only_and_secured_only_as_fingerprint(editor_admin):
    article = make_article(
        title="Readable",
        front_matter_raw='title: "Readable"\nquality: 70\nprovider: {name: P, domain: p.example}\nsecured: "SECRETBLOB"\n',
        secured="SECRETBLOB",
        images=["https://img.example/1.jpg"],
        related=[{"title": "Elsewhere", "web_url": "https://other.example/story"}],
        web_url="https://news.example/readable",
    )
    html = editor_admin.get(reverse("admin:curation_article_change", args=[article.pk])).content.decode()

    assert "SECRETBLOB" not in html
    assert article.secured_fingerprint in html
    assert '<pre class="front-matter">' in html
    assert "provider: {name: P, domain: p.example}" in html  # the source's own text
    assert f'href="{reverse("curation:article-detail", args=[article.pk])}"' in html
    assert 'href="https://img.example/1.jpg"' in html and "Elsewhere" in html
    # editable: title, excerpt, topics; imported columns are not inputs
    assert 'name="title"' in html and 'name="excerpt"' in html and 'name="topic_names"' in html
    for imported in ("quality", "web_url", "category", "body", "state", "secured"):
        assert f'name="{imported}"' not in html
    assert 'name="images-0-url"' not in html  # inlines are read-only


def test_unparseable_front_matter_is_hidden_rather_than_risk_the_secured_value(superuser_admin):
    # The same policy as the curator's article page (curation.redaction): when unsure, hide.
    article = make_article(front_matter_raw="title: [unclosed\nsecured: TOPSECRETBLOB\n", secured="TOPSECRETBLOB")
    html = superuser_admin.get(reverse("admin:curation_article_change", args=[article.pk])).content.decode()
    assert "TOPSECRETBLOB" not in html and "title: [unclosed" not in html
    assert "it can no longer be read safely" in html


def test_an_empty_database_shows_an_empty_list(superuser_admin):
    html = superuser_admin.get(CHANGELIST).content.decode()
    assert "0 articles" in html
    assert "published_at__year=" not in html  # no dates, no date links


def test_odd_parameters_do_not_break_the_changelist(superuser_admin):
    make_article(title="Still here")
    for params in (
        {"topic": "999999"},
        {"topic": "9" * 30},  # no column holds that number
        {"provider": "-1"},
        {"provider": "abc"},
        {"o": "1"},  # the title column does not sort
        {"o": "x.-9"},
        {"quality_band": "nonsense"},
        {"provider_q": "x" * 500},
        {"category": "no such category"},
    ):
        response = superuser_admin.get(CHANGELIST, params)
        assert response.status_code == 200, params
    assert superuser_admin.get(CHANGELIST, {"published_at__year": "abc"}).status_code == 302  # ?e=1


def test_saving_the_change_form_goes_through_edit_article(editor_admin, staff_editor):
    article = make_article(title="Before", excerpt="Old", topics=["Science"])
    change = reverse("admin:curation_article_change", args=[article.pk])

    response = post_change_form(
        editor_admin, article, title="  After  ", excerpt="New excerpt", topic_names="Science\nPolicy\n"
    )

    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.excerpt, article.version) == ("After", "New excerpt", 2)
    assert sorted(article.topics.values_list("name", flat=True)) == ["Policy", "Science"]
    assert article.edited_fields == ["excerpt", "title", "topics"]
    entry = EditorialAction.objects.get(article=article)
    assert (entry.action, entry.via, entry.actor) == ("edit", "admin", staff_editor)
    assert entry.before["title"] == "Before" and entry.after["topics"] == ["Science", "Policy"]

    html = editor_admin.get(change).content.decode()
    assert "audit history" in html.lower() and "Edited" in html


def test_a_stale_change_form_is_refused(editor_admin):
    article = make_article(title="Original")
    # The editor opened the page at version 1; a colleague published it since (version 2).
    publish_article(article=article, user=make_user(role="editor"))

    response = post_change_form(editor_admin, article, title="Mine", expected_version="1")

    assert response.status_code == 200
    assert "Someone else changed this article" in response.content.decode()
    article.refresh_from_db()
    assert article.title == "Original"
    assert EditorialAction.objects.filter(action="edit").count() == 0


def test_a_refusal_by_the_service_is_reported_and_nothing_is_logged(editor_admin, monkeypatch):
    from django.contrib.admin.models import LogEntry

    from curation.services.editorial import ConflictError

    def conflict(**kwargs):
        raise ConflictError("“Racing” was changed by someone else at the same moment. Reload.")

    article = make_article(title="Racing")
    monkeypatch.setattr("curation.admin.articles.edit_article", conflict)

    response = post_change_form(editor_admin, article, title="Mine")

    assert response.status_code == 302 and response.url == reverse("admin:curation_article_change", args=[article.pk])
    html = editor_admin.get(response.url).content.decode()
    assert "Not saved: “Racing” was changed by someone else" in html
    assert "was changed successfully" not in html
    assert not LogEntry.objects.exists()
    assert Article.objects.get(pk=article.pk).title == "Racing"


def test_an_empty_title_is_refused(editor_admin):
    article = make_article(title="Keep me")
    response = post_change_form(editor_admin, article, title="   ")
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert Article.objects.get(pk=article.pk).title == "Keep me"


def test_viewer_sees_the_change_page_read_only_and_cannot_post(viewer_admin):
    article = make_article(title="Look only", topics=["Science"])
    change = reverse("admin:curation_article_change", args=[article.pk])

    html = viewer_admin.get(change).content.decode()
    assert 'name="title"' not in html and "Science" in html

    response = viewer_admin.post(change, {"title": "Hacked", "excerpt": "", "topic_names": "", "expected_version": 1})
    assert response.status_code == 403
    assert Article.objects.get(pk=article.pk).title == "Look only"


def test_articles_cannot_be_added_or_deleted_in_the_admin(superuser_admin):
    article = make_article()
    assert superuser_admin.get(reverse("admin:curation_article_add")).status_code == 403
    assert superuser_admin.get(reverse("admin:curation_article_delete", args=[article.pk])).status_code == 403
    assert "delete_selected" not in superuser_admin.get(CHANGELIST).content.decode()


# --- ledger, runs, audit log, providers, topics -----------------------------------------------------


def make_run_with_entries():
    now = timezone.now()
    run = ImportRun.objects.create(started_at=now, finished_at=now, created=1, failed=2)
    ok = make_article()
    ImportLedgerEntry.objects.create(
        run=run, path="seeds/good.md", sha256="a" * 64, status="created", article=ok, created_at=now
    )
    ImportLedgerEntry.objects.create(
        run=run,
        path="seeds/broken.md",
        sha256="b" * 64,
        status="failed",
        error="front matter: line 3: mapping values are not allowed",
        created_at=now,
    )
    ImportLedgerEntry.objects.create(
        run=run,
        path="seeds/huge.md",
        sha256="",
        status="failed",
        error="file is larger than 2097152 bytes",
        created_at=now,
    )
    return run


def test_ledger_filter_by_failed_shows_failed_files_and_why(superuser_admin):
    run = make_run_with_entries()
    ledger = reverse("admin:curation_importledgerentry_changelist")

    html = superuser_admin.get(ledger).content.decode()
    assert "status__exact=failed" in html  # the filter is one click away

    html = superuser_admin.get(ledger, {"status__exact": "failed"}).content.decode()
    assert "seeds/broken.md" in html and "mapping values are not allowed" in html
    assert "seeds/huge.md" in html and "larger than 2097152 bytes" in html
    assert "seeds/good.md" not in html

    run_page = superuser_admin.get(reverse("admin:curation_importrun_changelist")).content.decode()
    assert f"run__id__exact={run.pk}&amp;status__exact=failed" in run_page


def test_ledger_and_audit_log_are_read_only(superuser_admin, editor_admin):
    make_run_with_entries()
    entry = ImportLedgerEntry.objects.first()
    article = make_article()
    publish_article(article=article, user=make_user(role="editor"))
    action = EditorialAction.objects.get()

    for client in (superuser_admin, editor_admin):
        for name in ("importledgerentry", "editorialaction", "importrun"):
            assert client.get(reverse(f"admin:curation_{name}_add")).status_code == 403
        assert client.get(reverse("admin:curation_importledgerentry_delete", args=[entry.pk])).status_code == 403
        assert client.get(reverse("admin:curation_editorialaction_delete", args=[action.pk])).status_code == 403
        html = client.get(reverse("admin:curation_editorialaction_change", args=[action.pk])).content.decode()
        assert 'name="action"' not in html and "Published" in html
        client.post(reverse("admin:curation_editorialaction_change", args=[action.pk]), {"reason": "rewritten"})
    action.refresh_from_db()
    assert action.reason == ""


def test_audit_log_lists_and_filters_actions(superuser_admin):
    article = make_article(title="Audited")
    publish_article(article=article, user=make_user(role="editor"), via="curator")
    url = reverse("admin:curation_editorialaction_changelist")
    html = superuser_admin.get(url, {"action__exact": "publish", "via": "curator"}).content.decode()
    assert "Audited" in html
    assert "Audited" not in superuser_admin.get(url, {"via": "admin"}).content.decode()
    assert "Audited" in superuser_admin.get(url, {"q": str(article.pk)}).content.decode()
    assert superuser_admin.get(url, {"q": "not-a-number"}).status_code == 200


def test_provider_and_topic_admins_search_and_link_to_their_articles(superuser_admin):
    provider = make_provider(name="Lighthouse Daily", domain="lighthouse.example")
    topic = make_topic(name="Lighthouses")
    html = superuser_admin.get(reverse("admin:curation_provider_changelist"), {"q": "lighthouse"}).content.decode()
    assert "Lighthouse Daily" in html and f"?provider={provider.pk}" in html
    html = superuser_admin.get(reverse("admin:curation_topic_changelist"), {"q": "lighthouse"}).content.decode()
    assert "Lighthouses" in html and f"?topic={topic.pk}" in html
    html = superuser_admin.get(reverse("admin:curation_topic_add")).content.decode()
    assert 'name="slug"' in html
    # The admin shows help texts as HTML: "/topics/<slug>/" read as "/topics//".
    assert "address (/topics/ then the slug)" in html and "<slug>" not in html


def test_a_new_topic_whose_slug_is_taken_gets_the_disambiguated_one(superuser_admin):
    make_topic(name="AI")
    response = superuser_admin.post(reverse("admin:curation_topic_add"), {"name": "ai", "slug": ""})
    assert response.status_code == 302
    assert Topic.objects.get(name="ai").slug == Topic.slug_for("ai", disambiguate=True)


def test_an_articles_history_is_its_audit_log_whichever_door_wrote_it(superuser_admin, staff_editor):
    # The stock History button said "no change history" for an article published elsewhere.
    article, other = make_article(), make_article()
    publish_article(article=article, user=staff_editor, via="curator")
    publish_article(article=other, user=staff_editor, via="curator")
    response = superuser_admin.get(reverse("admin:curation_article_history", args=[article.pk]), follow=True)
    html = response.content.decode()
    assert "doesn’t have a change history" not in html
    assert "An article&#x27;s number (its history)" in html  # what the search box holds, said
    rows = re.findall(r'<tr[^>]*>.*?</tr>', html.split("<tbody>", 1)[1], re.S)
    assert len(rows) == 1 and "Published" in rows[0] and staff_editor.username in rows[0]
