"""Attaching a body-only item's text to an article, with whatever id the form is sent.

The panel offers only articles (items with metadata), but its "type an article id" field and
a hand-made POST may name anything: another body-only item (whose own text the attach
replaced, lost for good), a merged item, the item itself, a number no row has. And an
article that had a body of its own got the item's in its place with only its length noted:
the text it had could not be found again anywhere.
"""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.models import Article, ArticleState, EditorialAction
from curation.services import editorial
from curation.tests.factories import make_article, make_body_only

pytestmark = pytest.mark.django_db


def body_only_item(text="The item's own text.", **fields):
    return make_body_only(title=text[:40], body=text, **fields)


def attach(client, item, target_field, value):
    return client.post(
        reverse("curation:article-attach", args=[item.pk]),
        {"expected_version": Article.objects.get(pk=item.pk).version, target_field: value},
        follow=True,
    )


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def test_attaching_to_another_body_only_item_is_refused_and_both_texts_stay(editor, editor_client):
    item, other = body_only_item("Text A, the item."), body_only_item("Text B, typed as the target.")
    with pytest.raises(editorial.InvalidTransition, match="body-only item too"):
        editorial.attach_body(item=item, target=other, user=editor)
    response = attach(editor_client, item, "target_id", other.pk)
    assert any("is a body-only item too" in text for text in messages_of(response))
    assert Article.objects.get(pk=other.pk).body == "Text B, typed as the target."
    assert Article.objects.get(pk=item.pk).state == ArticleState.NEW
    assert not EditorialAction.objects.filter(action="attach").exists()


def test_the_text_an_article_had_is_kept_in_the_audit_row_and_the_editor_is_told(editor_client):
    item = body_only_item("The full text, from the wire.")
    article = make_article(title="Receiving article", body="The article's own first paragraph.")
    response = attach(editor_client, item, "target", article.pk)
    assert Article.objects.get(pk=article.pk).body == "The full text, from the wire."
    row = EditorialAction.objects.get(action="attach", article=article)
    assert row.before["body"] == "The article's own first paragraph."
    assert any("The text it had (34 characters) was replaced; its history keeps it." in t for t in messages_of(response))


def test_an_article_without_a_body_takes_the_text_with_the_plain_message(editor_client):
    item = body_only_item("The text of an article whose file had none.")
    article = make_article(title="Front matter only", body="")
    response = attach(editor_client, item, "target", article.pk)
    assert messages_of(response) == ["Attached the body to “Front matter only”."]


KINDS = ("article", "published", "rejected", "body_only", "merged", "itself", "missing")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(KINDS), field=st.sampled_from(["target", "target_id"]), own_body=st.text(max_size=60).filter(lambda text: "\x00" not in text))
def test_any_target_is_attached_to_an_article_or_refused_with_nothing_lost(editor_client, kind, field, own_body):
    item = body_only_item("The text to attach.")
    targets = {
        "article": lambda: make_article(body=own_body),
        "published": lambda: make_article(body=own_body, state=ArticleState.PUBLISHED),
        "rejected": lambda: make_article(body=own_body, state=ArticleState.REJECTED),
        "body_only": lambda: body_only_item(own_body or "x"),
        "merged": lambda: make_article(body=own_body, state=ArticleState.MERGED),
        "itself": lambda: item,
    }
    target = targets[kind]() if kind in targets else None
    bodies = dict(Article.objects.values_list("pk", "body"))
    response = attach(editor_client, item, field, target.pk if target else max(bodies) + 1000)
    assert response.status_code in (200, 400)
    item.refresh_from_db()
    if item.state == ArticleState.MERGED:
        assert kind in ("article", "published", "rejected")
        kept = EditorialAction.objects.get(action="attach", article_id=target.pk)
        assert kept.before["body"] == bodies[target.pk]
        assert Article.objects.get(pk=target.pk).has_front_matter
    else:
        assert kind not in ("article", "published", "rejected")
        assert dict(Article.objects.values_list("pk", "body")) == bodies  # nothing written
