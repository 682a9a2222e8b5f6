"""Items the source changed after editors worked on them: the filter that finds them, the
source's value beside the editor's on the article page, "take the source's value" per
field and "mark as reviewed" (both audited, permission- and version-checked)."""

import pytest
from django.urls import reverse

from curation.models import Article, EditorialAction
from curation.services import source_changes
from curation.services.editorial import ConflictError, edit_article
from curation.services.importing import import_seed_files
from curation.tests.factories import make_article, make_user, seed_text, valid_front_matter

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed(tmp_path, editor):
    """Imported, edited by an editor (title and topics), then changed at the source."""
    seed = tmp_path / "story.md"
    seed.write_text(seed_text(body="Body.", **valid_front_matter(1, title="Source title", topics=["Science"])))
    import_seed_files([tmp_path])
    article = Article.objects.get()
    edit_article(article=article, user=editor, title="Editor title", topics=["Space"], create_topics=["Space"])
    seed.write_text(
        seed_text(body="Body v2.", **valid_front_matter(1, title="Source title v2", topics=["Science", "Physics"]))
    )
    import_seed_files([tmp_path])
    article.refresh_from_db()
    article.seed = seed
    return article


def detail(article):
    return reverse("curation:article-detail", args=[article.pk])


def test_the_page_shows_the_source_value_beside_the_kept_one(editor_client, changed):
    assert changed.source_changed_at is not None
    html = editor_client.get(detail(changed)).content.decode()
    assert 'id="source-changes"' in html
    assert "Editor title" in html and "Source title v2" in html
    assert "Physics, Science" in html  # the source's topics beside the editor's
    assert html.count(">Take the source's value<") == 2


def test_differences_are_only_the_edited_fields_that_differ(changed):
    assert [d.name for d in source_changes.source_differences(changed)] == ["title", "topics"]
    fresh = make_article(title="Untouched", source_changed_at=changed.source_changed_at)
    assert source_changes.source_differences(fresh) == []


def test_taking_the_source_title_is_recorded_and_hands_the_field_back_to_imports(editor_client, changed, tmp_path):
    response = editor_client.post(
        reverse("curation:article-take-source", args=[changed.pk, "title"]), {"expected_version": changed.version}
    )
    assert response.status_code == 302
    article = Article.objects.get(pk=changed.pk)
    assert article.title == "Source title v2"
    assert "title" not in article.edited_fields and "topics" in article.edited_fields
    action = EditorialAction.objects.filter(article=article).latest("id")
    assert action.action == EditorialAction.Action.TAKE_SOURCE
    assert action.before == {"title": "Editor title", "version": changed.version}
    assert action.after["title"] == "Source title v2"
    page = editor_client.get(detail(article)).content.decode()
    assert "now has the source" in page and "Took the source&#x27;s value" in page
    # The next import refreshes the title again; the topics stay the editor's.
    changed.seed.write_text(
        seed_text(body="Body v3.", **valid_front_matter(1, title="Source title v3", topics=["Chemistry"]))
    )
    import_seed_files([tmp_path])
    article.refresh_from_db()
    assert article.title == "Source title v3"
    assert [t.name for t in article.topics.all()] == ["Space"]


def test_taking_the_source_topics(editor_client, changed):
    editor_client.post(reverse("curation:article-take-source", args=[changed.pk, "topics"]))
    assert sorted(t.name for t in Article.objects.get(pk=changed.pk).topics.all()) == ["Physics", "Science"]


def test_taking_a_value_from_a_stale_page_is_refused(editor_client, changed, editor):
    with pytest.raises(ConflictError):
        source_changes.take_source_value(article=changed, field="title", user=editor, expected_version=changed.version - 1)
    response = editor_client.post(
        reverse("curation:article-take-source", args=[changed.pk, "title"]), {"expected_version": changed.version - 1},
        follow=True,
    )
    assert "changed by someone else" in response.content.decode()
    assert Article.objects.get(pk=changed.pk).title == "Editor title"


def test_taking_a_value_that_already_matches_is_explained(editor_client, changed):
    url = reverse("curation:article-take-source", args=[changed.pk, "title"])
    editor_client.post(url)
    response = editor_client.post(url, follow=True)
    assert "already is the source" in response.content.decode()
    assert EditorialAction.objects.filter(action=EditorialAction.Action.TAKE_SOURCE).count() == 1


def test_unknown_field_is_404(editor_client, changed):
    assert editor_client.post(reverse("curation:article-take-source", args=[changed.pk, "secured"])).status_code == 404


def test_viewers_see_the_difference_but_no_buttons_and_cannot_post(viewer_client, changed):
    html = viewer_client.get(detail(changed)).content.decode()
    assert "Source title v2" in html and "Take the source" not in html and "Mark as reviewed" not in html
    response = viewer_client.post(reverse("curation:article-take-source", args=[changed.pk, "title"]))
    assert response.status_code == 403
    assert Article.objects.get(pk=changed.pk).title == "Editor title"


def test_the_queue_filter_finds_source_changed_items_and_review_clears_them(editor_client, changed):
    make_article(title="Quiet item")
    queue = reverse("curation:queue")
    html = editor_client.get(queue, {"state": "all", "source_changed": "yes"}).content.decode()
    assert "Editor title" in html and "Quiet item" not in html
    html = editor_client.get(queue, {"state": "all", "source_changed": "no"}).content.decode()
    assert "Editor title" not in html and "Quiet item" in html
    response = editor_client.post(
        reverse("curation:article-source-reviewed", args=[changed.pk]), {"expected_version": changed.version}
    )
    assert response.status_code == 302
    article = Article.objects.get(pk=changed.pk)
    assert article.source_changed_at is None and article.title == "Editor title"
    assert EditorialAction.objects.filter(article=article).latest("id").action == "source_reviewed"
    editor_client.get(detail(article))  # shows (and so clears) the message
    assert "Editor title" not in editor_client.get(queue, {"state": "all", "source_changed": "yes"}).content.decode()


def test_an_unreadable_front_matter_offers_nothing(changed):
    Article.objects.filter(pk=changed.pk).update(front_matter_raw="title: [unclosed")
    changed.refresh_from_db()
    assert source_changes.source_differences(changed) == []


def test_a_user_without_permission_is_refused_by_the_service(changed):
    nobody = make_user(role=None)
    with pytest.raises(Exception) as caught:
        source_changes.take_source_value(article=changed, field="title", user=nobody)
    assert type(caught.value).__name__ == "PermissionDenied"
