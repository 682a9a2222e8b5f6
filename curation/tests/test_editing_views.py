"""Editing an article and completing or attaching a body-only item, as an editor does it in the
browser. The article page and its actions are in test_views.py."""

import pytest
from django.urls import reverse

from curation.models import (
    Article,
    ArticleState,
    EditorialAction,
)
from curation.services.importing import import_seed_files
from curation.tests.factories import make_article, make_body_only, seed_text, valid_front_matter
from curation.tests.test_views import JSON, action_url, detail, messages_of

pytestmark = pytest.mark.django_db


# --- edit ---------------------------------------------------------------------------------


def test_edit_title_excerpt_and_topics_is_recorded(editor_client, editor):
    article = make_article(title="Old title", topics=["Science"])
    url = reverse("curation:article-edit", args=[article.pk])
    form_page = editor_client.get(url).content.decode()
    assert 'value="Old title"' in form_page and 'value="Science"' in form_page
    response = editor_client.post(
        url,
        # "Climate" is a new topic: creating it is the editor's explicit step (test_topics_picker).
        {
            "expected_version": 1, "title": "New title", "excerpt": "New excerpt", "topics": "Science, Climate",
            "create_topics": ["Climate"],
        },
    )
    assert response.status_code == 302 and response["Location"] == detail(article)
    article.refresh_from_db()
    assert (article.title, article.excerpt) == ("New title", "New excerpt")
    assert sorted(article.topics.values_list("name", flat=True)) == ["Climate", "Science"]
    audit = EditorialAction.objects.get(article=article)
    assert audit.action == "edit" and audit.before["title"] == "Old title" and audit.after["title"] == "New title"


def test_edit_errors_are_shown_on_the_form(editor_client):
    article = make_article(title="Keep me")
    response = editor_client.post(
        reverse("curation:article-edit", args=[article.pk]), {"expected_version": 1, "title": "   ", "topics": ""}
    )
    assert response.status_code == 400
    assert "required" in response.content.decode()
    assert Article.objects.get(pk=article.pk).title == "Keep me"


def test_stale_edit_conflicts(editor_client):
    article = make_article(title="Original")
    editor_client.post(action_url(article, "publish"), {"expected_version": 1})
    response = editor_client.post(
        reverse("curation:article-edit", args=[article.pk]), {"expected_version": 1, "title": "Mine"}, follow=True
    )
    assert any("changed by someone else" in m for m in messages_of(response))
    assert Article.objects.get(pk=article.pk).title == "Original"


def test_in_place_edit_answers_409_when_stale_and_the_new_version_when_saved(editor_client):
    article = make_article(title="Original")
    url = reverse("curation:article-edit", args=[article.pk])
    response = editor_client.post(url, {"expected_version": 1, "title": "First"}, **JSON)
    assert response.status_code == 200
    assert response.json()["version"] == 2
    response = editor_client.post(url, {"expected_version": 1, "title": "Stale"}, **JSON)
    assert response.status_code == 409
    assert "changed by someone else" in response.json()["error"]
    assert Article.objects.get(pk=article.pk).title == "First"


def test_edit_survives_reimport(editor_client, tmp_path):
    seed = tmp_path / "story.md"
    seed.write_text(seed_text(body="Body text.", **valid_front_matter(1, title="Source title")))
    import_seed_files([tmp_path])
    article = Article.objects.get()
    editor_client.post(
        reverse("curation:article-edit", args=[article.pk]),
        {"expected_version": article.version, "title": "Editor title", "topics": "Science"},
    )
    seed.write_text(seed_text(body="Body text, revised.", **valid_front_matter(1, title="Source title v2")))
    import_seed_files([tmp_path])
    article.refresh_from_db()
    assert article.title == "Editor title"
    html = editor_client.get(detail(article)).content.decode()
    assert "Editor title" in html and "Body text, revised." in html
    assert html.count("<tr><td>") >= 2  # both imports in the import history


# --- body-only items -----------------------------------------------------------------------


