"""Completing an item's metadata requires what publishing requires (one rule in the
service), records only what changed, and shows the reasons beside the fields."""

import datetime as dt

import pytest
from django.urls import reverse

from curation.models import Article, EditorialAction
from curation.services import editorial
from curation.tests.factories import make_article, make_body_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def body_only(db):
    return make_body_only(title="Derived from the body", body="Derived from the body.\n\nThe rest.", category="", excerpt="")


def complete_url(article):
    return reverse("curation:article-complete", args=[article.pk])


def own_metadata(article):
    """The metadata an item already has, as `complete_article` takes it (all but the date;
    no topics), so that a test passes only what the editor changes."""
    values = {name: getattr(article, name) for name in ("title", "web_url", "excerpt", "category")}
    return {**values, "provider_name": article.provider.name, "provider_domain": article.provider.domain, "topics": []}


def untouched_form(editor_client, article):
    """What the page's complete form posts when the editor changes nothing."""
    form = editor_client.get(reverse("curation:article-detail", args=[article.pk])).context["complete_form"]
    return {name: form[name].value() or "" for name in form.fields}


def test_an_untouched_form_is_refused_with_reasons_beside_the_fields(editor_client, body_only):
    Article.objects.filter(pk=body_only.pk).update(provider=None)
    response = editor_client.post(complete_url(body_only), untouched_form(editor_client, body_only))
    assert response.status_code == 400
    errors = response.context["complete_form"].errors
    assert set(errors) == {"provider_name", "published_at"}
    html = response.content.decode()
    assert "A provider is required to publish" in html and "A publication date is required to publish" in html
    assert "Metadata completed" not in html
    body_only.refresh_from_db()
    assert (body_only.needs_metadata, body_only.version, body_only.edited_fields) == (True, 1, [])
    assert not EditorialAction.objects.exists()
    # ... and it still cannot be published.
    with pytest.raises(editorial.InvalidTransition):
        editorial.publish_article(article=body_only, user=response.wsgi_request.user)


def test_only_what_changed_is_recorded_as_edited(editor_client, body_only, editor):
    Article.objects.filter(pk=body_only.pk).update(provider=None)
    data = {**untouched_form(editor_client, body_only), "provider_name": "Wire", "published_at": "2024-03-01T10:00"}
    response = editor_client.post(complete_url(body_only), data, follow=True)
    assert "Metadata completed" in response.content.decode()
    body_only.refresh_from_db()
    assert not body_only.needs_metadata
    assert body_only.edited_fields == ["provider", "published_at"]
    assert body_only.title == "Derived from the body"
    action = EditorialAction.objects.get(article=body_only)
    assert set(action.after) == {"provider", "published_at", "needs_metadata", "version"}
    assert action.after["published_at"] == "2024-03-01T10:00:00+00:00"
    assert editorial.publish_article(article=body_only, user=editor).state == "published"


def test_publishing_and_completing_share_one_rule(editor):
    undated = make_article(title="No date in the seed", published_at=None)
    with pytest.raises(editorial.InvalidTransition, match="publication date is required"):
        editorial.publish_article(article=undated, user=editor)
    assert editorial.needs_completing(undated)
    done = editorial.complete_article(
        article=undated, user=editor, **own_metadata(undated), published_at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    )
    assert done.edited_fields == ["published_at"]
    assert editorial.publish_article(article=done, user=editor).state == "published"


def test_an_imported_item_without_a_provider_offers_the_complete_form_not_publish(editor_client):
    article = make_article(title="No provider in the seed")
    Article.objects.filter(pk=article.pk).update(provider=None)
    html = editor_client.get(reverse("curation:article-detail", args=[article.pk])).content.decode()
    assert "This item lacks what publishing needs" in html
    assert "<li>a provider (readers are told whose story it is)</li>" in html
    assert "Attach body" not in html
    assert f'action="/curate/articles/{article.pk}/publish/"' not in html
    queue = editor_client.get(reverse("curation:queue")).content.decode()
    assert f'formaction="/curate/articles/{article.pk}/publish/"' not in queue


def test_completing_an_item_that_needs_nothing_is_refused(editor):
    article = make_article(title="Complete already")
    with pytest.raises(editorial.InvalidTransition, match="already has what publishing needs"):
        editorial.complete_article(
            article=article,
            user=editor,
            title="Other",
            provider_name="X",
            published_at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
        )
