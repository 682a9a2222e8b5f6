"""The editorial service layer: rules, permissions, conflicts and the audit log."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from curation.models import Article, EditorialAction
from curation.services import editorial
from curation.tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def body_only(db):
    return make_article(
        title="Untitled text", web_url="", has_front_matter=False, needs_metadata=True, body="The text.\n",
        front_matter_raw="",
    )


def test_publish_records_who_and_when_and_bumps_the_version(editor, article):
    published = editorial.publish_article(article=article, user=editor, expected_version=1)

    assert published.state == Article.State.PUBLISHED
    assert published.version == 2
    assert published.state_changed_by == editor and published.state_changed_at is not None
    action = EditorialAction.objects.get()
    assert (action.action, action.actor, action.via) == ("publish", editor, "curator")
    assert action.before == {"state": "new", "version": 1}
    assert action.after == {"state": "published", "version": 2}


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        ("new", "publish", "published"),
        ("rejected", "publish", "published"),
        ("published", "unpublish", "new"),
        ("new", "reject", "rejected"),
        ("published", "reject", "rejected"),
        ("rejected", "restore", "new"),
    ],
)
def test_allowed_transitions(editor, start, action, end):
    article = make_article(state=start)
    assert editorial.transition_article(article=article, action=action, user=editor).state == end


@pytest.mark.parametrize(("start", "action"), [("new", "unpublish"), ("new", "restore"), ("published", "publish"),
                                               ("rejected", "reject"), ("merged", "publish")])
def test_refused_transitions_change_nothing(editor, start, action):
    article = make_article(state=start)
    with pytest.raises(editorial.InvalidTransition):
        editorial.transition_article(article=article, action=action, user=editor)
    article.refresh_from_db()
    assert (article.state, article.version) == (start, 1)
    assert not EditorialAction.objects.exists()


def test_a_stale_version_is_a_conflict_and_the_first_decision_stands(editor, article):
    other = make_user(role="editor")
    editorial.publish_article(article=article, user=editor, expected_version=1)

    with pytest.raises(editorial.ConflictError, match="changed by someone else"):
        editorial.reject_article(article=article, user=other, expected_version=1)

    article.refresh_from_db()
    assert article.state == Article.State.PUBLISHED and article.state_changed_by == editor
    assert EditorialAction.objects.count() == 1


@pytest.mark.parametrize("action", ["publish", "reject"])
def test_viewers_may_not_decide(viewer, article, action):
    with pytest.raises(PermissionDenied):
        editorial.transition_article(article=article, action=action, user=viewer)
    article.refresh_from_db()
    assert article.state == "new" and not EditorialAction.objects.exists()


def test_body_only_items_cannot_be_published_before_completion(editor, body_only):
    with pytest.raises(editorial.InvalidTransition, match="needs its metadata"):
        editorial.publish_article(article=body_only, user=editor)


def test_reject_keeps_the_reason_and_restore_clears_it(editor, article):
    rejected = editorial.reject_article(article=article, user=editor, reason="Duplicate of wire copy")
    assert rejected.rejection_reason == "Duplicate of wire copy"
    assert EditorialAction.objects.get().reason == "Duplicate of wire copy"
    assert editorial.restore_article(article=article, user=editor).rejection_reason == ""


def test_bulk_reports_successes_and_names_failures(editor):
    fresh = [make_article(title=f"Fresh {n}") for n in range(3)]
    already = make_article(title="Already out", state="published")

    result = editorial.bulk_transition(
        action="publish", article_ids=[a.pk for a in fresh] + [already.pk, 999999], user=editor
    )

    assert len(result.succeeded) == 3
    assert "3 items published." in result.message
    assert "2 failed" in result.message and "Already out" in result.message and "no such article" in result.message
    assert EditorialAction.objects.filter(via="bulk").count() == 3


def test_bulk_without_permission_attempts_nothing(viewer):
    article = make_article()
    with pytest.raises(PermissionDenied):
        editorial.bulk_transition(action="publish", article_ids=[article.pk], user=viewer)
    article.refresh_from_db()
    assert article.state == "new"


def test_edit_records_before_and_after_and_marks_fields_edited(editor, article):
    edited = editorial.edit_article(
        article=article, user=editor, title="  Better headline ", topics=["Science", "Space"], create_topics=["Space"]
    )

    assert edited.title == "Better headline"
    assert sorted(edited.edited_fields) == ["title", "topics"]
    assert sorted(t.name for t in edited.topics.all()) == ["Science", "Space"]
    action = EditorialAction.objects.get()
    assert action.before["title"] == "A story worth reading" and action.after["title"] == "Better headline"
    assert action.after["topics"] == ["Science", "Space"]


def test_an_edit_that_changes_nothing_writes_nothing(editor, article):
    editorial.edit_article(article=article, user=editor, title=article.title, topics=["Science"])
    article.refresh_from_db()
    assert article.version == 1 and not EditorialAction.objects.exists()


def test_an_empty_title_is_refused(editor, article):
    with pytest.raises(editorial.InvalidEdit) as info:
        editorial.edit_article(article=article, user=editor, title="   ")
    assert "title" in info.value.errors


def test_viewers_may_not_edit(viewer, article):
    with pytest.raises(PermissionDenied):
        editorial.edit_article(article=article, user=viewer, title="Nope")


def test_complete_gives_a_body_only_item_its_metadata(editor, body_only):
    done = editorial.complete_article(
        article=body_only, user=editor, title="Council extends night buses", web_url="https://paper.example/buses",
        provider_name="The Paper", provider_domain="Paper.Example", topics=["Transport"], create_topics=["Transport"],
        published_at=timezone.now(),
    )
    assert not done.needs_metadata
    assert (done.title, done.web_url, done.provider.domain) == ("Council extends night buses", "https://paper.example/buses", "paper.example")
    assert [t.name for t in done.topics.all()] == ["Transport"]
    assert editorial.publish_article(article=done, user=editor).state == "published"


def test_complete_refuses_non_http_urls(editor, body_only):
    with pytest.raises(editorial.InvalidEdit) as info:
        editorial.complete_article(article=body_only, user=editor, title="T", web_url="javascript:alert(1)")
    assert "web_url" in info.value.errors


def test_attach_moves_the_text_and_merges_the_item(editor, body_only, article):
    target = editorial.attach_body(item=body_only, target=article, user=editor)

    assert target.body == "The text.\n" and "body" in target.edited_fields
    body_only.refresh_from_db()
    assert body_only.state == "merged" and body_only.merged_into == article
    assert not Article.objects.in_queue().filter(pk=body_only.pk).exists()
    action = EditorialAction.objects.get()
    assert action.article == article and action.action == "attach" and action.after["item"] == body_only.pk


def test_attach_refuses_an_article_with_front_matter_as_the_item(editor, article):
    other = make_article()
    with pytest.raises(editorial.InvalidTransition, match="not a body-only item"):
        editorial.attach_body(item=other, target=article, user=editor)


def test_superusers_may_do_everything(superuser, article):
    editorial.edit_article(article=article, user=superuser, title="Root edit")
    assert editorial.publish_article(article=article, user=superuser).state == "published"


def test_deleting_an_editor_keeps_their_decisions_unattributed_found_through_the_partial_index(editor, article):
    editorial.publish_article(article=article, user=editor, expected_version=1)
    untouched = make_article()
    lookup, params = Article.objects.filter(state_changed_by=editor).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a 2-row table would be scanned anyway
        cursor.execute(("EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ") + lookup, params)
        plan = " ".join(str(row) for row in cursor.fetchall())

    editor.delete()

    # Only rows with an editor are in the index (imports add none), and it serves the lookup.
    assert re.search(r"\barticle_state_changed_by\b", plan), plan
    article.refresh_from_db()
    assert article.state == Article.State.PUBLISHED and article.state_changed_by is None
    assert Article.objects.filter(pk=untouched.pk, state=Article.State.NEW).exists()
