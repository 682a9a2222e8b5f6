"""What the queue page does once instead of per row or per request must not change what a row
shows: rows loaded with deferred columns (Article.from_db), URL templates kept per process
(views.common.UrlTemplate)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_script_prefix, reverse, set_script_prefix

from curation.models import Article
from curation.selectors import LISTING_FIELDS
from curation.tests.factories import make_article
from curation.views.common import UrlTemplate
from curation.views.rows import QueueRows

pytestmark = pytest.mark.django_db


def test_a_row_loaded_with_some_columns_has_each_value_in_its_own_field_and_loads_the_rest():
    made = make_article(title="Columns in place", quality=73, heat=12, excerpt="The excerpt", related_count=4)
    article = Article.objects.select_related("provider").only(*LISTING_FIELDS).get(pk=made.pk)
    assert (article.pk, article.title, article.quality, article.heat, article.related_count, article.state) == (
        made.pk, "Columns in place", 73, 12, 4, "new",
    )  # fmt: skip
    assert article.published_at == made.published_at and article.provider.name == made.provider.name
    assert {"excerpt", "body", "web_url"} <= article.get_deferred_fields()
    assert "title" not in article.get_deferred_fields() and not article._state.adding
    with CaptureQueriesContext(connection) as queries:
        assert article.excerpt == "The excerpt"
    assert len(queries) == 1
    # Every column read whole: as Django builds it.
    assert Article.objects.get(pk=made.pk).get_deferred_fields() == set()


def test_row_addresses_follow_the_script_prefix_the_site_is_served_under(editor):
    article = make_article()
    before = get_script_prefix()
    try:
        plain = QueueRows(editor).row(article)
        set_script_prefix("/desk/")
        prefixed = QueueRows(editor).row(article)
        assert UrlTemplate("curation:article-detail")(article.pk) == f"/desk/curate/articles/{article.pk}/"
    finally:
        set_script_prefix(before)
    assert plain.detail_url == f"/curate/articles/{article.pk}/"
    assert prefixed.detail_url == f"/desk/curate/articles/{article.pk}/"
    assert all(url.startswith("/desk/curate/") for _, url in prefixed.offers) and prefixed.offers


def test_a_full_page_read_by_ids_shows_each_rows_own_topics_and_images(editor_client):
    """A page of fifty rows on a sort that may be missing (published) is read by ids, its
    topics and images in one more statement, the ids bound as one parameter on PostgreSQL
    (psycopg keeps a statement's parsed form only up to 50 parameters)."""
    articles = [
        make_article(title=f"Row {n}", topics=[f"Topic {n}", f"Also {n}"], images=[f"https://img.example/{n}/a.jpg"])
        for n in range(55)
    ]
    editor_client.post(reverse("curation:density"), {"density": "comfortable"})
    counts = []

    def count_parameters(execute, sql, params, many, context):
        counts.append(len(params or ()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count_parameters):
        page = editor_client.get("/curate/", {"state": "new", "sort": "-published"}).content.decode()
    shown = [article for article in articles if f'data-article-id="{article.pk}"' in page]
    assert len(shown) == 50
    for article in shown:
        row = page[page.index(f'data-article-id="{article.pk}"') :].split("</tr>")[0]
        n = article.title.removeprefix("Row ")
        assert f"Also {n}, Topic {n}</span>" in row and f'src="https://img.example/{n}/a.jpg"' in row
    if connection.vendor == "postgresql":
        assert max(counts) <= 50, counts
