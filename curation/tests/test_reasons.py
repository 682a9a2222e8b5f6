"""Rejection reasons: codes editors pick (admins keep the list), stored on the article and
the audit row, shown in history, filterable in the queue."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from curation.models import Article, ArticleState, EditorialAction, RejectionReason
from curation.services import editorial
from curation.services.editorial import InvalidEdit
from curation.tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def default_reasons(db):
    # The migration's own list (a transactional test elsewhere may have flushed it).
    migration = importlib.import_module("curation.migrations.0012_rejection_reasons")
    migration.add_default_reasons(apps, None)


def test_a_rejection_keeps_its_code_and_note_on_the_article_and_the_audit_row(editor):
    article = make_article()
    editorial.reject_article(article=article, user=editor, reason_code="paywalled", reason="needs a subscription")
    article.refresh_from_db()
    assert (article.state, article.rejection_code, article.rejection_reason) == (
        ArticleState.REJECTED,
        "paywalled",
        "needs a subscription",
    )
    entry = EditorialAction.objects.get(article=article, action="reject")
    assert (entry.reason_code, entry.reason) == ("paywalled", "needs a subscription")


def test_an_unknown_or_retired_code_is_refused_and_nothing_changes(editor):
    article = make_article()
    with pytest.raises(InvalidEdit, match="not one of the reasons offered"):
        editorial.reject_article(article=article, user=editor, reason_code="no-such-reason")
    RejectionReason.objects.filter(code="outdated").update(active=False)
    with pytest.raises(InvalidEdit):
        editorial.reject_article(article=article, user=editor, reason_code="outdated")
    article.refresh_from_db()
    assert article.state == ArticleState.NEW and not EditorialAction.objects.exists()


def test_other_needs_words(editor):
    article = make_article()
    with pytest.raises(InvalidEdit, match="needs a note"):
        editorial.reject_article(article=article, user=editor, reason_code="other", reason="  ")
    editorial.reject_article(article=article, user=editor, reason_code="other", reason="a press release")
    assert Article.objects.get(pk=article.pk).rejection_code == "other"


def test_restoring_or_publishing_forgets_why_it_was_rejected(editor):
    first, second = make_article(), make_article()
    for article in (first, second):
        editorial.reject_article(article=article, user=editor, reason_code="duplicate")
    editorial.restore_article(article=first, user=editor)
    editorial.publish_article(article=second, user=editor)
    for article in (first, second):
        article.refresh_from_db()
        assert (article.rejection_code, article.rejection_reason) == ("", "")


def test_a_bulk_rejection_checks_the_reason_once_and_records_it_on_each(editor):
    articles = [make_article() for _ in range(3)]
    with pytest.raises(InvalidEdit):
        editorial.bulk_transition(action="reject", article_ids=[a.pk for a in articles], user=editor, reason_code="x")
    assert not EditorialAction.objects.exists()
    result = editorial.bulk_transition(
        action="reject", article_ids=[a.pk for a in articles], user=editor, reason_code="low-quality"
    )
    assert len(result.succeeded) == 3
    assert set(EditorialAction.objects.values_list("reason_code", flat=True)) == {"low-quality"}


def test_the_article_page_offers_the_reasons_and_history_shows_the_label(editor, editor_client):
    article = make_article()
    page = editor_client.get(f"/curate/articles/{article.pk}/").content.decode()
    assert '<option value="paywalled">Paywalled</option>' in page
    response = editor_client.post(
        f"/curate/articles/{article.pk}/reject/",
        {"expected_version": article.version, "reason_code": "off-topic", "reason": "sports"},
    )
    assert response.status_code == 302
    RejectionReason.objects.filter(code="off-topic").update(label="Not our beat")  # admins reword labels
    from django.core.cache import cache

    cache.clear()
    page = editor_client.get(f"/curate/articles/{article.pk}/").content.decode()
    assert "Rejected because: Not our beat — sports" in page
    assert "Reason: Not our beat — sports" in page  # the history


def test_a_refused_reason_is_told_to_the_editor_not_a_500(editor_client):
    article = make_article()
    response = editor_client.post(
        f"/curate/articles/{article.pk}/reject/",
        {"expected_version": article.version, "reason_code": "other"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400 and "needs a note" in response.json()["error"]


def test_the_queue_filters_by_reason(editor, editor_client):
    paywalled, duplicate = make_article(title="Behind a wall"), make_article(title="Seen before")
    editorial.reject_article(article=paywalled, user=editor, reason_code="paywalled")
    editorial.reject_article(article=duplicate, user=editor, reason_code="duplicate")
    page = editor_client.get("/curate/", {"state": "rejected", "reason": "paywalled"}).content.decode()
    assert "Behind a wall" in page and "Seen before" not in page
    assert editor_client.get("/curate/", {"state": "rejected", "reason": "nonsense"}).status_code == 400


def test_a_reason_added_later_is_offered_by_the_queue_filter(editor_client, settings):
    """The filter form is built once a process; its reasons are still read on each page."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert 'value="embargo-breach"' not in editor_client.get("/curate/").content.decode()
    RejectionReason.objects.create(code="embargo-breach", label="Breaks an embargo", position=99)
    page = editor_client.get("/curate/").content.decode()
    reason_filter = page[page.index('id="id_reason"') :].split("</select>")[0]
    assert '<option value="embargo-breach">Breaks an embargo</option>' in reason_filter