@pytest.fixture
def body_only(db):
    return make_body_only(
        title="Derived from the body", body="The same body text.", body_sha256="f" * 64, category="", source_key="c" * 64
    )


def test_body_only_page_shows_what_is_missing_and_suggests_targets(editor_client, body_only):
    twin = make_article(title="Article with the same body", body_sha256="f" * 64)
    html = editor_client.get(detail(body_only)).content.decode()
    assert "This item is a body without metadata" in html
    assert "<li>a publication date (pages and feeds are ordered by it)</li>" in html
    assert "Complete metadata" in html and "Attach body" in html
    assert f'name="target" value="{twin.pk}"' in html and "same body" in html


def test_attach_search_finds_by_id(editor_client, body_only):
    target = make_article(title="Unrelated headline")
    html = editor_client.get(detail(body_only, f"attach_q={target.pk}")).content.decode()
    assert f'name="target" value="{target.pk}"' in html


def test_complete_metadata(editor_client, body_only):
    response = editor_client.post(
        reverse("curation:article-complete", args=[body_only.pk]),
        {
            "expected_version": 1,
            "title": "Proper title",
            "web_url": "https://ok.example/a",
            "provider_name": "OK News",
            "published_at": "2024-03-01T10:00",
            "topics": "Local",
            "create_topics": ["Local"],
        },
    )
    assert response.status_code == 302
    body_only.refresh_from_db()
    assert not body_only.needs_metadata and body_only.title == "Proper title"
    assert body_only.provider.name == "OK News"
    assert body_only.actions.get().action == "complete"
    # Now it can be published.
    editor_client.post(action_url(body_only, "publish"), {"expected_version": 2})
    assert Article.objects.get(pk=body_only.pk).state == "published"


def test_complete_refuses_a_javascript_url(editor_client, body_only):
    response = editor_client.post(
        reverse("curation:article-complete", args=[body_only.pk]),
        {"expected_version": 1, "title": "T", "web_url": "javascript:alert(1)"},
    )
    assert response.status_code == 400
    assert "Only absolute http(s) URLs" in response.content.decode()
    assert Article.objects.get(pk=body_only.pk).needs_metadata


def test_attach_body_merges_the_item_and_shows_where_it_went(editor_client, body_only):
    target = make_article(title="Receiving article", body="old body")
    response = editor_client.post(
        reverse("curation:article-attach", args=[body_only.pk]), {"expected_version": 1, "target": target.pk}
    )
    assert response.status_code == 302 and response["Location"] == detail(target)
    target.refresh_from_db()
    body_only.refresh_from_db()
    assert target.body == "The same body text."
    assert body_only.state == ArticleState.MERGED and body_only.merged_into == target
    html = editor_client.get(detail(body_only)).content.decode()
    assert f'href="{detail(target)}"' in html and "Receiving article" in html
    assert "Attached body" in editor_client.get(detail(target)).content.decode()


def test_attach_with_both_a_suggestion_and_a_typed_id_uses_the_typed_one(editor_client, body_only):
    suggested, typed = make_article(), make_article()
    url = reverse("curation:article-attach", args=[body_only.pk])
    editor_client.post(url, {"expected_version": 1, "target": suggested.pk, "target_id": typed.pk})
    assert Article.objects.get(pk=body_only.pk).merged_into_id == typed.pk


def test_attach_without_a_target_asks_for_one(editor_client, body_only):
    url = reverse("curation:article-attach", args=[body_only.pk])
    response = editor_client.post(url, {"expected_version": 1, "target_id": ""})
    assert response.status_code == 400 and "Pick a suggested article" in response.content.decode()


def test_attach_to_a_missing_article_is_explained(editor_client, body_only):
    response = editor_client.post(
        reverse("curation:article-attach", args=[body_only.pk]), {"expected_version": 1, "target_id": 987654}
    )
    assert response.status_code == 400 and "There is no article #987654" in response.content.decode()
    assert Article.objects.get(pk=body_only.pk).state == "new"
