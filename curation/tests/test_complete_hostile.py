"""Completing an item with the address another article has.

An article is its webUrl (the import's identity). An editor completing a body-only item could
give it the address of an article already imported: two articles at one address, and the next
import of an export (a static site's copy, a backup) took the item's file for the other
article and wrote the item's title and text over that article's, which were gone. Readers
would have seen the one source twice. Completion now refuses such an address, naming the
article that has it.
"""

import datetime as dt
import time

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.models import Article, EditorialAction
from curation.services import editorial
from curation.services.editorial import edits
from curation.tests.browser_support import ensure_editorial_groups
from curation.tests.concurrency import requires_postgresql, run_at_once
from curation.tests.factories import make_article, make_body_only, make_user

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC)


def complete(editor, item, web_url):
    return editorial.complete_article(
        article=Article.objects.get(pk=item.pk), user=editor, title="The item's title", web_url=web_url,
        provider_name="Paper", provider_domain="paper.example", published_at=WHEN,
    )


def body_only(text):
    return make_body_only(title=text, body=f"{text}\n\nMore of it.")


def test_an_address_another_article_came_with_is_refused_naming_it(editor):
    other = make_article(title="Imported with its address", web_url="https://news.example/a")
    item = body_only("Loose text")
    with pytest.raises(editorial.InvalidEdit) as refused:
        complete(editor, item, "https://news.example/a")
    assert f"Article #{other.pk} (“Imported with its address”) already has this address" in refused.value.errors["web_url"]
    assert Article.objects.get(pk=item.pk).needs_metadata
    assert not EditorialAction.objects.exists()


def test_an_address_an_editor_gave_another_item_is_refused_too(editor):
    first, second = body_only("First text"), body_only("Second text")
    complete(editor, first, "https://news.example/given")
    with pytest.raises(editorial.InvalidEdit, match=f"Article #{first.pk} "):
        complete(editor, second, "https://news.example/given")


def test_the_form_shows_the_refusal_at_the_address_field(editor_client):
    other = make_article(web_url="https://news.example/b")
    item = body_only("Text for the form")
    response = editor_client.post(
        reverse("curation:article-complete", args=[item.pk]),
        {
            "expected_version": 1, "title": "Proper title", "web_url": "https://news.example/b",
            "provider_name": "OK News", "published_at": "2024-03-01T10:00",
        },
    )
    assert response.status_code == 400
    assert f"Article #{other.pk}" in response.content.decode()
    assert Article.objects.get(pk=item.pk).needs_metadata


def test_an_item_keeps_its_own_address_when_completed(editor):
    item = make_article(title="No date yet", web_url="https://news.example/own", published_at=None)
    done = editorial.complete_article(
        article=item, user=editor, title=item.title, web_url="https://news.example/own",
        provider_name="Paper", provider_domain="paper.example", published_at=WHEN,
    )
    assert done.web_url == "https://news.example/own" and not done.needs_metadata


ADDRESSES = [f"https://news.example/{n}" for n in range(4)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choices=st.lists(st.sampled_from(ADDRESSES), min_size=1, max_size=5))
def test_no_sequence_of_completions_leaves_two_articles_at_one_address(editor, choices):
    Article.objects.all().delete()
    make_article(web_url=ADDRESSES[0])
    for n, address in enumerate(choices):
        try:
            complete(editor, body_only(f"Text number {n}"), address)
        except editorial.InvalidEdit as exc:
            assert "already has this address" in exc.errors["web_url"]
    addresses = [url for url in Article.objects.values_list("web_url", flat=True) if url]
    assert len(addresses) == len(set(addresses))


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_editors_giving_two_items_one_address_at_once_are_not_both_let_through(monkeypatch):
    """Each found the address free before the other's row was committed: two articles at one
    address. (SQLite takes its write lock as the transaction starts, so there one waits anyway.)"""
    ensure_editorial_groups()  # a transactional test starts from an emptied database
    editors = [make_user(role="editor"), make_user(role="editor")]
    first, second = body_only("First loose text"), body_only("Second loose text")
    look_up = edits._article_at

    def looked_up_slowly(*args, **kwargs):
        holder = look_up(*args, **kwargs)
        time.sleep(0.3)  # both get past the look-up before either writes
        return holder

    monkeypatch.setattr(edits, "_article_at", looked_up_slowly)
    results = run_at_once(
        lambda: complete(editors[0], first, "https://news.example/same"),
        lambda: complete(editors[1], second, "https://news.example/same"),
    )

    refused = [result for result in results if isinstance(result, editorial.InvalidEdit)]
    assert len(refused) == 1, results
    assert "already has this address" in refused[0].errors["web_url"]
    assert Article.objects.filter(web_url="https://news.example/same").count() == 1