@pytest.mark.parametrize("by", ["item", "story"])
def test_every_queue_row_offers_the_reasons_in_its_reject_menu(editor_client, by, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    article = make_article(title="Needs a decision")
    editor_client.post(reverse("curation:queue-mode"), {"by": by})
    page = editor_client.get("/curate/").content.decode()
    menu = page[page.index(f'data-actions-for="{article.pk}"') :].split("</details>")[0]
    offered = list(RejectionReason.objects.offered().values_list("code", "needs_note"))
    # A reason that needs a note is a link to the item's page; every other one is a button.
    buttons = [code for code, needs_note in offered if not needs_note]
    assert len(buttons) >= 3 and all(f'data-reason="{code}"' in menu for code in buttons)
    assert "No reason given" in menu and ("reject_with=" in menu) == any(needs for _, needs in offered)


@pytest.mark.parametrize("by", ["item", "story"])
def test_each_rows_reject_menu_carries_its_own_address_and_version(editor_client, by, settings):
    """The menu is drawn once a page and each row's values put in (views.rows.ReasonMenu):
    every row's buttons still post to its own item with the version it shows, its link with
    a note to its own page with the queue's filters, and a label with markup is text."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    RejectionReason.objects.create(code="says-no", label='Says "no" <b>&\' twice', position=98)
    first, second = make_article(title="First"), make_article(title="Second")
    Article.objects.filter(pk=second.pk).update(version=7)
    editor_client.post(reverse("curation:queue-mode"), {"by": by})
    page = editor_client.get("/curate/", {"state": "new", "sort": "-imported"}).content.decode()
    for article, version in ((first, 1), (second, 7)):
        menu = page[page.index(f'data-actions-for="{article.pk}"') :].split("</details>")[0]
        reject = reverse("curation:article-action", args=[article.pk, "reject"])
        assert f'formaction="{reject}" name="expected_version" value="{version}"' in menu
        assert f'formaction="{reject}?reason_code=says-no" name="expected_version" value="{version}"' in menu
        assert 'data-reason="says-no"><kbd>7</kbd> Says &#34;no&#34; &lt;b&gt;&amp;&#39; twice</button>' in menu
        page_of = reverse("curation:article-detail", args=[article.pk])
        assert f'href="{page_of}?state=new&amp;sort=-imported&amp;reject_with=other"' in menu
        buttons = RejectionReason.objects.offered().filter(needs_note=False).count()
        assert menu.count(f'value="{version}" class="menu-item"') == 1 + buttons


def test_the_reject_menu_filled_in_is_the_menu_drawn_for_the_row():
    from curation.views.rows import ReasonMenu

    reasons = [(1, "a&b", "?reason_code=a%26b", 'Quote " and \' <i>', False), (2, "other", "?reason_code=other", "Other", True)]
    for detail_url in ("/curate/articles/5/", "/curate/articles/5/?q=%22x%22&state=all"):
        for url, version in (("/curate/articles/5/reject/", 3), ('/x/"<&>\'/', None)):
            menu = ReasonMenu(reasons)
            note_url = f"{detail_url}{'&' if '?' in detail_url else '?'}reject_with="
            assert menu.for_row(url, version, detail_url) == menu.draw(url, version, note_url, reasons)
    # Text holding a marker's character is drawn for each row, not filled in.
    odd = [(1, "odd", "?reason_code=odd", "Odd \x00a\x00 label", False)]
    menu = ReasonMenu(odd)
    assert menu.stencil is None
    assert menu.for_row("/r/", 2, "/d/") == menu.draw("/r/", 2, "/d/?reject_with=", odd)


def test_admins_reword_reorder_and_retire_reasons_but_never_delete_one(client):
    from curation.tests.factories import make_user

    client.force_login(make_user(role="superuser"))
    reason = RejectionReason.objects.get(code="outdated")
    page = client.get(f"/admin/curation/rejectionreason/{reason.pk}/change/").content.decode()
    assert 'name="code"' not in page  # a code in use keeps its meaning
    assert client.get(f"/admin/curation/rejectionreason/{reason.pk}/delete/").status_code == 403
